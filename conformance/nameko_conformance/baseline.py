"""Known deviations of one target: ``{"target": "...", "deviations": [{"id", "reason", "spec_deviation"?}]}``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Baseline:
    path: str | None
    reasons: dict[str, str]

    def __contains__(self, req_id: str) -> bool:
        return req_id in self.reasons

    @classmethod
    def empty(cls) -> "Baseline":
        return cls(None, {})

    @classmethod
    def load(cls, path: str | None, known_ids: set[str]) -> "Baseline":
        if not path:
            return cls.empty()
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        reasons = {}
        for entry in raw.get("deviations", []):
            if entry["id"] not in known_ids:
                raise ValueError(f"baseline {path} lists {entry['id']!r}, which is not a requirement of the spec")
            reason = entry.get("reason", "")
            if entry.get("spec_deviation"):
                reason += f" ({entry['spec_deviation']})"
            reasons[entry["id"]] = reason
        return cls(path, reasons)
