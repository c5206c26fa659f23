"""Checks on call id stacks and context data as a server forms them for its worker (chapter 05)."""

from __future__ import annotations

import re
from typing import Any

from nameko_conformance.oracle import names
from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.oracle.values import unchanged

CALL_ID = re.compile(r"^(?P<service>[^.]+)\.(?P<method>[^.]+)\.(?P<uuid>[0-9a-f-]{36})$")
MAX_PARENTS = 10


def context_result(result: Any) -> Judgement:
    """TESTEE-5: context() returns {context: object, call_id_stack: array of strings}; the result, or None."""
    check = Check("TESTEE-5")
    if not (isinstance(result, dict) and isinstance(result.get("context"), dict)
            and isinstance(result.get("call_id_stack"), list)
            and all(isinstance(e, str) for e in result["call_id_stack"])):
        check.fail("TESTEE-5", "context-result", "context() returning {context: {…}, call_id_stack: [strings]}",
                   short(result))
        return check.done(None)
    return check.done(result)


def own_call_ids(first: list, second: list, service: str, method: str) -> Judgement:
    """CTX-8 (no headers: a one-entry stack), CTX-3 (unique per request), CTX-14 (S.m.<uuid4>)."""
    check = Check("CTX-8", "CTX-3", "CTX-14")
    for stack in (first, second):
        if len(stack) != 1:
            check.fail("CTX-8", "stack-without-headers", "a one-entry stack for a request without headers",
                       short(stack))
    if first and second and first[-1] == second[-1]:
        check.fail("CTX-3", "call-id-reused", "distinct call ids for two requests", f"{first[-1]!r} twice")
    own = first[-1] if first else None
    match = CALL_ID.match(own) if isinstance(own, str) else None
    if not match or match["service"] != service or match["method"] != method or not names.is_uuid4(match["uuid"]):
        check.fail("CTX-14", "call-id-shape", f"call id '{service}.{method}.<uuid4>'", short(own))
    return check.done()


def extended_stack(stack: list, incoming: list, requirement: str = "CTX-4") -> Judgement:
    """CTX-4 (and EVT-12 for handlers): the incoming stack (its newest ten entries, CTX-5) plus one own call id."""
    check = Check(requirement)
    parents = incoming[-MAX_PARENTS:]
    if len(stack) != len(parents) + 1 or stack[:-1] != parents:
        check.fail(requirement, "stack-not-extended", f"{short(parents)} + [own call id]", short(stack))
    return check.done()


def capped_stack(stack: list, incoming: list) -> Judgement:
    """CTX-5: of a longer incoming stack, the newest ten parents remain, plus the worker's own call id."""
    check = Check("CTX-5")
    if len(stack) != MAX_PARENTS + 1 or stack[:-1] != incoming[-MAX_PARENTS:]:
        check.fail("CTX-5", "stack-not-capped", f"the last {MAX_PARENTS} parents + own id "
                   f"({MAX_PARENTS + 1} entries)", f"{len(stack)} entries: {short(stack)}")
    return check.done()


def string_stack(stack: list, incoming: str) -> Judgement:
    """CTX-9: a string nameko.call_id_stack counts as one entry."""
    check = Check("CTX-9")
    if stack[:-1] != [incoming]:
        check.fail("CTX-9", "string-stack-split", f"[{incoming!r}, <own id>]", short(stack))
    return check.done()


def context_data(context: dict, expected: dict, requirement: str = "TESTEE-5") -> Judgement:
    """Context headers arrive in the worker's context data under their key without the prefix."""
    check = Check(requirement)
    wrong = {k: context.get(k) for k, v in expected.items() if not unchanged(context.get(k), v)}
    if wrong:
        check.fail(requirement, "context-data", f"context data {short(expected)}", short(context))
    return check.done()
