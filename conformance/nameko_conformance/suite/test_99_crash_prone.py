"""Malformed requests that crash some implementations; they run last so a crash costs only themselves."""

import pytest

from nameko_conformance import verify
from nameko_conformance.messages import OMIT

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("MAL-2", "MAL-9", "MAL-10")
def test_request_without_content_type(peer):
    """A request without content_type yields a MalformedRequest error reply, and serving goes on."""
    out = peer.request("echo", ["no content type"], content_type=OMIT)
    reply = peer.reply_before_sentinel(out, "MAL-2", "a request without content_type")
    verify.verify_error_reply(reply, "MalformedRequest", "MAL-2")


@pytest.mark.req("MAL-5", "MAL-14", "MAL-9")
def test_request_without_reply_to(peer, service, conformance_session):
    """A request without reply_to is consumed without requeueing, its method is not run, and serving goes on."""
    marker = None
    if "events-dispatch" in conformance_session.target.capabilities and peer.passive_exchange(f"{service}.events").ok:
        marker = f"kit_noreply_{peer.reply_key[:8]}"
        peer.spy(f"{service}.events", [marker])
        peer.request("dispatch", [marker, {}], reply_to=OMIT)
    else:
        peer.request("echo", ["no reply_to"], reply_to=OMIT)
    peer.sentinel(("MAL-5", "MAL-9"))
    state = peer.passive_queue(f"rpc-{service}")
    if state.ok and state.message_count:
        verify.fail(f"expected the request without reply_to consumed, rpc-{service} holds {state}", "MAL-5")
    if marker and any(m.via == f"spy:{service}.events" for m in peer.received):
        verify.fail("expected the method of a request without reply_to not invoked, saw its event", "MAL-14")
