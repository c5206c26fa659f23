"""Known deviations of one target, each naming the behaviour it accepts.

``{"target": "...", "deviations": [{"id": "MAL-1", "finding": "MAL-1/no-reply" | "match": "<regex>", "reason": "...",
"evidence": "...", "spec_deviation": "DEV-n"}]}``: an entry accepts a failure of requirement ``id`` only when the
finding's stable code is ``finding``, or ``"<code> <message>"`` matches the regular expression ``match``. Any other failure of
the same requirement still fails the gate.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


class BaselineError(ValueError):
    """A baseline file that cannot be used as it is (a usage error, not a target fault)."""


@dataclass(frozen=True)
class Entry:
    requirement: str
    reason: str
    code: str | None = None
    pattern: str | None = None

    def accepts(self, requirement: str, code: str, message: str) -> bool:
        if requirement != self.requirement:
            return False
        if self.code is not None and code == self.code:
            return True
        # The pattern is searched in "<code> <message>", so it can name several codes of one behaviour whose order
        # of appearance depends on timing (a target that dies: no reply, or the request left in its queue).
        return self.pattern is not None and re.search(self.pattern, f"{code} {message}") is not None

    @property
    def names(self) -> str:
        return self.code or f"/{self.pattern}/"


@dataclass(frozen=True)
class Baseline:
    path: str | None
    entries: tuple[Entry, ...] = field(default=())

    def __contains__(self, req_id: str) -> bool:
        return any(e.requirement == req_id for e in self.entries)

    def for_requirement(self, req_id: str) -> list[Entry]:
        return [e for e in self.entries if e.requirement == req_id]

    def accepting(self, requirement: str, code: str, message: str) -> Entry | None:
        return next((e for e in self.entries if e.accepts(requirement, code, message)), None)

    @property
    def reasons(self) -> dict[str, str]:
        return {e.requirement: e.reason for e in self.entries}

    @classmethod
    def empty(cls) -> "Baseline":
        return cls(None, ())

    @classmethod
    def load(cls, path: str | None, known_ids: set[str]) -> "Baseline":
        if not path:
            return cls.empty()
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BaselineError(f"baseline {path}: cannot read it as JSON ({exc})") from exc
        entries = []
        for n, item in enumerate(raw.get("deviations", []) if isinstance(raw, dict) else []):
            req = item.get("id") if isinstance(item, dict) else None
            if not isinstance(req, str) or req not in known_ids:
                raise BaselineError(f"baseline {path}: entry {n} names {req!r}, which is not a requirement of the spec")
            code, pattern = item.get("finding"), item.get("match")
            wrong = next((k for k in ("finding", "match", "reason", "evidence", "spec_deviation")
                          if item.get(k) is not None and not isinstance(item[k], str)), None)
            if wrong:
                raise BaselineError(f"baseline {path}: entry {n} ({req}): {wrong} must be a string, not "
                                    f"{type(item[wrong]).__name__}")
            if not code and not pattern:
                raise BaselineError(f"baseline {path}: entry {n} ({req}) names no behaviour; give the finding code it "
                                    f"accepts (\"finding\": \"{req}/…\") or a pattern of its message (\"match\")")
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise BaselineError(f"baseline {path}: entry {n} ({req}) has a bad pattern: {exc}") from exc
            reason = item.get("reason", "")
            if item.get("spec_deviation"):
                reason += f" ({item['spec_deviation']})"
            entries.append(Entry(req, reason, code, pattern))
        return cls(path, tuple(entries))


def draft_from_report(document: dict, previous: dict | None = None) -> dict:
    """A baseline accepting exactly the findings of a report (fail, non-strict and informational verdicts, and the
    known deviations it already accepted).

    An entry of ``previous`` that accepted a finding of the report is kept as it is (its pattern, reason, evidence
    and spec deviation), and so are the alternatives the report names as not seen this run beside it. Every finding
    no kept entry accepts gets a new entry by its code, with the reason of a previous entry of that requirement or a
    reason still to be written."""
    old_entries = [e for e in (previous or {}).get("deviations", []) if isinstance(e, dict)]
    entries = []
    for req_id, verdict in document.get("requirements", {}).items():
        if verdict.get("verdict") not in ("fail", "non-strict", "informational", "known deviation"):
            continue
        findings = verdict.get("findings", [])
        accepted_names = {f.get("accepted_by") for f in findings} | set(verdict.get("unseen", []))
        kept = [e for e in old_entries if e.get("id") == req_id and _entry_name(e) in accepted_names]
        entries.extend(kept)
        known = {_entry_name(e) for e in kept}
        same_requirement = next((e for e in old_entries if e.get("id") == req_id), {})
        for code in sorted({f["code"] for f in findings if f.get("accepted_by") not in known}):
            entry = {"id": req_id, "finding": code,
                     "reason": same_requirement.get("reason") or "TO WRITE: what the implementation does, and why"}
            for key in ("evidence", "spec_deviation"):
                if same_requirement.get(key):
                    entry[key] = same_requirement[key]
            entries.append(entry)
    target = (previous or {}).get("target") or (document.get("target") or {}).get("command") or "the target"
    return {"target": target, "deviations": entries}


def _entry_name(entry: dict) -> str:
    """How a verdict names the entry that accepted a finding (``Entry.names``)."""
    return entry.get("finding") or f"/{entry.get('match')}/"
