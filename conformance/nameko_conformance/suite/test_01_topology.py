"""Topology: the RPC exchange, the service queue, its flags and its binding (chapter 01)."""

import pytest

from nameko_conformance import verify
from nameko_conformance.suite._steps import call_error


@pytest.mark.req("TOPO-1", "TOPO-2")
def test_rpc_exchange_is_a_durable_topic_exchange(peer):
    """The RPC exchange exists as a durable, non-auto-delete, non-internal topic exchange."""
    result = peer.equivalent_exchange(peer.rpc_exchange, "topic", durable=True)
    if not result.ok:
        verify.fail(f"expected {peer.rpc_exchange!r} topic durable not auto-delete; an equivalent declare got "
                    f"{result}", "TOPO-2")


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-3", "TOPO-8", "TESTEE-1", "TESTEE-10")
def test_service_queue_is_named_rpc_service_and_consumed(peer, service):
    """The service consumes from one queue named rpc-<service>."""
    result = peer.passive_queue(f"rpc-{service}")
    if not result.ok or not result.consumer_count:
        verify.fail(f"expected queue rpc-{service} with a consumer, saw {result}", ("TOPO-3", "TESTEE-1", "TESTEE-10"))


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-4")
def test_service_queue_is_durable_shared_and_plain(peer, service):
    """rpc-<service> is durable, not exclusive, not auto-delete, without arguments."""
    result = peer.equivalent_queue(f"rpc-{service}", durable=True)
    if not result.ok:
        verify.fail(f"expected rpc-{service} durable, not exclusive, not auto-delete, no arguments; an equivalent "
                    f"declare got {result} (406 means different flags, 405 exclusive)", "TOPO-4")


@pytest.mark.capability("server")
@pytest.mark.req("TOPO-5", "RPC-REQ-11", "RPC-ERR-6")
def test_service_binding_routes_one_word_methods_only(peer, service):
    """rpc-<service> receives <service>.<any method> and nothing with more or fewer words."""
    if not peer.is_routable(peer.factory.request("x", routing_key=f"{service}.no_such_method_kit")):
        verify.fail(f"expected {service}.<method> to route to rpc-{service}, the broker returned it", "TOPO-5")
    peer.pump(0.05)
    for key in (f"{service}.echo.extra", f"{service}", f"{service}_other.echo"):
        if peer.is_routable(peer.factory.request("x", routing_key=key, reply_to="conformance-kit-unbound")):
            verify.fail(f"expected {key!r} to be unroutable (binding key exactly {service}.*), a queue took it",
                        "TOPO-5")
    out = peer.request("no_such_method_kit")
    error = call_error(peer, out, "MethodNotFound", "RPC-ERR-6")
    if "no_such_method_kit" not in error["exc_args"]:
        verify.fail(f"expected exc_args holding the method name, saw {error['exc_args']!r}", "RPC-ERR-6")
