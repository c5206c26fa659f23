"""The fuzz properties against a target: echo round trips, invalid raw bodies, context propagation.

Each check publishes one example and a sentinel echo right behind it, then judges the example's reply and
proves with the sentinel's reply that the target still answers (MAL-9, MAL-12). Pipelining the sentinel keeps
one broker round trip per example. Checks raise ``ConformanceFailure`` naming the requirement broken.
"""

from __future__ import annotations

import json
from typing import Any

from nameko_conformance.fuzz.canonical import compare
from nameko_conformance.fuzz.link import FuzzLink
from nameko_conformance.fuzz.raw_json import MALFORMED_REQUEST, SUCCESS, RawJsonCase
from nameko_conformance.fuzz.runner import ExampleContext
from nameko_conformance.outcomes import ConformanceFailure
from nameko_conformance.trace import Seen

REPLY_TIMEOUT = 5.0
NO_REPLY_GRACE = 0.2   # after the sentinel's reply, how long a reply published before it may still be in flight
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


def send_with_sentinel(link: FuzzLink, context: ExampleContext, out, liveness: str) -> Seen | None:
    """Publishes ``out`` then a sentinel echo; returns the reply to ``out`` (None when the target gave none)."""
    context.sent = link.send(out)
    token = f"sentinel-{out.correlation_id}"
    sentinel = link.send(link.factory.request("echo", [token]))
    reply = link.take(out.correlation_id, REPLY_TIMEOUT)
    sentinel_reply = link.take(sentinel.correlation_id, REPLY_TIMEOUT if reply is not None else REPLY_TIMEOUT)
    if sentinel_reply is None:
        context.outcome = "no reply to the sentinel echo published after the example"
        _fail(f"expected the target to go on answering after this example, saw no reply to an echo published "
              f"right after it within {REPLY_TIMEOUT:.0f} s", liveness)
    if reply is None:
        reply = link.take(out.correlation_id, NO_REPLY_GRACE)
    return reply


def check_echo(link: FuzzLink, body: dict, ensure_ascii: bool, context: ExampleContext) -> None:
    """A valid request's args and kwargs come back from echo unchanged (TESTEE-2, SER-2, SER-4, SER-5, SER-13)."""
    raw = json.dumps(body, ensure_ascii=ensure_ascii, allow_nan=False).encode("utf-8")
    out = link.factory.request("echo", body=raw)
    reply = send_with_sentinel(link, context, out, "MAL-12")
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
