"""One test's evidence: the judgements its checks returned, and for every requirement it cites what became of it.

A requirement passes in a test only where a check examined it and found nothing. A cited requirement no check
examined is ``not examined`` (with the reason), or ``masked`` by the finding that kept the test from reaching it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from nameko_conformance.oracle.model import MASKED_PREFIX, Finding, Judgement

PASSED, FAILED, INCONCLUSIVE, NOT_EXAMINED, MASKED = "passed", "failed", "inconclusive", "not examined", "masked"


class ObservationMissing(Exception):
    """What the test's remaining checks need was not observed; the test ends here without judging them."""

    def __init__(self, what: str, requirements: Iterable[str] = ()):
        super().__init__(what)
        self.what = what
        self.requirements = tuple(requirements)


@dataclass
class Evidence:
    cited: tuple[str, ...] = ()
    examined: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    inconclusive: dict[str, str] = field(default_factory=dict)
    stopped: str | None = None  # why the test ended before its last check

    def apply(self, judgement: Judgement) -> Any:
        """Records a check's judgement and hands back the value it decoded (None when it could not)."""
        self.examined |= judgement.examined
        for finding in judgement.findings:
            if finding not in self.findings:
                self.findings.append(finding)
        for requirement, why in judgement.inconclusive:
            self.inconclusive.setdefault(requirement, why)
        return judgement.value

    def need(self, value: Any, what: str, requirements: Iterable[str] = ()) -> Any:
        """``value`` when it was observed; otherwise the test stops, and what it still cites is masked or not
        examined."""
        if value is None:
            raise ObservationMissing(what, requirements)
        return value

    def undecided(self, requirements: Iterable[str] | str, why: str) -> None:
        for requirement in ([requirements] if isinstance(requirements, str) else requirements):
            self.inconclusive.setdefault(requirement, why)

    def stop(self, why: str) -> None:
        self.stopped = why

    def statuses(self) -> dict[str, tuple[str, str]]:
        """Per requirement this test cites or judged: (status, detail)."""
        failed = {f.requirement for f in self.findings}
        out: dict[str, tuple[str, str]] = {}
        for requirement in dict.fromkeys((*self.cited, *sorted(self.examined), *sorted(failed),
                                          *sorted(self.inconclusive))):
            if requirement in failed:
                first = next(f for f in self.findings if f.requirement == requirement)
                out[requirement] = (FAILED, first.message)
            elif requirement in self.inconclusive:
                why = self.inconclusive[requirement]
                out[requirement] = (MASKED if why.startswith(MASKED_PREFIX) else INCONCLUSIVE, why)
            elif requirement in self.examined:
                out[requirement] = (PASSED, "")
            elif self.findings and self.stopped:
                out[requirement] = (MASKED, f"masked by {self.findings[0].code}: {self.findings[0].message}")
            elif self.stopped:
                out[requirement] = (NOT_EXAMINED, self.stopped)
            else:
                out[requirement] = (NOT_EXAMINED, "the test reached no check of it")
        return out
