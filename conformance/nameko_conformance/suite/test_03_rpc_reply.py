"""Where and how replies are published (chapter 03)."""

import pytest

from nameko_conformance import verify
from nameko_conformance.messages import OMIT
from nameko_conformance.suite._steps import at_broker, exactly_one_reply, reply_to

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3", "RPC-REPLY-4", "RPC-REPLY-6", "RPC-REPLY-9", "SER-1")
def test_reply_routes_on_rpc_exchange_with_reply_to_key(peer):
    """The reply goes to the RPC exchange keyed by reply_to, carries the correlation_id, once, as JSON."""
    out = peer.request("echo", ["routing"])
    reply = reply_to(peer, out)
    verify.verify_success(reply, {"args": ["routing"], "kwargs": {}})
    exactly_one_reply(peer, out)


@pytest.mark.req("RPC-REPLY-7")
def test_reply_is_utf8_and_persistent(peer):
    """Replies carry content_encoding utf-8 and delivery_mode 2."""
    reply = reply_to(peer, peer.request("echo"))
    verify.verify_reply_encoding_and_persistence(reply)


@pytest.mark.req("RPC-REPLY-13")
def test_reply_carries_no_context_headers(peer):
    """A request with context headers gets a reply without nameko.* headers."""
    out = peer.request("echo", headers={"nameko.call_id_stack": ["kit.caller.1"], "nameko.language": "en"})
    verify.verify_no_context_headers(reply_to(peer, out))


@pytest.mark.req("RPC-REPLY-2", "MAL-8")
def test_reply_without_correlation_id_when_request_has_none(peer):
    """A request without correlation_id gets a reply without correlation_id."""
    token = "no-correlation-" + peer.reply_key
    peer.request("echo", [token], correlation_id=OMIT)
    reply = peer.wait_for(lambda m: token.encode() in m.body, timeout=10)
    if reply is None:
        verify.fail("expected a reply to a request without correlation_id, saw none", "MAL-8")
    verify.verify_correlation(reply, None)


@pytest.mark.req("RPC-REPLY-8", "MAL-9")
def test_unroutable_reply_does_not_stop_the_server(peer):
    """A request whose reply_to is bound nowhere is consumed, and the server keeps serving; at the broker its reply
    is published and reaches no queue."""
    unbound = "conformance-kit-unbound-" + peer.reply_key
    out = peer.request("echo", ["lost"], reply_to=unbound)
    peer.sentinel(("RPC-REPLY-8", "MAL-9"))
    state = peer.passive_queue(f"rpc-{peer.service}")
    if state.ok and state.message_count:
        verify.fail(f"expected rpc-{peer.service} drained after the sentinel, saw {state}", "RPC-REPLY-8")
    if peer.trace.broker is not None:
        publish = at_broker(peer.trace, lambda m: verify.is_reply_publish(m, out.correlation_id, out.routing_key),
                            f"the reply to {unbound}")
        verify.verify_unroutable_reply_publish(publish, unbound)
        peer.trace.seen_by_broker("RPC-REPLY-8")


@pytest.mark.req("RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-9")
def test_concurrent_callers_get_only_their_own_replies(make_peer):
    """Many calls in flight from several callers: each reply reaches its caller and matches its request."""
    peers = [make_peer() for _ in range(3)]
    sent = {p.reply_key: [p.request("echo", [p.reply_key, n]) for n in range(15)] for p in peers}
    for p in peers:
        for n, out in enumerate(sent[p.reply_key]):
            result = verify.verify_success(reply_to(p, out))
            if result["args"] != [p.reply_key, n]:
                verify.fail(f"expected the reply to carry the caller's own arguments, saw {result!r}", "RPC-REPLY-2")
    for p in peers:
        p.pump(0.05)
        foreign = [m for m in p.received if m.via == "reply queue" and
                   m.properties.get("correlation_id") not in {o.correlation_id for o in sent[p.reply_key]}]
        if foreign:
            verify.fail(f"expected no replies to other callers, saw {len(foreign)}: {foreign[0].summary()}",
                        "RPC-REPLY-1")
        counts = [len(p.replies_for(o.correlation_id)) for o in sent[p.reply_key]]
        if any(c != 1 for c in counts):
            verify.fail(f"expected one reply per request, saw counts {counts}", "RPC-REPLY-9")
