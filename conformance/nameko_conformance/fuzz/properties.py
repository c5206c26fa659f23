"""The fuzz properties against a target: echo round trips, invalid raw bodies, context propagation.

Each check publishes its example (the echo property: a batch of requests back to back) and a sentinel echo right
behind it, then judges each reply and proves with the sentinel's reply that the target still answers (MAL-9,
MAL-12). Pipelining keeps one broker round trip per example however many messages it holds. Checks raise
``ConformanceFailure`` naming the requirement broken.
"""

from __future__ import annotations

import json
import time
from typing import Any

from nameko_conformance.fuzz.canonical import compare
from nameko_conformance.fuzz.link import FuzzLink
from nameko_conformance.fuzz.raw_json import SUCCESS, RawJsonCase
from nameko_conformance.fuzz.runner import ExampleContext
from nameko_conformance.outcomes import ConformanceFailure
from nameko_conformance.trace import Seen

REPLY_TIMEOUT = 5.0
NO_REPLY_GRACE = 0.5   # after the sentinel's reply, how long a reply published before it may still be in flight
STACK_CAP = 10         # CTX-5: parents kept
NO_REPLY = "none"


def _fail(message: str, *requirements: str) -> None:
    raise ConformanceFailure(message, requirements)


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


def send_batch_with_sentinel(link: FuzzLink, context: ExampleContext, outs: list, liveness: str) -> list:
    """Publishes ``outs`` back to back, then a sentinel echo; returns their replies in order (None for a message
    the target did not answer). Fails with ``liveness`` when the sentinel gets no reply."""
    for out in outs:
        context.sent = link.send(out)
    sentinel = link.send(link.factory.request("echo", [f"sentinel-{outs[-1].correlation_id}"]))
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
    replies = [link.pop_reply(correlation_id) for correlation_id in expected]
    if link.pop_reply(sentinel.correlation_id) is None:
        unanswered = [out for out, reply in zip(outs, replies) if reply is None]
        context.sent = unanswered[0] if unanswered else outs[-1]
        context.outcome = "no reply to the sentinel echo published after the example"
        _fail(f"expected the target to go on answering after this example, saw no reply to an echo published "
              f"right after it within {REPLY_TIMEOUT:.0f} s", liveness)
    return replies


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
    replies = send_batch_with_sentinel(link, context, outs, "MAL-12")
    for (body, _), raw, out, reply in zip(examples, raws, outs, replies):
        context.sent = out
        _judge_echo(body, raw, reply, context)


def _judge_echo(body: dict, raw: bytes, reply: Seen | None, context: ExampleContext) -> None:
    kind, detail = reply_kind(reply)
    context.outcome = f"{kind}: {detail!r}"[:300]
    if kind != SUCCESS:
        _fail(f"expected a success reply from echo for a valid request of {len(raw)} bytes, saw {kind}",
              "RPC-REPLY-9" if kind == NO_REPLY else "TESTEE-2", "MAL-12")
    differences = compare({"args": body["args"], "kwargs": body["kwargs"]}, detail)
    must = [d for d in differences if d.level == "MUST"]
    if must:
        _fail(f"expected echo to return args and kwargs unchanged, saw {len(differences)} difference(s): "
              f"{must[0].describe()}", *dict.fromkeys(d.requirement for d in must))
    if differences:
        context.soft_fail(ConformanceFailure(
            f"expected echo to return args and kwargs unchanged, saw {differences[0].describe()}",
            tuple(dict.fromkeys(d.requirement for d in differences))))


def check_invalid_body(link: FuzzLink, case: RawJsonCase, must_requirements: tuple[str, ...],
                       context: ExampleContext) -> None:
    """An invalid raw body gets one of the outcomes the spec allows, and the target keeps serving (MAL-9)."""
    out = link.factory.request("echo", body=case.body)
    reply = send_with_sentinel(link, context, out, "MAL-9")
    kind, detail = reply_kind(reply)
    context.outcome = f"{kind}: {detail!r}"[:300]
    allowed = case.allowed_outcomes
    if kind not in allowed:
        _fail(f"expected {' or '.join(allowed)} for the invalid body {case.id} ({case.description}), saw {kind}",
              *(must_requirements or case.outcome_requirements))


def check_context(link: FuzzLink, headers: dict, context: ExampleContext) -> None:
    """Context headers reach the worker: context() reports the data and the stack as CTX-4 and CTX-5 say."""
    out = link.factory.request("context", headers=headers)
    reply = send_with_sentinel(link, context, out, "MAL-9")
    kind, detail = reply_kind(reply)
    context.outcome = f"{kind}: {detail!r}"[:300]
    if kind != SUCCESS or not isinstance(detail, dict) or "context" not in detail:
        _fail(f"expected context() to return {{context, call_id_stack}}, saw {kind}: {detail!r}"[:300], "TESTEE-5")
    data = {key[len("nameko."):]: value for key, value in headers.items()
            if key.startswith("nameko.") and key != "nameko.call_id_stack"}
    differences = compare(data, detail["context"])
    if differences:
        _fail(f"expected the worker's context data to be the request's nameko.* headers, saw "
              f"{differences[0].describe()}", "TESTEE-5")
    incoming = headers.get("nameko.call_id_stack") or []
    stack = detail.get("call_id_stack")
    if not isinstance(stack, list) or stack[:-1] != incoming[-STACK_CAP:]:
        _fail(f"expected the worker's stack to be the newest {STACK_CAP} incoming entries {incoming[-STACK_CAP:]!r} "
              f"followed by its own call id, saw {stack!r}", "CTX-5" if len(incoming) > STACK_CAP else "CTX-4")
