"""Context headers and call id stacks as a server forms them (chapter 05)."""

import re

import pytest

from nameko_conformance import verify
from nameko_conformance.suite._steps import reply_to

pytestmark = pytest.mark.capability("server")
CALL_ID = re.compile(r"^(?P<service>[^.]+)\.(?P<method>[^.]+)\.(?P<uuid>[0-9a-f-]{36})$")


def context_of(peer, headers=None, **properties):
    out = peer.request("context", headers=headers, **properties)
    result = verify.verify_success(reply_to(peer, out))
    if not isinstance(result, dict) or "context" not in result or "call_id_stack" not in result:
        verify.fail(f"expected context() to return {{context, call_id_stack}}, saw {result!r}", "TESTEE-5")
    return result


@pytest.mark.req("CTX-3", "CTX-14", "CTX-8", "TESTEE-5")
def test_each_request_gets_its_own_call_id(peer, service):
    """Without headers the worker's stack is its own call id alone, unique per request, shaped S.m.<uuid4>."""
    first, second = context_of(peer), context_of(peer)
    for result in (first, second):
        stack = verify.verify_call_id_stack(result["call_id_stack"], "TESTEE-5")
        if len(stack) != 1:
            verify.fail(f"expected a one-entry stack for a request without headers, saw {stack!r}", "CTX-8")
    if first["call_id_stack"] == second["call_id_stack"]:
        verify.fail(f"expected distinct call ids for two requests, saw {first['call_id_stack']!r} twice", "CTX-3")
    match = CALL_ID.match(first["call_id_stack"][0])
    if not match or match["service"] != service or match["method"] != "context" or not verify.is_uuid4(match["uuid"]):
        verify.fail(f"expected call id '{service}.context.<uuid4>', saw {first['call_id_stack'][0]!r}", "CTX-14")


@pytest.mark.req("CTX-4")
def test_incoming_stack_is_extended_with_own_call_id(peer):
    """The worker's stack is the incoming nameko.call_id_stack followed by its own call id."""
    incoming = ["kit.root.1", "kit.middle.2"]
    stack = context_of(peer, headers={"nameko.call_id_stack": incoming})["call_id_stack"]
    if stack[:-1] != incoming or len(stack) != 3:
        verify.fail(f"expected {incoming!r} + [own call id], saw {stack!r}", "CTX-4")


@pytest.mark.req("CTX-5")
def test_stack_is_capped_at_ten_parents(peer):
    """An incoming stack of 15 entries leaves the newest 10 plus the worker's own call id."""
    incoming = [f"kit.parent.{n}" for n in range(15)]
    stack = context_of(peer, headers={"nameko.call_id_stack": incoming})["call_id_stack"]
    if len(stack) != 11 or stack[:-1] != incoming[-10:]:
        verify.fail(f"expected the last 10 parents + own id (11 entries), saw {len(stack)}: {stack!r}", "CTX-5")


@pytest.mark.req("CTX-9")
def test_string_stack_counts_as_one_entry(peer):
    """A nameko.call_id_stack sent as a string counts as a one-element stack."""
    stack = context_of(peer, headers={"nameko.call_id_stack": "kit.single.1"})["call_id_stack"]
    if stack[:-1] != ["kit.single.1"]:
        verify.fail(f"expected ['kit.single.1', <own id>], saw {stack!r}", "CTX-9")


@pytest.mark.req("TESTEE-5")
def test_context_data_is_stripped_of_prefix(peer):
    """nameko.<key> headers arrive in the worker's context data as <key>."""
    result = context_of(peer, headers={"nameko.language": "en", "nameko.user_id": "kit-user"})
    context = result["context"]
    if context.get("language") != "en" or context.get("user_id") != "kit-user":
        verify.fail(f"expected context language 'en' and user_id 'kit-user', saw {context!r}", "TESTEE-5")


@pytest.mark.req("CTX-13")
def test_unprefixed_header_as_context_data(peer):
    """A header without the nameko. prefix may appear in the context data (informational)."""
    context = context_of(peer, headers={"x-kit-plain": "v"})["context"]
    if context.get("x-kit-plain") != "v":
        verify.fail(f"the target does not treat unprefixed headers as context data: {context!r}", "CTX-13")
