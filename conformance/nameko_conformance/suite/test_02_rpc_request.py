"""How a server takes requests apart (chapter 02)."""

import json

import pytest

from nameko_conformance import verify
from nameko_conformance.messages import OMIT
from nameko_conformance.suite._steps import exactly_one_reply, reply_to

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("RPC-REQ-12", "RPC-REPLY-4", "TESTEE-2")
def test_args_and_kwargs_reach_the_method(peer):
    """Positional args and keyword args arrive as the method's arguments; echo returns them."""
    out = peer.request("echo", [1, "two", [3], {"four": 4}, None, True], {"a": 1.5, "b": {"c": []}})
    result = verify.verify_success(reply_to(peer, out))
    expected = {"args": [1, "two", [3], {"four": 4}, None, True], "kwargs": {"a": 1.5, "b": {"c": []}}}
    if result != expected:
        verify.fail(f"expected echo result {expected!r}, saw {result!r}", ("RPC-REQ-12", "TESTEE-2"))


@pytest.mark.req("RPC-REQ-13", "CTX-8")
def test_minimal_request_is_served(peer):
    """A request with only content_type, reply_to and correlation_id, and no headers, gets a normal reply."""
    out = peer.request("echo", ["minimal"], content_encoding=OMIT, delivery_mode=OMIT, headers=OMIT)
    verify.verify_success(reply_to(peer, out, requirement="RPC-REQ-13"), {"args": ["minimal"], "kwargs": {}})


@pytest.mark.req("RPC-REQ-10")
def test_extra_body_members_are_ignored(peer):
    """Members other than args and kwargs do not change the call."""
    body = json.dumps({"args": ["x"], "kwargs": {}, "extra": {"ignored": True}}).encode()
    out = peer.request("echo", body=body)
    result = verify.verify_success(reply_to(peer, out, requirement="RPC-REQ-10"))
    if result != {"args": ["x"], "kwargs": {}}:
        verify.fail(f"expected the extra member ignored, saw {result!r}", "RPC-REQ-10")


@pytest.mark.req("RPC-REQ-15", "RPC-REPLY-9")
def test_failed_method_is_not_requeued(peer):
    """A request whose method fails gets exactly one error reply and is not redelivered."""
    out = peer.request("raise_error", ["ValueError", "once"])
    reply_to(peer, out)
    exactly_one_reply(peer, out, ("RPC-REQ-15", "RPC-REPLY-9"))
