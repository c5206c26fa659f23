"""Malformed requests that crash some implementations; they run last so a crash costs only themselves."""

import time

import pytest

from nameko_conformance.messages import OMIT
from nameko_conformance.oracle import names, reply as replies, values
from nameko_conformance.suite._steps import error_of, listed_queue_flags

pytestmark = [pytest.mark.capability("server"), pytest.mark.crash_prone]


@pytest.mark.req("MAL-2", "MAL-9", "MAL-10")
def test_request_without_content_type(peer):
    """A request without content_type yields a MalformedRequest error reply, and serving goes on."""
    out = peer.request("echo", ["no content type"], content_type=OMIT)
    reply = peer.reply_before_sentinel(out, "MAL-2", "a request without content_type")
    error_of(peer, reply, "MalformedRequest", "MAL-2")
    queue = names.service_queue(peer.service)
    peer.evidence.apply(replies.queue_drained(peer.passive_queue(queue), queue, "MAL-10",
                                              "the request without content_type"))


@pytest.mark.req("MAL-5", "MAL-14", "MAL-9")
def test_request_without_reply_to(peer, service, conformance_session):
    """A request without reply_to is consumed without requeueing, its method is not run, and serving goes on.

    Whether the method ran shows only through a side effect: the request asks for dispatch(marker), and a spy queue
    on <service>.events would see the event. Without that exchange (no events-dispatch) MAL-14 is inconclusive,
    never a pass."""
    marker = f"kit_noreply_{peer.reply_key[:8]}"
    exchange = names.events_exchange(service)
    can_witness = peer.passive_exchange(exchange).ok
    if can_witness:
        peer.spy(exchange, [marker])
    peer.request("dispatch", [marker, {}], reply_to=OMIT)
    served = peer.sentinel("MAL-9", stop=False)  # a target that died still shows what it left in its queue
    sentinel_answered = time.monotonic()
    launched = getattr(conformance_session, "launched", None)
    if served is not None and launched is not None:
        # A target may answer the sentinel and die just after (nameko's container does): give it a moment.
        deadline = time.monotonic() + 1.0
        while launched.alive() and time.monotonic() < deadline:
            peer.pump(0.1)
        if not launched.alive():
            served = None
    other = next((f for f in peer.evidence.findings if f.requirement not in ("MAL-9", "MAL-5")), None)
    if served is None and other is not None:  # the sentinel's reply went wrong for another reason
        peer.evidence.undecided("MAL-5", f"masked by {other.code}")
    else:
        peer.evidence.apply(values.holds("MAL-5", "stopped-serving", "serving on after a request without reply_to",
                                         "no reply to a later echo" if served is None else "served",
                                         lambda s: s == "served"))
    queue = names.service_queue(service)
    peer.evidence.apply(replies.queue_drained(peer.passive_queue(queue), queue, "MAL-5",
                                              "the request without reply_to"))
    if served is not None:  # a live server that holds it, or requeues it over and over, shows only at the broker
        listed, _ = listed_queue_flags(conformance_session, peer)
        peer.evidence.apply(replies.queue_settled(listed, queue, "MAL-5", "the request without reply_to"))
    if can_witness:
        peer.pump(max(0.0, 0.3 - (time.monotonic() - sentinel_answered)))  # the event's grace overlaps the wait above
        dispatched = [m for m in peer.received if m.via == f"spy:{exchange}"]
        peer.evidence.apply(values.holds("MAL-14", "method-invoked", "the method of a request without reply_to not "
                                         "invoked (no event from its dispatch)", len(dispatched), lambda n: n == 0))
    else:
        peer.evidence.undecided("MAL-14", f"whether the method ran shows only through its event, and {exchange} "
                                          f"does not exist (the target declares no events-dispatch)")
