"""Checks that compare a value the target returned with the one the spec (or the testee contract) demands."""

from __future__ import annotations

import json

from typing import Any, Callable

from nameko_conformance.oracle.model import Check, Judgement, short


def equal(requirement: str, slug: str, what: str, expected: Any, observed: Any, message: Any = None) -> Judgement:
    """``observed`` is ``expected`` (JSON equality: 1 and 1.0 differ, as they do on the wire)."""
    check = Check(requirement)
    if not _same(observed, expected):
        check.fail(requirement, slug, f"{what} {short(expected)}", short(observed), message)
    return check.done(observed)


def holds(requirement: str, slug: str, expected: str, observed: Any, predicate: Callable[[Any], bool],
          message: Any = None) -> Judgement:
    """``predicate(observed)`` is true; ``expected`` says in words what that means."""
    check = Check(requirement)
    try:
        ok = bool(predicate(observed))
    except Exception:  # a value of the wrong shape does not hold
        ok = False
    if not ok:
        check.fail(requirement, slug, expected, short(observed), message)
    return check.done(observed)


def _same(a: Any, b: Any) -> bool:
    # Types first: true is not 1, and 1 is not 1.0 (SER-5).
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def unchanged(seen: Any, sent: Any) -> bool:
    """``seen`` is ``sent`` with its JSON types kept: 7 is not "7" nor 7.0, and true is not 1."""
    def form(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=repr)
    try:
        return form(seen) == form(sent)
    except (TypeError, ValueError, RecursionError):
        return seen == sent
