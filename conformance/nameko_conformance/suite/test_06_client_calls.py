"""The target's own client, seen through the nested call to the kit's probe service (chapters 02, 05, 06, 07).

The request the target's client publishes is judged by the same checks as a port's client driven by its driver
(``oracle.client``); the reply to the kit's call is judged like every reply (``_steps``)."""

import pytest

from nameko_conformance.clientcheck import reply_queue
from nameko_conformance.messages import OMIT

from nameko_conformance.oracle import broker_side, client as clients, names, reply as replies
from nameko_conformance.oracle.evidence import ObservationMissing
from nameko_conformance.suite._steps import at_broker, error_of, reply_to

pytestmark = [pytest.mark.capability("server"), pytest.mark.capability("client")]


def nested_call(peer, probe, service, method="kit_method", args=("n1",), kwargs=None, headers=None):
    """Makes the target call <service>_probe.method and returns the probe's request (as the trace shows it), after
    judging that exactly one request arrived and that the call returned the probe's echo (TESTEE-6). The request
    is judged even when the call never answered; the test ends only when there is no request to look at."""
    mark = probe.mark()
    kwargs = {"k": 1} if kwargs is None else kwargs
    probe_service = f"{service}_probe"
    out = peer.request("call", [probe_service, method, list(args), kwargs],
                       headers=OMIT if headers is None else headers)
    try:
        reply = reply_to(peer, out, requirement="TESTEE-6")
    except ObservationMissing:
        reply = None  # its finding is recorded; what the probe saw can still be judged
    seen = [probe.trace_entry(request) for request in probe.requests_since(mark)]
    for message in seen:
        peer.trace.add(message)
    peer.evidence.apply(clients.one_request_count(seen, f"the target's call of {probe_service}.{method}",
                                                  "TESTEE-6"))
    if reply is not None:
        body = peer.evidence.apply(replies.envelope(reply))
        if body is not None:
            peer.evidence.apply(clients.nested_call_result(body, list(args), kwargs, reply))
    return peer.evidence.need(seen[0] if len(seen) == 1 else None, "exactly one request at the probe service")


def client_reply_queue(peer, request):
    """The queue the broker routed the probe's reply to (the target client's reply queue), from the firehose;
    None without one."""
    reply_key, correlation_id = request.properties.get("reply_to"), request.properties.get("correlation_id")
    if peer.trace.broker is None or not reply_key:
        return None
    publish = at_broker(peer.trace, lambda m: m.exchange == peer.rpc_exchange and m.routing_key == reply_key
                        and m.properties.get("correlation_id") == correlation_id, "the probe's reply")
    if publish is None:
        return None
    queue = peer.evidence.apply(broker_side.reply_queue_of(publish, reply_key))
    if queue is not None:
        peer.trace.seen_by_broker("RPC-CORR-1")
    return queue


@pytest.mark.req("RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-5", "RPC-REQ-9", "TOPO-6",
                 "TESTEE-6", "RPC-CORR-1", "RPC-CORR-7", "RPC-CORR-3", "SER-1", "SEC-1")
def test_nested_request_is_well_formed(peer, probe, service, conformance_session):
    """The target's client publishes to the RPC exchange keyed S.m, JSON {args, kwargs}, reply_to and correlation_id,
    and no broker credentials."""
    request = nested_call(peer, probe, service)
    peer.evidence.apply(clients.request(request, peer.rpc_exchange, f"{service}_probe", "kit_method",
                                        ["n1"], {"k": 1}))
    peer.evidence.apply(replies.no_credentials([request], conformance_session.target.password))
    client_reply_queue(peer, request)


@pytest.mark.req("RPC-REQ-6", "RPC-REQ-7")
def test_nested_request_is_utf8_and_persistent(peer, probe, service):
    """The target's client sets content_encoding utf-8 and delivery_mode 2."""
    request = nested_call(peer, probe, service)
    peer.evidence.apply(clients.request_properties(request))


