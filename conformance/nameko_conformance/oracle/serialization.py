"""Checks on JSON as a server decodes and encodes it (chapter 09)."""

from __future__ import annotations

import json
from typing import Any

from nameko_conformance.oracle import strict_json
from nameko_conformance.oracle.model import Check, Judgement, short


def number_kinds(reply_body: bytes, expected: list[str]) -> Judgement:
    """SER-5: integers and numbers with a fraction or exponent keep their kind when echoed back."""
    check = Check("SER-5")
    try:
        body = json.loads(bytes(reply_body).decode("utf-8"), parse_int=lambda s: ("int", s),
                          parse_float=lambda s: ("float", s))
        kinds = [k for k, _ in body["result"]["args"]]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        check.undecided("SER-5", f"the echo reply is not the echo's result ({str(exc)[:80]})")
        return check.done()
    if kinds != expected:
        check.fail("SER-5", "number-kind-lost", f"kinds {expected}", short(body["result"]["args"]))
    return check.done()


def no_non_standard_constants(reply: Any) -> Judgement:
    """SER-3: the reply carries no NaN/Infinity, whatever the request carried."""
    check = Check("SER-3")
    _, fault = strict_json.decode(reply.body)
    if fault is not None and fault.requirement == "SER-3":
        check.fail("SER-3", fault.slug, "a reply without NaN/Infinity", fault.reason, reply)
    return check.done()
