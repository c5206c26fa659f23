"""The testee contract methods the other chapters rely on (chapter 13)."""

import time
import uuid
from dataclasses import replace

import pytest

from nameko_conformance.launcher import LaunchedTarget
from nameko_conformance.oracle import names, values
from nameko_conformance.outcomes import KitFault
from nameko_conformance.session import delete_service_topology
from nameko_conformance.suite._steps import call_ok

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("TESTEE-4")
def test_sleep_waits_and_returns_seconds(peer):
    """sleep(s) returns s after at least s seconds."""
    started = time.monotonic()
    result = call_ok(peer, "sleep", 0.2)
    elapsed = time.monotonic() - started
    peer.evidence.apply(values.equal("TESTEE-4", "sleep-result", "sleep(0.2) returning", 0.2, result))
    peer.evidence.apply(values.holds("TESTEE-4", "sleep-too-short", "the reply after at least 0.2 s",
                                     round(elapsed, 3), lambda e: e >= 0.19))


OTHER_EXCHANGE_WAIT = 15.0  # a testee that serves at all answers within this once it honours the exchange


@pytest.mark.req("TESTEE-10")
def test_testee_takes_its_exchange_from_the_environment(peer, service, conformance_session):
    """Started again with NAMEKO_CONFORMANCE_RPC_EXCHANGE naming another exchange (and another service name), the
    testee serves echo there. The rest of the run shows it takes the broker and the service name from the
    environment; only this shows it takes the exchange too (a port that hard-codes nameko-rpc would be untestable
    by a kit that ran it on its own exchange, and breaks TOPO-1's shared configuration)."""
    command = conformance_session.command
    if command is None:
        peer.evidence.undecided("TESTEE-10", "needs a target command to start it with another exchange (--target-cmd)")
        return
    other = replace(conformance_session.target, service=f"{service}_x",
                    rpc_exchange=f"conformance-kit-x-{uuid.uuid4().hex[:10]}")
    instance = LaunchedTarget(command, other)
    # Every participant declares the RPC exchange (TOPO-2), but a port may rely on it existing (girolle binds without
    # declaring): as in a deployment, it is there before the service starts.
    peer.equivalent_exchange(other.rpc_exchange, "topic", durable=True)
    try:
        instance.start(OTHER_EXCHANGE_WAIT)
        served = f"echo answered on {other.rpc_exchange}"
    except KitFault as exc:
        served = str(exc).splitlines()[0]
        on_default = peer.is_routable(peer.factory.request("echo", routing_key=names.request_key(other.service, "echo"),
                                                           reply_to="conformance-kit-unbound"))
        if on_default and peer.rpc_exchange != other.rpc_exchange:
            served += f"; its service queue is bound to {peer.rpc_exchange} instead"
    finally:
        instance.stop()
        # A client declares its reply queue when it starts (nameko does): the broker's list names it, if there is one.
        delete_service_topology(other, listed=conformance_session.queue_lister.flags(peer.reply_queue) or ())
        peer.delete_exchange(other.rpc_exchange)  # the kit's own, unlike nameko-rpc: even with a binding left
    peer.evidence.apply(values.holds(
        "TESTEE-10", "exchange-not-from-environment",
        f"a testee started with NAMEKO_CONFORMANCE_RPC_EXCHANGE={other.rpc_exchange} serving echo there", served,
        lambda text: text.startswith("echo answered")))
