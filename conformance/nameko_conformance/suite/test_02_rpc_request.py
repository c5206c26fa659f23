"""How a server takes requests apart (chapter 02)."""

import json

import pytest

from nameko_conformance.messages import OMIT
from nameko_conformance.oracle import values
from nameko_conformance.suite._steps import exactly_one_reply, reply_to, success

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("RPC-REQ-12", "RPC-REPLY-4", "TESTEE-2")
def test_args_and_kwargs_reach_the_method(peer):
    """Positional args and keyword args arrive as the method's arguments; echo returns them."""
    # Keys of mixed case and with a hyphen: a server that normalises names loses them.
    args, kwargs = [1, "two", [3], {"four": 4}, None, True], {"a": 1.5, "b": {"c": []}, "MixedCase": "Kept"}
    result = success(peer, reply_to(peer, peer.request("echo", args, kwargs)))
    peer.evidence.apply(values.equal("RPC-REQ-12", "arguments-not-passed", "echo result",
                                     {"args": args, "kwargs": kwargs}, result))
    peer.evidence.apply(values.equal("TESTEE-2", "echo-result", "echo result", {"args": args, "kwargs": kwargs},
                                     result))


@pytest.mark.req("RPC-REQ-13", "CTX-8")
def test_minimal_request_is_served(peer):
    """A request with only content_type, reply_to and correlation_id, and no headers, gets a normal reply."""
    out = peer.request("echo", ["minimal"], content_encoding=OMIT, delivery_mode=OMIT, headers=OMIT)
    result = success(peer, reply_to(peer, out, requirement="RPC-REQ-13"), refused="RPC-REQ-13")
    peer.evidence.apply(values.equal("RPC-REQ-13", "minimal-request", "the echo of a minimal request",
                                     {"args": ["minimal"], "kwargs": {}}, result))
    peer.evidence.apply(values.equal("CTX-8", "request-without-headers", "the echo of a request without headers",
                                     {"args": ["minimal"], "kwargs": {}}, result))


@pytest.mark.req("RPC-REQ-10")
def test_extra_body_members_are_ignored(peer):
    """Members other than args and kwargs do not change the call."""
    body = json.dumps({"args": ["x"], "kwargs": {}, "extra": {"ignored": True}}).encode()
    result = success(peer, reply_to(peer, peer.request("echo", body=body), requirement="RPC-REQ-10"),
                     refused="RPC-REQ-10")
    peer.evidence.apply(values.equal("RPC-REQ-10", "extra-member-used", "the extra member ignored, echo result",
                                     {"args": ["x"], "kwargs": {}}, result))


@pytest.mark.req("RPC-REQ-15", "RPC-REPLY-9")
def test_failed_method_is_not_requeued(peer):
    """A request whose method fails gets exactly one error reply and is not redelivered."""
    out = peer.request("raise_error", ["ValueError", "once"])
    reply_to(peer, out)
    # exactly_one_reply makes a sentinel round trip first: a request requeued after its reply would be redelivered
    # at the head of the queue, and answered again, before the sentinel that came after it.
    exactly_one_reply(peer, out, "RPC-REQ-15")
    peer.evidence.apply(values.holds("RPC-REPLY-9", "reply-count", "exactly one reply to the failing request",
                                     len(peer.replies_for(out.correlation_id)), lambda n: n == 1))
