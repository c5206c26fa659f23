"""Checks on the declared topology (oracle/topology.py) and on the target as a whole (oracle/session.py)."""

import pytest
from oracle_fakes import Declared, Msg, reply, summary

from nameko_conformance.oracle import session as s
from nameko_conformance.oracle import topology as t
from nameko_conformance.oracle.reply import DEFAULT_CATCHER

OK = Declared(True, message_count=0, consumer_count=1)


# --- topology ---------------------------------------------------------------------------------------------------

def test_rpc_exchange():
    assert summary(t.rpc_exchange(OK, "nameko-rpc")) == (["TOPO-1", "TOPO-2"], [], [])
    flags = t.rpc_exchange(Declared(False, 406, "PRECONDITION_FAILED"), "nameko-rpc")
    assert summary(flags) == (["TOPO-1", "TOPO-2"], ["TOPO-2/rpc-exchange-flags"], [])
    assert flags.findings[0].expected == "'nameko-rpc' a durable topic exchange, not auto-delete, not internal"
    assert flags.findings[0].observed == "an equivalent declare got 406 PRECONDITION_FAILED"
    missing = t.rpc_exchange(Declared(False, 404, "NOT_FOUND"), "nameko-rpc")
    assert missing.codes() == ["TOPO-1/rpc-exchange-missing"]


def test_refused_declare():
    judgement = t.refused_declare(406, "PRECONDITION_FAILED - inequivalent arg", "nameko-rpc")
    assert summary(judgement) == (["TOPO-2"], ["TOPO-2/rpc-exchange-flags"], [])
    assert judgement.findings[0].expected == "'nameko-rpc' a durable topic exchange without arguments"
    assert judgement.findings[0].observed == ("the broker refused an equivalent declare: 406 PRECONDITION_FAILED - "
                                              "inequivalent arg")


def test_service_queue_consumed():
    assert summary(t.service_queue_consumed(OK, "svc")) == (["TESTEE-1", "TESTEE-10", "TOPO-3"], [], [])
    missing = t.service_queue_consumed(Declared(False, 404, "NOT_FOUND"), "svc")
    assert missing.codes() == ["TOPO-3/no-service-queue"]
    assert (missing.findings[0].expected, missing.findings[0].observed) == ("queue rpc-svc consumed by the service",
                                                                            "404 NOT_FOUND")
    idle = t.service_queue_consumed(Declared(True, message_count=0, consumer_count=0), "svc")
    assert idle.codes() == ["TOPO-3/service-queue-unconsumed"] and idle.findings[0].observed == "no consumer"
    assert t.service_queue_consumed(Declared(True), "svc").codes() == ["TOPO-3/service-queue-unconsumed"]


def test_service_queue_flags():
    results = {"classic": Declared(False, 406, "x"), "quorum": OK}
    assert summary(t.service_queue_flags(results, "svc")) == (["TOPO-4"], [], [])
    refused = t.service_queue_flags({"classic": Declared(False, 406, "a"), "quorum": Declared(False, 406, "b")},
                                    "svc")
    assert refused.codes() == ["TOPO-4/service-queue-flags"]
    assert refused.findings[0].expected == ("rpc-svc durable, not exclusive, not auto-delete, without x- arguments "
                                            "(or a quorum queue)")
    assert refused.findings[0].observed == "classic: 406 a; quorum: 406 b"


def test_binding_routes():
    routable = {"svc.m": True, "svc.other": True, "svc": False, "svc.m.x": False, "other.m": False}
    assert summary(t.binding_routes(routable, "svc")) == (["TOPO-5"], [], [])
    lost = t.binding_routes({"svc.m": False}, "svc")
    assert lost.codes() == ["TOPO-5/method-key-unroutable"]
    assert (lost.findings[0].expected, lost.findings[0].observed) == ("'svc.m' routed to rpc-svc",
                                                                      "the broker returned it as unroutable")
    extra = t.binding_routes({"svc.m.x": True, "svc": True, "other.m": True, "svcx.m": True}, "svc")
    assert extra.codes() == ["TOPO-5/extra-binding"] * 4
    assert (extra.findings[0].expected, extra.findings[0].observed) == (
        "'svc.m.x' unroutable (binding key exactly svc.*)", "a queue took it")
    dotted = t.binding_routes({"a.b.m": True, "a.b": False, "a.b.m.x": False}, "a.b")
    assert dotted.ok


def test_instances_share_queue():
    one, two = Declared(True, consumer_count=1), Declared(True, consumer_count=2)
    assert summary(t.instances_share_queue((one, two), {})) == (["TOPO-8"], [], [])
    own = t.instances_share_queue((one, one), {"a": 3})
    assert summary(own) == (["TOPO-8"], ["TOPO-8/second-instance-own-queue"], [])
    assert own.findings[0].expected == "a second instance consuming from the same rpc-S queue"
    assert own.findings[0].observed == "consumers 1 before, 1 with two instances"
    assert t.instances_share_queue((two, one), {}).codes() == ["TOPO-8/second-instance-own-queue"]
    assert t.instances_share_queue((Declared(True), Declared(True, consumer_count=1)), {}).ok
    assert t.instances_share_queue((Declared(True), Declared(True)), {}).codes() == [
        "TOPO-8/second-instance-own-queue"]
    for pair in ((Declared(False, 404, "NF"), two), (one, Declared(False, 404, "NF")), (None, two)):
        undecided = t.instances_share_queue(pair, {})
        assert summary(undecided) == ([], [], ["TOPO-8"])
    assert t.instances_share_queue((one, Declared(False, 404, "NF")), {}).inconclusive[0][1] == (
        f"the service queue could not be inspected ({one}, 404 NF)")


