"""``nameko-conformance validate FILE|-``: one wire message, a fixture file, or a JSON-lines capture, judged by
the oracle's message-level checks (and the schemas through them).

Exit codes: 0 when nothing breaks a MUST (a fixture file: every case is as valid or invalid as it says), 1 on a
violation, 4 when the input cannot be read as any of the three forms.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Iterable, TextIO

from nameko_conformance.capture.wire import WireMessage, infer_role
from nameko_conformance.oracle import message as message_checks
from nameko_conformance.oracle.model import Finding
from nameko_conformance.registry import load_registry

EXIT_OK, EXIT_VIOLATION, EXIT_USAGE = 0, 1, 4


class InputError(ValueError):
    """The input is none of: one message object, a fixture file, JSON lines of message objects."""


@dataclass
class Verdict:
    label: str
    findings: list[Finding]
    expected_invalid: tuple[str, ...] | None = None  # a fixture case's ``violates``, when it says it is invalid

    @property
    def must_findings(self) -> list[Finding]:
        registry = load_registry()
        return [f for f in self.findings if registry[f.requirement].strength == "MUST"]

    @property
    def ok(self) -> bool:
        if self.expected_invalid is None:
            return not self.must_findings
        return set(self.expected_invalid) <= {f.requirement for f in self.findings}


def judge_message(message: WireMessage, role: str | None = None) -> list[Finding]:
    role = role or message.role or infer_role(message.exchange, message.routing_key)
    return list(message_checks.judge(message, message.to_fixture(), role).findings)


def record_judge(message: WireMessage) -> tuple[bool, list[str]]:
    """The recorder's judge: valid when no MUST is broken; the reasons name every finding's requirement."""
    verdict = Verdict("", judge_message(message))
    return verdict.ok, [f"{f.requirement}: {f.code}: expected {f.expected}, saw {f.observed}"
                        for f in verdict.must_findings]


def _message(data: Any, where: str, role: str | None) -> WireMessage:
    if not isinstance(data, dict) or "routing_key" not in data or "exchange" not in data:
        raise InputError(f"{where}: a message is an object with exchange, routing_key, properties, headers and "
                         f"body_text or body_base64 (the fixture message form)")
    if "body_text" not in data and "body_base64" not in data and "body" in data:
        data = dict(data, body_text=json.dumps(data["body"]))  # a parsed body only: its JSON text
    problem = _shape_problem(data)
    if problem:
        raise InputError(f"{where}: {problem}")
    try:
        message = WireMessage.from_fixture(data)
        return message.with_role(role or message.role or infer_role(message.exchange, message.routing_key))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InputError(f"{where}: {exc}") from exc


# The fixture message form's members and the JSON types they take: anything else is an input mistake, told as
# such, before any check reads the message (a wrong value *inside* these is what the checks judge).
_MEMBER_TYPES = {"exchange": (str,), "routing_key": (str,), "properties": (dict,), "headers": (dict, type(None)),
                 "body_text": (str,), "body_base64": (str,), "role": (str, type(None)), "mandatory": (bool, type(None)),
                 "routed_queues": (list, type(None))}
_JSON_TYPE = {str: "a string", dict: "an object", list: "an array", bool: "true or false", type(None): "null"}


def _shape_problem(data: dict) -> str | None:
    for member, types in _MEMBER_TYPES.items():
        if member in data and not isinstance(data[member], types):
            return (f"{member} must be {' or '.join(_JSON_TYPE[t] for t in types)}, not "
                    f"{type(data[member]).__name__} {short_repr(data[member])}")
    if isinstance(data.get("routed_queues"), list) and not all(isinstance(q, str) for q in data["routed_queues"]):
        return "routed_queues must be an array of queue names (strings)"
    return None


def short_repr(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def verdicts(text: str, role: str | None = None) -> list[Verdict]:
    """What the input holds, judged: one verdict per message (per case for a fixture file)."""
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("cases"), list):
        out = []
        for number, case in enumerate(document["cases"], 1):
            if not isinstance(case, dict) or not isinstance(case.get("messages", []), list):
                raise InputError(f"case #{number}: a case is an object whose messages member is an array of messages")
            label = f"case {_case_id(case)}"
            messages = [_message(m, label, role) for m in case.get("messages", [])]
            if not messages:
                raise InputError(f"{label}: no messages")
            invalid = not case.get("valid", True)
            violates = case.get("violates", [])
            if invalid and (not isinstance(violates, list) or not all(isinstance(v, str) for v in violates)):
                raise InputError(f"{label}: violates must be an array of requirement IDs")
            # An invalid case breaks its rule in its first message; the later ones (the answers) must conform.
            findings = judge_message(messages[0]) if invalid else [f for m in messages for f in judge_message(m)]
            out.append(Verdict(label, findings, tuple(violates) if invalid
                               else None))
            for n, later in enumerate(messages[1:], 2):
                if invalid:
                    out.append(Verdict(f"{label} message {n}", judge_message(later)))
        return out
    if isinstance(document, dict):
        message = _message(document, "the message", role)
        return [Verdict(_label(message, 1), judge_message(message))]
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise InputError("the input is empty")
    out = []
    for number, line in enumerate(lines, 1):
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise InputError(f"line {number}: not JSON ({exc}); give one message object, a fixture file, or JSON "
                             f"lines of message objects") from exc
        message = _message(data, f"line {number}", role)
        out.append(Verdict(_label(message, number), judge_message(message)))
    return out


def _case_id(case: dict) -> str:
    """A case's id as one line: a plain id as it is, anything else as JSON (so a newline in it stays escaped)."""
    case_id = case.get("id")
    if isinstance(case_id, str) and case_id.isprintable() and case_id.strip() == case_id and case_id:
        return case_id[:80]
    return short_repr(case_id, 80)


def _label(message: WireMessage, number: int) -> str:
    return f"#{number} {message.role or 'message'} {message.exchange or '(default)'!r} {message.routing_key!r}"


def render(results: Iterable[Verdict], out: TextIO) -> int:
    registry = load_registry()
    results = list(results)
    for verdict in results:
        state = "ok" if verdict.ok else "VIOLATION"
        expected = f" (says invalid: {', '.join(verdict.expected_invalid)})" if verdict.expected_invalid else ""
        out.write(f"{state:<9} {verdict.label}{expected}\n")
        for finding in verdict.findings:
            level = registry[finding.requirement].level
            out.write(f"          {finding.requirement} {level}: {finding.code}: expected {finding.expected}, "
                      f"saw {finding.observed}\n")
        if verdict.expected_invalid and not verdict.ok:
            missing = set(verdict.expected_invalid) - {f.requirement for f in verdict.findings}
            out.write(f"          the case says it breaks {', '.join(sorted(missing))}, and no check found that\n")
    bad = sum(1 for v in results if not v.ok)
    out.write(f"{len(results) - bad} ok, {bad} with violations\n")
    return EXIT_OK if not bad else EXIT_VIOLATION


def main(path: str, role: str | None = None, out: TextIO = sys.stdout) -> int:
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
        return render(verdicts(text, role), out)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"nameko-conformance validate: cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        print(f"nameko-conformance validate: {exc}", file=sys.stderr)
        return EXIT_USAGE
