"""The fuzz properties against a target: echo round trips, invalid raw bodies, context propagation.

Each check publishes its example (the echo property: a batch of requests back to back) and a sentinel echo right
behind it, then judges each reply and proves with the sentinel's reply that the target still answers (MAL-9,
MAL-12). Pipelining keeps one broker round trip per example however many messages it holds. Every reply goes
through the oracle's reply checks, as in the regular suite; the checks hand their judgements to the runner
(``context.judge``), which ends the example at a finding so Hypothesis can shrink it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from nameko_conformance.fuzz.canonical import REQUIREMENT_LEVELS, compare
from nameko_conformance.fuzz.link import FuzzLink
from nameko_conformance.fuzz.raw_json import MALFORMED_REQUEST, SUCCESS, RawJsonCase
from nameko_conformance.fuzz.runner import ExampleContext
from nameko_conformance.oracle import reply as replies, strict_json
from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.trace import Seen

REPLY_TIMEOUT = 5.0
NO_REPLY_GRACE = 0.5   # after the sentinel's reply, how long a reply published before it may still be in flight
STACK_CAP = 10         # CTX-5: parents kept
NO_REPLY = "none"
REFUSABLE_DEPTH = 32   # a valid body nested deeper may be refused with MalformedRequest (CONN-13 sets no bound)
# What the echo comparison examines: member order carries no meaning (SER-6); the rest as canonical tags them.
ECHO_REQUIREMENTS = tuple(REQUIREMENT_LEVELS) + ("SER-6",)


def reply_kind(reply: Seen | None) -> tuple[str, Any]:
    """(outcome, detail): ``success`` with the result, an error's exc_type with the error, ``none``, or
    ``undecodable`` with the body."""
    if reply is None:
        return NO_REPLY, None
    try:
        body = json.loads(reply.body.decode("utf-8"))
    except ValueError:
        return "undecodable", reply.body[:200]
    if not isinstance(body, dict) or set(body) != {"result", "error"}:
        return "undecodable", body
    if body["error"] is None:
        return SUCCESS, body["result"]
    error = body["error"]
    return (error.get("exc_type") if isinstance(error, dict) else repr(error)), error


def judge_reply(link: FuzzLink, out, reply: Seen) -> Judgement:
    """Everything the suite checks on any reply: routing (RPC-REPLY-1), correlation (RPC-REPLY-2), content type
    (RPC-REPLY-6), and a strict JSON envelope valid against the reply schema (RPC-REPLY-3, SER-1/3/7/8)."""
    check = Check()
    check.merge(replies.routing(reply, link.reply_key, link.rpc_exchange))
    check.merge(replies.correlation(reply, out.correlation_id))
    check.merge(replies.content_type(reply, out.properties.get("content_type") or "application/json"))
    envelope = replies.envelope(reply)
    request_value, _ = strict_json.decode(out.body)
    if request_value is not None and strict_json.tagged_object(request_value) is not None:
        # echo returns a tagged object it was sent unchanged (SER-9); SER-8 is about what a sender makes up
        envelope = Judgement(envelope.examined - {"SER-8"},
                             tuple(f for f in envelope.findings if f.requirement != "SER-8"),
                             envelope.value, envelope.inconclusive)
    check.merge(envelope)
    return check.done()


def send_batch_with_sentinel(link: FuzzLink, context: ExampleContext, outs: list, liveness: str) -> list:
    """Publishes ``outs`` back to back, then a sentinel echo; returns their replies in order (None for a message
    the target did not answer), each judged by the oracle's reply checks. The sentinel's reply must be that echo's
    own correct reply (``liveness``); a missing reply when replies with unknown correlation ids came is charged to
    RPC-REPLY-2."""
    for out in outs:
        context.sent = link.send(out)
    token = f"sentinel-{outs[-1].correlation_id}"
    sentinel = link.send(link.factory.request("echo", [token]))
    expected = [out.correlation_id for out in outs]
    sentinel_seen_at = None

    def settled() -> bool:
        nonlocal sentinel_seen_at
        if not link.has_reply(sentinel.correlation_id):
            return False
        if all(link.has_reply(correlation_id) for correlation_id in expected):
            return True
        # A target may answer concurrently, so a reply published before the sentinel's may still be in flight.
        sentinel_seen_at = sentinel_seen_at or time.monotonic()
        return time.monotonic() - sentinel_seen_at >= NO_REPLY_GRACE

    link.wait_until(settled, REPLY_TIMEOUT)
    replies_seen = [link.pop_reply(correlation_id) for correlation_id in expected]
    sentinel_reply = link.pop_reply(sentinel.correlation_id)
    strays = link.take_strays(link.sent_ids)
    for out, reply in zip(outs, replies_seen):
        if reply is not None:
            context.sent = out
            context.judge(judge_reply(link, out, reply))
    if sentinel_reply is None:
        unanswered = [out for out, reply in zip(outs, replies_seen) if reply is None]
        context.sent = unanswered[0] if unanswered else outs[-1]
        context.outcome = "no reply to the sentinel echo published after the example"
        if strays:
            context.judge(replies.missing_reply(sentinel.correlation_id, "the sentinel echo", "", strays, liveness))
    else:
        context.judge(judge_reply(link, sentinel, sentinel_reply))
    context.judge(replies.still_serving(sentinel_reply, token, liveness))
    if strays and any(reply is None for reply in replies_seen):
        missing = next(out for out, reply in zip(outs, replies_seen) if reply is None)
        context.sent = missing
        context.judge(replies.missing_reply(missing.correlation_id, missing.routing_key,
                                            f"within {REPLY_TIMEOUT:.0f} s", strays, "RPC-REPLY-9"))
    return replies_seen


def send_with_sentinel(link: FuzzLink, context: ExampleContext, out, liveness: str) -> Seen | None:
    """Publishes ``out`` then a sentinel echo; returns the reply to ``out`` (None when the target gave none)."""
    return send_batch_with_sentinel(link, context, [out], liveness)[0]


def check_echo(link: FuzzLink, body: dict, ensure_ascii: bool, context: ExampleContext) -> None:
    """A valid request's args and kwargs come back from echo unchanged (TESTEE-2, SER-2, SER-4, SER-5, SER-13)."""
    check_echo_batch(link, [(body, ensure_ascii)], context)


