"""Checks that a server reads anything and bounds what it decodes (chapter 17: CONN-10, CONN-13)."""

from __future__ import annotations

import json
from typing import Any

from nameko_conformance.oracle.model import Check, Judgement, short


def read_anything(served: bool, queue_state: Any, queue: str) -> Judgement:
    """CONN-10: after deliveries with hostile properties, header names and values and routing keys, the server still
    answers a later echo and has answered or acknowledged every one of them (its queue is empty)."""
    check = Check("CONN-10")
    if not served:
        check.fail("CONN-10", "stopped-serving", "the server serving on after hostile deliveries",
                   "no correct reply to a later echo")
    if not getattr(queue_state, "ok", False):
        check.undecided("CONN-10", f"the kit could not inspect {queue} ({queue_state})")
    elif queue_state.message_count:
        check.fail("CONN-10", "left-in-queue", f"every hostile delivery answered or acknowledged ({queue} empty)",
                   f"{queue} holds {queue_state.message_count} messages")
    return check.done()


def bounded_nesting(reply: Any, depth: int) -> Judgement:
    """CONN-13: a body nested ``depth`` levels deep (beyond any sane bound) gets a MalformedRequest error reply,
    not a result. The reply is read leniently here: a server that echoed the nesting back is judged for decoding it,
    not for the depth of its own reply."""
    check = Check("CONN-13")
    try:
        body = json.loads(bytes(reply.body).decode("utf-8"))
    except RecursionError:
        body = "an echo of the nesting"
    except (ValueError, UnicodeDecodeError) as exc:
        check.undecided("CONN-13", f"the reply is not JSON ({str(exc)[:80]}); RPC-REPLY-3 judges that")
        return check.done()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or error.get("exc_type") != "MalformedRequest":
        seen = f"error {short(error.get('exc_type'))}" if isinstance(error, dict) else (
            "a result (the body was decoded)" if isinstance(body, dict) else short(body, 60))
        check.fail("CONN-13", "unbounded-nesting", f"a MalformedRequest error reply to a body nested {depth} deep",
                   seen, reply)
    return check.done()