@pytest.mark.req("RPC-CORR-9", "RPC-CORR-13", "RPC-CORR-12")
def test_nested_correlation_ids_are_unique_uuid4(peer, probe, service):
    """Two calls from one client carry different correlation ids, uuid4 in form; reply_to is a uuid4."""
    first = nested_call(peer, probe, service)
    second = nested_call(peer, probe, service)
    peer.evidence.apply(clients.correlation_ids([first, second]))
    peer.evidence.apply(clients.reply_to_key(first))


@pytest.mark.req("RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6")
def test_reply_queue_is_named_and_expires(peer, probe, service, conformance_session):
    """The client's reply queue is rpc.reply-<client>-<reply_to>, durable, with x-expires 300000."""
    request = nested_call(peer, probe, service)
    reply_key = request.properties.get("reply_to")
    # The firehose names the queue the probe's reply reached, and the broker's bindings name the queue bound with
    # the reply_to (any name the spec allows is then judged); without either the kit tries the name a service's
    # client uses.
    learned = client_reply_queue(peer, request)
    if learned:
        peer.trace.seen_by_broker("RPC-CORR-4")  # the name judged is the one the broker routed the reply to
    view = reply_queue.find(reply_key, (names.reply_queue(service, reply_key),), declaring_through(peer),
                            conformance_session.queue_lister, peer.rpc_exchange, (peer.reply_queue, peer.reply_key),
                            learned)
    peer.evidence.apply(clients.reply_queue(view, reply_key))


def declaring_through(peer):
    """``reply_queue.find``'s declare, on fresh channels of the test's peer (a refusal closes only that channel)."""
    def declare(name, passive=False, **flags):
        result = peer.passive_queue(name) if passive else peer.equivalent_queue(name, **flags)
        return None if result.ok else result.code
    return declare


@pytest.mark.req("CTX-1", "CTX-2", "CTX-6", "CTX-7", "CTX-10")
def test_nested_request_carries_context_and_stack(peer, probe, service):
    """The nested request carries the caller's context unchanged and the worker's stack as an array of strings."""
    headers = {"nameko.call_id_stack": ["kit.root.1"], "nameko.language": "fr", "nameko.kit_token": "t-42",
               "nameko.kit_number": 7}
    request = nested_call(peer, probe, service, headers=headers)
    peer.evidence.apply(clients.worker_stack(request, ["kit.root.1"], service))
    peer.evidence.apply(clients.carried_context(request, headers))
    peer.evidence.apply(clients.context_headers(request, {"language": "fr", "kit_token": "t-42"}))
    peer.evidence.apply(clients.no_void_headers(request))


@pytest.mark.req("CTX-5", "CTX-6")
def test_nested_stack_is_capped(peer, probe, service):
    """A worker with 15 incoming parents sends a stack of 11 entries to the services it calls."""
    incoming = [f"kit.parent.{n}" for n in range(15)]
    request = nested_call(peer, probe, service, headers={"nameko.call_id_stack": incoming})
    peer.evidence.apply(clients.worker_stack(request, incoming, service))


@pytest.mark.req("RPC-CALL-1", "RPC-REQ-8", "TESTEE-11")
def test_unknown_service_fails_fast(peer, service):
    """A nested call to a service nobody serves fails with UnknownService, which returns as an error reply; at the
    broker the target client's request reaches no queue."""
    out = peer.request("call", [f"{service}_nosuch", "anything", [], {}])
    reply = reply_to(peer, out, requirement="RPC-CALL-1")
    request = at_broker(peer.trace, lambda m: m.routing_key == f"{service}_nosuch.anything",
                        f"the target client's request to {service}_nosuch")
    if request is not None:
        peer.evidence.apply(broker_side.unroutable_request(request))
    error = error_of(peer, reply, "UnknownService", "RPC-CALL-1")
    peer.evidence.apply(clients.nested_unknown_service(error, reply))
    if request is not None:
        peer.trace.seen_by_broker("RPC-CALL-1")