def check_echo_batch(link: FuzzLink, examples: list, context: ExampleContext) -> None:
    """Every (body, ensure_ascii) of ``examples`` is published back to back, then each reply is judged in order:
    args and kwargs come back unchanged. A failure names the message whose reply broke the property."""
    raws = [json.dumps(body, ensure_ascii=ensure_ascii, allow_nan=False).encode("utf-8")
            for body, ensure_ascii in examples]
    outs = [link.factory.request("echo", body=raw) for raw in raws]
    replies_seen = send_batch_with_sentinel(link, context, outs, "MAL-12")
    for (body, _), raw, out, reply in zip(examples, raws, outs, replies_seen):
        context.sent = out
        _judge_echo(body, raw, reply, context)


def nesting_depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _judge_echo(body: dict, raw: bytes, reply: Seen | None, context: ExampleContext) -> None:
    kind, detail = reply_kind(reply)
    context.outcome = f"{kind}: {detail!r}"[:300]
    if kind == MALFORMED_REQUEST and nesting_depth(body) > REFUSABLE_DEPTH:
        # CONN-13: a server may bound the nesting it decodes and refuse a deeper body with MalformedRequest; the
        # spec names no bound, so echoing such a body is not demanded.
        context.judge(Check("CONN-13").done())
        return
    if kind != SUCCESS:
        requirement = "RPC-REPLY-9" if kind == NO_REPLY else "TESTEE-2"
        context.judge(Check(requirement, "MAL-12").fail(
            requirement, "no-reply" if kind == NO_REPLY else "echo-not-success",
            f"a success reply from echo for a valid request of {len(raw)} bytes", kind, reply).done())
    differences = compare({"args": body["args"], "kwargs": body["kwargs"]}, detail)
    must = Check(*ECHO_REQUIREMENTS)
    should = Check()
    for difference in differences:
        target = must if difference.level == "MUST" else should
        target.fail(difference.requirement, "echo-changed", "echo to return args and kwargs unchanged",
                    difference.describe(), reply)
    context.judge(must.done())
    context.judge(should.done(), soft=True)


def check_invalid_body(link: FuzzLink, case: RawJsonCase, must_requirements: tuple[str, ...],
                       context: ExampleContext) -> None:
    """An invalid raw body gets one of the outcomes the spec allows, and the target keeps serving (MAL-9)."""
    out = link.factory.request("echo", body=case.body)
    reply = send_with_sentinel(link, context, out, "MAL-9")
    kind, detail = reply_kind(reply)
    context.outcome = f"{kind}: {detail!r}"[:300]
    requirements = must_requirements or case.outcome_requirements
    check = Check(*requirements)
    if kind not in case.allowed_outcomes:
        check.fail(requirements[0], "outcome-not-allowed", f"{' or '.join(case.allowed_outcomes)} for the invalid "
                   f"body {case.id} ({case.description})", kind, reply)
    context.judge(check.done())


def check_context(link: FuzzLink, headers: dict, context: ExampleContext) -> None:
    """Context headers reach the worker: context() reports the data and the stack as CTX-4 and CTX-5 say."""
    out = link.factory.request("context", headers=headers)
    reply = send_with_sentinel(link, context, out, "MAL-9")
    kind, detail = reply_kind(reply)
    context.outcome = f"{kind}: {detail!r}"[:300]
    check = Check("TESTEE-5")
    if kind != SUCCESS or not isinstance(detail, dict) or "context" not in detail:
        check.fail("TESTEE-5", "context-reply", "context() to return {context, call_id_stack}",
                   f"{kind}: {short(detail)}", reply)
        context.judge(check.done())
    data = {key[len("nameko."):]: value for key, value in headers.items()
            if key.startswith("nameko.") and key != "nameko.call_id_stack"}
    differences = compare(data, detail["context"])
    if differences:
        check.fail("TESTEE-5", "context-data", "the worker's context data to be the request's nameko.* headers",
                   differences[0].describe(), reply)
    incoming = headers.get("nameko.call_id_stack") or []
    stack = detail.get("call_id_stack")
    requirement = "CTX-5" if len(incoming) > STACK_CAP else "CTX-4"
    check.examine(requirement)
    if not isinstance(stack, list) or stack[:-1] != incoming[-STACK_CAP:]:
        check.fail(requirement, "worker-stack", f"the worker's stack to be the newest {STACK_CAP} incoming entries "
                   f"{short(incoming[-STACK_CAP:])} followed by its own call id", short(stack), reply)
    context.judge(check.done())
