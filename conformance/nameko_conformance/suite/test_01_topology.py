"""Topology: the RPC exchange, the service queue, its flags and its binding (chapter 01)."""

import time

import pytest

from nameko_conformance.launcher import LaunchedTarget
from nameko_conformance.oracle import names, reply as replies, topology, values
from nameko_conformance.suite._steps import call_error, call_ok, listed_queue_flags

# The declarations TOPO-4 allows for rpc-S, tried one after the other as equivalent declares.
SERVICE_QUEUE_DECLARATIONS = {"classic, durable, no arguments": None,
                              "quorum": {"x-queue-type": "quorum"}}


@pytest.mark.req("TOPO-1", "TOPO-2")
def test_rpc_exchange_is_a_durable_topic_exchange(peer):
    """The RPC exchange exists as a durable, non-auto-delete, non-internal topic exchange."""
    result = peer.equivalent_exchange(peer.rpc_exchange, "topic", durable=True)
    peer.evidence.apply(topology.rpc_exchange(result, peer.rpc_exchange))


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-3", "TESTEE-1", "TESTEE-10")
def test_service_queue_is_named_rpc_service_and_consumed(peer, service):
    """The service consumes from one queue named rpc-<service>."""
    peer.evidence.apply(topology.service_queue_consumed(peer.passive_queue(names.service_queue(service)), service))


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-4")
def test_service_queue_is_durable_shared_and_plain(peer, service):
    """rpc-<service> is durable, not exclusive, not auto-delete, without arguments (or a quorum queue)."""
    queue = names.service_queue(service)
    # An equivalent declare of a missing queue would create it: look first.
    found = peer.passive_queue(queue)
    peer.evidence.apply(topology.service_queue_exclusive(found, service))
    peer.evidence.need(found.ok or None, f"the queue {queue}")
    results = {what: peer.equivalent_queue(queue, durable=True, arguments=arguments)
               for what, arguments in SERVICE_QUEUE_DECLARATIONS.items()}
    peer.evidence.apply(topology.service_queue_flags(results, service))


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-5", "RPC-REQ-11", "RPC-ERR-6")
def test_service_binding_routes_one_word_methods_only(peer, service):
    """rpc-<service> receives <service>.<any method> and nothing with more or fewer words."""
    keys = [names.request_key(service, "no_such_method_kit"), f"{service}.echo.extra", service, f"{service}_other.echo"]
    routable = {key: peer.is_routable(peer.factory.request("x", routing_key=key, reply_to="conformance-kit-unbound"))
                for key in keys}
    peer.evidence.apply(topology.binding_routes(routable, service))
    peer.pump(0.05)
    error = call_error(peer, peer.request("no_such_method_kit"), "MethodNotFound", "RPC-ERR-6")
    peer.evidence.apply(values.holds("RPC-REQ-11", "method-from-key", "exc_args naming the method of the routing key",
                                     error.get("exc_args"), lambda a: "no_such_method_kit" in a))


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-8")
def test_two_instances_share_the_service_queue(peer, service, conformance_session):
    """A second instance of the service consumes from the same rpc-<service>, and each request is answered once."""
    command = conformance_session.command
    if command is None:
        peer.evidence.undecided("TOPO-8", "needs a target command to start a second instance (--target-cmd)")
        return
    queue = names.service_queue(service)
    before = peer.passive_queue(queue)
    second = LaunchedTarget(command, conformance_session.target).start()
    try:
        after = before
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            after = peer.passive_queue(queue)
            if after.ok and before.ok and (after.consumer_count or 0) > (before.consumer_count or 0):
                break
            peer.pump(0.1)
        peer.evidence.apply(topology.instances_share_queue((before, after), {}))
        outs = [peer.request("echo", [n]) for n in range(10)]
        peer.sentinel("TOPO-8")
        for out in outs:
            peer.evidence.apply(replies.exactly_one(peer.replies_for(out.correlation_id), out.routing_key, "TOPO-8"))
    finally:
        second.stop()


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-10")
def test_no_queue_is_transient_and_shared(peer, service, conformance_session):
    """None of the service's queues is both non-durable and non-exclusive (seen in the broker's own list)."""
    call_ok(peer, "echo", "queues in place")
    listed, unavailable = listed_queue_flags(conformance_session, peer)
    peer.evidence.apply(topology.no_transient_shared_queues(listed, service, unavailable))


@pytest.mark.capability("server")
@pytest.mark.req("RPC-REQ-16", "TOPO-11")
def test_service_queue_is_consumed_with_a_bounded_prefetch_per_consumer(peer, service, conformance_session):
    """The broker's consumer list shows rpc-<service> consumed with a positive prefetch_count, set per consumer
    (no global QoS on its channel)."""
    queue = names.service_queue(service)
    lister = conformance_session.queue_lister
    qos = lister.consumer_qos(queue, peer.reply_queue)
    peer.evidence.apply(topology.consumer_qos(qos, queue, lister.why_none))
