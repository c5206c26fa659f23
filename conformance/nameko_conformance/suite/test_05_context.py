"""Context headers and call id stacks as a server forms them (chapter 05)."""

import pytest

from nameko_conformance.messages import OMIT

from nameko_conformance.oracle import context as ctx
from nameko_conformance.suite._steps import reply_to, success

pytestmark = pytest.mark.capability("server")


def context_of(peer, headers=OMIT, **properties):
    """What the worker saw: {context, call_id_stack}; the test ends when context() does not say. Without
    ``headers`` the request carries none (CTX-8)."""
    result = success(peer, reply_to(peer, peer.request("context", headers=headers, **properties)))
    return peer.evidence.need(peer.evidence.apply(ctx.context_result(result)), "the worker's context")


@pytest.mark.req("CTX-3", "CTX-14", "CTX-8", "TESTEE-5")
def test_each_request_gets_its_own_call_id(peer, service):
    """Without headers the worker's stack is its own call id alone, unique per request, shaped S.m.<uuid4>."""
    first, second = context_of(peer), context_of(peer)
    peer.evidence.apply(ctx.own_call_ids(first["call_id_stack"], second["call_id_stack"], service, "context"))


@pytest.mark.req("CTX-4")
def test_incoming_stack_is_extended_with_own_call_id(peer):
    """The worker's stack is the incoming nameko.call_id_stack followed by its own call id."""
    incoming = ["kit.root.1", "kit.middle.2"]
    stack = context_of(peer, headers={"nameko.call_id_stack": incoming})["call_id_stack"]
    peer.evidence.apply(ctx.extended_stack(stack, incoming))


@pytest.mark.req("CTX-5")
def test_stack_is_capped_at_ten_parents(peer):
    """An incoming stack of 15 entries leaves the newest 10 plus the worker's own call id."""
    incoming = [f"kit.parent.{n}" for n in range(15)]
    stack = context_of(peer, headers={"nameko.call_id_stack": incoming})["call_id_stack"]
    peer.evidence.apply(ctx.capped_stack(stack, incoming))


@pytest.mark.req("CTX-9")
def test_string_stack_counts_as_one_entry(peer):
    """A nameko.call_id_stack sent as a string counts as a one-element stack."""
    stack = context_of(peer, headers={"nameko.call_id_stack": "kit.single.1"})["call_id_stack"]
    peer.evidence.apply(ctx.string_stack(stack, "kit.single.1"))


@pytest.mark.req("TESTEE-5")
def test_context_data_is_stripped_of_prefix(peer):
    """nameko.<key> headers arrive in the worker's context data as <key>, with their values unchanged: a number
    stays a number, true stays true (spec 13 reports an AMQP integer 7 as 7)."""
    result = context_of(peer, headers={"nameko.language": "en", "nameko.user_id": "kit-user",
                                       "nameko.kit_number": 7, "nameko.kit_flag": True})
    peer.evidence.apply(ctx.context_data(result["context"], {"language": "en", "user_id": "kit-user",
                                                             "kit_number": 7, "kit_flag": True}))


@pytest.mark.req("CTX-13")
def test_unprefixed_header_as_context_data(peer):
    """A header without the nameko. prefix may appear in the context data (informational)."""
    context = context_of(peer, headers={"x-kit-plain": "v"})["context"]
    peer.evidence.apply(ctx.context_data(context, {"x-kit-plain": "v"}, "CTX-13"))