def test_queue_flags():
    results = {"durable": Declared(False, 406, "x"), "quorum": OK}
    assert summary(t.queue_flags(results, "TOPO-9", "flags", "q", "durable")) == (["TOPO-9"], [], [])
    refused = t.queue_flags({"a": Declared(False, 406, "x"), "b": Declared(False, 404, "y")}, "TOPO-9", "flags",
                            "q", "durable")
    assert summary(refused) == (["TOPO-9"], ["TOPO-9/flags"], [])
    assert (refused.findings[0].expected, refused.findings[0].observed) == ("q durable", "a: 406 x; b: 404 y")
    absent = t.queue_flags({"a": Declared(False, 404, "NOT_FOUND")}, "TOPO-9", "flags", "q", "durable")
    assert summary(absent) == ([], [], ["TOPO-9"])
    assert absent.inconclusive[0][1] == "q does not exist: [404 NOT_FOUND]"


# --- session: readiness -----------------------------------------------------------------------------------------

def echo_reply(cid="e1", exchange="nameko-rpc", key="rk", via=s.REPLY_QUEUE, direction="received"):
    message = reply(correlation_id=cid)
    message.exchange, message.routing_key, message.via, message.direction = exchange, key, via, direction
    return message


def test_readiness_own_reply():
    own = echo_reply()
    judgement = s.readiness([own], "rk", "nameko-rpc", ["e1"])
    assert summary(judgement) == ([], [], []) and judgement.value is own
    first = s.readiness([echo_reply(cid="x"), own, echo_reply(cid="e2")], "rk", "nameko-rpc", ["e1", "e2"])
    assert first.value is own and first.ok
    assert s.readiness([Msg(properties={"correlation_id": "e1"})], "reply-key", "nameko-rpc", ["e1"]).ok


def test_readiness_misrouted_own_reply_is_accepted_and_charged():
    caught = echo_reply(exchange="", via=DEFAULT_CATCHER)
    judgement = s.readiness([caught], "rk", "nameko-rpc", ["e1"])
    assert judgement.codes() == ["RPC-REPLY-1/wrong-exchange"] and judgement.value is caught
    assert judgement.examined == {"RPC-REPLY-1"}
    assert judgement.findings[0].expected == "the reply to the readiness echo on exchange 'nameko-rpc'"
    assert judgement.findings[0].observed == "exchange '(default)' key 'rk'" and judgement.findings[0].messages
    other = s.readiness([echo_reply(exchange="x")], "rk", "nameko-rpc", ["e1"])
    assert other.codes() == ["RPC-REPLY-1/wrong-exchange"] and other.findings[0].observed == "exchange 'x' key 'rk'"
    same_name = s.readiness([echo_reply(via=DEFAULT_CATCHER)], "rk", "nameko-rpc", ["e1"])
    assert same_name.codes() == ["RPC-REPLY-1/wrong-exchange"]
    key = s.readiness([echo_reply(key="zz", via=s.STRAY_CATCHER)], "rk", "nameko-rpc", ["e1"])
    assert key.codes() == ["RPC-REPLY-1/wrong-routing-key"] and key.value is not None
    assert key.findings[0].expected == "the reply to the readiness echo routed with key 'rk'"
    assert key.findings[0].observed == "key 'zz'" and key.findings[0].messages


def test_readiness_strays_and_silence():
    stray = echo_reply(cid="zz")
    judgement = s.readiness([stray, echo_reply(cid="yy", via=DEFAULT_CATCHER)], "rk", "nameko-rpc", ["e1"])
    assert judgement.codes() == ["RPC-REPLY-2/wrong-correlation-id"] and judgement.value is stray
    assert judgement.examined == {"RPC-REPLY-2"}
    assert judgement.findings[0].expected == "the reply to the readiness echo with its correlation_id (e1)"
    assert judgement.findings[0].observed == "2 replies with correlation ids the kit never sent, e.g. 'zz'"
    assert len(judgement.findings[0].messages) == 2
    several = s.readiness([stray] * 4, "rk", "nameko-rpc", ["e1", "e2"])
    assert several.findings[0].expected == "the reply to the readiness echo with its correlation_id (of the echo)"
    assert len(several.findings[0].messages) == 3
    ignored = [echo_reply(cid="zz", via=s.STRAY_CATCHER), echo_reply(cid="e1", direction="sent"),
               echo_reply(cid="zz", direction="sent")]
    silent = s.readiness(ignored, "rk", "nameko-rpc", ["e1"])
    assert summary(silent) == ([], [], []) and silent.value is None
    assert s.readiness([], "rk", "nameko-rpc", []).value is None


