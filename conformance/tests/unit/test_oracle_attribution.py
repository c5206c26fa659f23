"""A fault lands on the requirement it breaks: an exclusive service queue is TOPO-4's, an error reply to a request
the server must serve is that request's rule, a context value that changed type is not carried unchanged."""

from oracle_fakes import Declared, reply, summary

from nameko_conformance.oracle import client as clients, context as ctx, reply as r, topology
from nameko_conformance.oracle.values import unchanged

ERROR = {"exc_type": "MalformedRequest", "exc_path": "nameko.exceptions.MalformedRequest", "exc_args": ["x"],
         "value": "x"}


def test_an_exclusive_service_queue_is_topo_4_not_a_missing_queue():
    locked = Declared(False, 405, "RESOURCE_LOCKED")
    assert topology.service_queue_exclusive(locked, "svc").codes() == ["TOPO-4/service-queue-exclusive"]
    assert topology.service_queue_consumed(locked, "svc").ok
    assert topology.service_queue_exclusive(Declared(True, message_count=0, consumer_count=1), "svc").ok
    assert topology.service_queue_consumed(Declared(False, 404, "NOT_FOUND"), "svc").codes() == \
        ["TOPO-3/no-service-queue"]


def test_an_error_reply_to_a_request_the_server_must_serve_breaks_that_rule():
    refused = r.success(reply({"result": None, "error": ERROR}), refused="RPC-REQ-10")
    examined, codes, undecided = summary(refused)
    assert codes == ["RPC-REQ-10/error-instead-of-result"] and undecided == ["RPC-REPLY-4"]
    assert "RPC-REQ-10" in examined and "RPC-REPLY-4" not in examined
    plain = r.success(reply({"result": None, "error": ERROR}))
    assert plain.codes() == ["RPC-REPLY-4/error-instead-of-result"]


def test_values_must_arrive_with_their_types():
    assert unchanged(7, 7) and unchanged({"a": [1, True]}, {"a": [1, True]})
    assert not unchanged("7", 7) and not unchanged(7.0, 7) and not unchanged(1, True) and not unchanged(None, 0)
    assert ctx.context_data({"n": "7", "s": "x"}, {"n": 7, "s": "x"}).codes() == ["TESTEE-5/context-data"]
    from oracle_fakes import Msg
    carried = Msg(headers={"nameko.n": "7", "nameko.call_id_stack": ["r", "s.m.1"]})
    assert clients.carried_context(carried, {"nameko.n": 7}).codes() == ["CTX-7/context-not-carried"]


def test_a_request_held_or_requeued_over_and_over_shows_in_the_unacknowledged_count():
    held = r.queue_settled({"rpc-svc": {"unacked": 1}}, "rpc-svc", "MAL-5", "the request without reply_to")
    assert held.codes() == ["MAL-5/held-unacknowledged"]
    assert r.queue_settled({"rpc-svc": {"unacked": 0}}, "rpc-svc", "MAL-5", "it").examined == {"MAL-5"}
    for listed in (None, {}, {"rpc-svc": {"unacked": None}}):
        assert not r.queue_settled(listed, "rpc-svc", "MAL-5", "it").examined
