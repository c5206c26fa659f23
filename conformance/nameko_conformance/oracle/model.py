"""What a check returns: the requirements it examined and what it found wrong."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Iterable

MASKED_PREFIX = "masked by "
_MAX_BODY_KEPT = 2048  # bytes of a body a finding keeps; the rest is counted, never stored


@dataclass(frozen=True)
class Finding:
    """One observed violation. ``code`` is stable across runs (``<REQ-ID>/<slug>``), so a baseline can accept
    exactly this behaviour and nothing else."""

    requirement: str
    code: str
    expected: str
    observed: str
    messages: tuple[dict, ...] = ()

    @property
    def message(self) -> str:
        return f"{self.requirement}: expected {self.expected}, saw {self.observed}"

    def to_dict(self) -> dict:
        return {"requirement": self.requirement, "code": self.code, "expected": self.expected,
                "observed": self.observed, "message": self.message, "messages": list(self.messages)}


@dataclass(frozen=True)
class Judgement:
    """The requirements a check examined, its findings, and the value it decoded on the way (or None)."""

    examined: frozenset[str] = frozenset()
    findings: tuple[Finding, ...] = ()
    value: Any = None
    inconclusive: tuple[tuple[str, str], ...] = ()  # (requirement, why): looked at, but could not decide

    @property
    def ok(self) -> bool:
        return not self.findings

    def failed(self, requirement: str) -> bool:
        return any(f.requirement == requirement for f in self.findings)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


class Check:
    """Builds one Judgement: ``Check("RPC-REPLY-1").fail(...)`` … ``.done(value)``."""

    def __init__(self, *examined: str | tuple[str, ...]):
        self._examined = set(_flat(examined))
        self._findings: list[Finding] = []
        self._inconclusive: list[tuple[str, str]] = []

    def examine(self, *requirements: str | tuple[str, ...]) -> "Check":
        self._examined.update(_flat(requirements))
        return self

    def fail(self, requirement: str | tuple, slug: str, expected: str, observed: str, *messages: Any) -> "Check":
        if not isinstance(requirement, str):  # a rule given as several IDs is judged under the first
            requirement = next(iter(_flat([requirement])))
        self._examined.add(requirement)
        self._findings.append(Finding(requirement, f"{requirement}/{slug}", expected, observed,
                                      tuple(describe(m) for m in messages if m is not None)))
        return self

    def undecided(self, requirement: str, why: str) -> "Check":
        """The check looked but the observation cannot decide this requirement (never a pass)."""
        self._examined.discard(requirement)
        self._inconclusive.append((requirement, why))
        return self

    def masked(self, requirement: str, by: str) -> "Check":
        """This requirement could not be judged because of another finding (``by``, its code)."""
        return self.undecided(requirement, f"{MASKED_PREFIX}{by}")

    def merge(self, judgement: "Judgement") -> Any:
        self._examined |= judgement.examined
        self._findings.extend(judgement.findings)
        self._inconclusive.extend(judgement.inconclusive)
        return judgement.value

    @property
    def ok(self) -> bool:
        return not self._findings

    def found(self, requirement: str) -> bool:
        return any(f.requirement == requirement for f in self._findings)

    def done(self, value: Any = None) -> Judgement:
        undecided = {r for r, _ in self._inconclusive}
        return Judgement(frozenset(self._examined - undecided), tuple(self._findings), value,
                         tuple(self._inconclusive))


def _flat(items: Iterable) -> Iterable[str]:
    for item in items:
        if isinstance(item, (tuple, list, set, frozenset)):
            yield from _flat(item)
        elif item:
            yield item


def combine(judgements: Iterable[Judgement]) -> Judgement:
    check = Check()
    for judgement in judgements:
        check.merge(judgement)
    return check.done()


def describe(message: Any) -> dict:
    """A bounded, JSON-able picture of a message for a finding (kit-side ``Seen``, broker-side ``WireMessage``, or
    a dict already)."""
    if isinstance(message, dict):
        return message
    out: dict[str, Any] = {}
    for name in ("direction", "via", "exchange", "routing_key", "routed_queues"):
        value = getattr(message, name, None)
        if value is not None and (value != "" or name == "exchange"):  # "" is the default exchange: keep it
            out[name] = list(value) if isinstance(value, (tuple, list)) else value
    props = getattr(message, "properties", None) or {}
    out["properties"] = {k: v for k, v in dict(props).items() if v is not None}
    headers = getattr(message, "headers", None)
    if headers is not None:
        out["headers"] = headers
    body = getattr(message, "body", b"") or b""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    kept = bytes(body[:_MAX_BODY_KEPT])
    try:
        out["body_text"] = kept.decode("utf-8")
    except UnicodeDecodeError:
        out["body_base64"] = base64.b64encode(kept).decode("ascii")
    if len(body) > _MAX_BODY_KEPT:
        out["body_truncated"] = f"{len(body)} bytes, first {_MAX_BODY_KEPT} kept"
    return out


def short(value: Any, limit: int = 160) -> str:
    """repr() of an observed value, bounded so a hostile target cannot blow up a report."""
    if isinstance(value, (str, bytes, bytearray)) and len(value) > 4 * limit:
        # Cut before repr: a 50 MiB body must not become a 50 MiB string on the way to 160 characters.
        text = repr(value[: 2 * limit])
        return text[:limit] + f"… ({len(value)} {'chars' if isinstance(value, str) else 'bytes'})"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"
