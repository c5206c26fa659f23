"""The requirement registry: IDs, levels and roles, read from ``spec/requirements.json``.

Levels are never written into tests; they come from here. When the generated registry is not there (a checkout
in the middle of regeneration) the catalogue is read straight from the spec's Markdown, which has the same
content in the form CONTRIBUTING.md describes.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nameko_conformance.data import data_dir

MUST, SHOULD, MAY = "MUST", "SHOULD", "MAY"

# Requirements about a client that only the client suite (``--client-cmd``, suite/test_16_client_*.py) can
# exercise: the kit has to make the port's client call a probe that misbehaves on purpose. Without a driver they
# are reported as "not covered: needs client driver", never as passed; with one they get real verdicts.
NEEDS_CLIENT_DRIVER = {
    "RPC-REPLY-10": "success/failure decoding is only visible in the client's API",
    "RPC-REPLY-11": "needs replies delivered out of order to the target's client",
    "RPC-REPLY-12": "needs replies with extra headers/properties delivered to the target's client",
    "RPC-ERR-11": "the kind of error the client raises is only visible in its API",
    "RPC-ERR-12": "needs error objects with extra members delivered to the target's client",
    "RPC-CORR-2": "needs two instances of the target's client to compare their reply_to values",
    "CTX-11": "needs a call from a client that is not handling a request; the nested call comes from a worker",
    "RPC-CORR-8": "needs a reply with a foreign correlation_id delivered to the target's client",
    "RPC-CORR-10": "needs several outstanding calls from the target's client",
    "RPC-CORR-11": "needs an undecodable reply delivered to the target's client",
    "RPC-CORR-14": "needs an undecodable reply delivered to the target's client",
    "RPC-CALL-2": "the timeout API is only visible in the client",
    "RPC-CALL-3": "needs a late reply after a client-side timeout",
    "RPC-CALL-4": "needs a duplicate reply delivered to the target's client",
    "RPC-CALL-6": "needs a client-side timeout",
}

_ITEM = re.compile(r"^- \*\*(?P<id>[A-Z]+(?:-[A-Z]+)*-\d+)\*\* · (?P<role>\w+) · (?P<level>[A-Z ]+?) — (?P<text>.*)$")
_UNTESTABLE = re.compile(r"^\s+\*Untestable black-box:\*\s*(?P<reason>.*)$")


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str  # as written: MUST, MUST NOT, SHOULD, SHOULD NOT, MAY, WITHDRAWN
    role: str
    chapter: str
    text: str
    testable: bool = True
    untestable_reason: str | None = None

    @property
    def strength(self) -> str:
        """MUST, SHOULD or MAY: the verdict class (MUST NOT counts as MUST)."""
        return self.level.split()[0]

    @property
    def needs_client_driver(self) -> str | None:
        if self.role == "driver":
            return "a requirement on the client driver itself; checked when the kit runs a driver (--client-cmd)"
        return NEEDS_CLIENT_DRIVER.get(self.id)


@dataclass(frozen=True)
class Registry:
    requirements: dict[str, Requirement]
    deviations: tuple[dict, ...]
    source: str

    def __contains__(self, req_id: str) -> bool:
        return req_id in self.requirements

    def __getitem__(self, req_id: str) -> Requirement:
        return self.requirements[req_id]

    def matching(self, patterns: list[str]) -> set[str]:
        """IDs matched by any glob (``RPC-ERR-*``) or chapter name (``04-errors``)."""
        chosen = set()
        for pattern in patterns:
            for req in self.requirements.values():
                if fnmatch.fnmatchcase(req.id, pattern) or fnmatch.fnmatchcase(req.chapter, pattern):
                    chosen.add(req.id)
        return chosen

    def deviation_ids(self) -> set[str]:
        return {d.get("id") for d in self.deviations if isinstance(d, dict)}


def _from_json(path: Path) -> Registry:
    raw = json.loads(path.read_text(encoding="utf-8"))
    reqs = {}
    for item in raw.get("requirements", []):
        reqs[item["id"]] = Requirement(
            id=item["id"],
            level=item["level"],
            role=item.get("role", "any"),
            chapter=item.get("chapter", ""),
            text=item.get("text", ""),
            testable=item.get("testable", True),
            untestable_reason=item.get("untestable_reason"),
        )
    return Registry(reqs, tuple(raw.get("deviations", [])), str(path))


def parse_spec_markdown(spec_dir: Path) -> Registry:
    reqs: dict[str, Requirement] = {}
    for chapter_file in sorted(spec_dir.glob("[0-9][0-9]-*.md")):
        last = None
        for line in chapter_file.read_text(encoding="utf-8").splitlines():
            item = _ITEM.match(line)
            if item:
                last = Requirement(item["id"], item["level"].strip(), item["role"], chapter_file.stem, item["text"])
                reqs[last.id] = last
                continue
            untestable = _UNTESTABLE.match(line)
            if untestable and last is not None:
                reqs[last.id] = last = Requirement(
                    last.id, last.level, last.role, last.chapter, last.text, False, untestable["reason"]
                )
    return Registry(reqs, (), f"{spec_dir} (Markdown)")


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    spec_dir = data_dir("spec")
    generated = spec_dir / "requirements.json"
    if generated.is_file():
        return _from_json(generated)
    return parse_spec_markdown(spec_dir)