# --- session: refused declarations and liveness -----------------------------------------------------------------

REFUSAL = ("pika.exceptions.ChannelClosedByBroker: (406, \"PRECONDITION_FAILED - inequivalent arg 'durable' for "
           "exchange 'nameko-rpc' in vhost '/': received 'false' but current is 'true'\")")


def test_refused_declaration():
    judgement = s.refused_declaration("starting\n" + REFUSAL + "\nbye", "nameko-rpc")
    assert summary(judgement) == (["TOPO-2"], ["TOPO-2/refused-declare"], [])
    finding = judgement.findings[0]
    assert finding.expected == ("'nameko-rpc' declared as a durable topic exchange, not auto-delete, not internal, "
                                "without arguments")
    assert finding.observed.startswith("the broker refused the target's declaration: durable 'false' (current: ")
    assert finding.messages[0]["target_output"].startswith("inequivalent arg 'durable' for exchange 'nameko-rpc'")
    assert summary(s.refused_declaration(REFUSAL.replace("nameko-rpc", "other"), "nameko-rpc")) == ([], [], [])
    assert summary(s.refused_declaration("", "nameko-rpc")) == ([], [], [])
    assert summary(s.refused_declaration(None, "nameko-rpc")) == ([], [], [])
    twice = s.refused_declaration(REFUSAL.replace("nameko-rpc", "other") + "\n" + REFUSAL + "\n" + REFUSAL,
                                  "nameko-rpc")
    assert twice.codes() == ["TOPO-2/refused-declare"]
    unquoted = s.refused_declaration("inequivalent arg 'type' for exchange 'nameko-rpc' in vhost '/': received "
                                     "direct but current is topic", "nameko-rpc")
    assert unquoted.findings[0].observed == ("the broker refused the target's declaration: type direct (current: "
                                             "topic)")
    assert unquoted.findings[0].messages[0]["target_output"].endswith("current is topic")


def test_refused_declaration_names_the_current_value():
    finding = s.refused_declaration(REFUSAL, "nameko-rpc").findings[0]
    assert finding.observed == "the broker refused the target's declaration: durable 'false' (current: 'true')"


def test_liveness_went_silent():
    liveness = s.Liveness()
    assert liveness.responsive and liveness.consecutive == 2 and liveness.total == 4
    assert liveness.timed_out("echo", 10) is None and liveness.responsive
    reason = liveness.timed_out("sentinel", 9.6)
    assert reason == ("the target went silent: 2 waits unanswered, 2 in a row (last: echo (no answer within 10 s); "
                      "sentinel (no answer within 10 s))")
    assert liveness.reason == reason and not liveness.responsive
    assert liveness.timed_out("more", 1) is None and liveness.reason == reason  # set once


def test_liveness_drops_replies():
    liveness = s.Liveness()
    for n in range(3):
        assert liveness.timed_out(f"w{n}", 1) is None
        liveness.answered()
        assert liveness.streak == 0
    reason = liveness.timed_out("w3", 1)
    assert reason == ("the target drops replies: 4 waits unanswered, 1 in a row (last: w2 (no answer within 1 s); "
                      "w3 (no answer within 1 s))")
    assert liveness.unanswered[0] == "w0 (no answer within 1 s)"


def test_liveness_never_served_keeps_the_first_reason():
    liveness = s.Liveness(consecutive=3, total=10)
    assert liveness.timed_out("a", 1) is None and liveness.timed_out("b", 1) is None
    assert liveness.timed_out("c", 1).startswith("the target went silent: 3 waits unanswered, 3 in a row (last: a ")
    fresh = s.Liveness()
    fresh.never_served("no echo reply")
    assert fresh.reason == "the target never served: no echo reply" and not fresh.responsive
    fresh.never_served("again")
    assert fresh.reason == "the target never served: no echo reply"


class Bare:
    """A message that says nothing about where it came from (no direction, no via)."""

    def __init__(self, correlation_id, exchange="nameko-rpc", routing_key="rk"):
        self.properties, self.exchange, self.routing_key = {"correlation_id": correlation_id}, exchange, routing_key


def test_readiness_counts_a_message_without_direction_as_received():
    bare = Bare("e1")
    judgement = s.readiness([bare], "rk", "nameko-rpc", ["e1"])
    assert judgement.value is bare and judgement.ok


def test_instances_share_queue_without_a_second_observation_is_undecided():
    assert summary(t.instances_share_queue((OK, None), {})) == ([], [], ["TOPO-8"])


def test_refused_declaration_keeps_at_most_400_characters_of_output():
    long = REFUSAL.replace("'durable'", "'" + "a" * 500 + "'")
    judgement = s.refused_declaration(long, "nameko-rpc")
    assert len(judgement.findings[0].messages[0]["target_output"]) == 400


def test_readiness_ignores_a_foreign_message_that_came_by_no_known_way():
    judgement = s.readiness([Bare("someone-else")], "rk", "nameko-rpc", ["e1"])
    assert summary(judgement) == ([], [], []) and judgement.value is None
