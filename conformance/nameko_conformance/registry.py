"""The requirement registry: IDs, levels and roles, read from ``spec/requirements.json``.

Levels are never written into tests; they come from here.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
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
    version: str | None = None  # the spec's own version (spec_version of requirements.json)
    digest: str | None = None  # sha256 of requirements.json: which exact text the verdicts refer to

    def __contains__(self, req_id: str) -> bool:
        return req_id in self.requirements

    def __getitem__(self, req_id: str) -> Requirement:
        return self.requirements[req_id]

    def matching(self, patterns: list[str]) -> set[str]:
        """IDs matched by any glob (``RPC-ERR-*``) or chapter name (``04-errors``)."""
        chosen = set()
        for pattern in patterns:
            for req in self.requirements.values():
                chapter = req.chapter.removesuffix(".md")
                if fnmatch.fnmatchcase(req.id, pattern) or fnmatch.fnmatchcase(req.chapter, pattern) \
                        or fnmatch.fnmatchcase(chapter, pattern):
                    chosen.add(req.id)
        return chosen

    def deviation_ids(self) -> set[str]:
        return {d.get("id") for d in self.deviations if isinstance(d, dict)}


def _from_json(path: Path) -> Registry:
    data = path.read_bytes()
    raw = json.loads(data.decode("utf-8"))
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
    return Registry(reqs, tuple(raw.get("deviations", [])), str(path), raw.get("spec_version"),
                    hashlib.sha256(data).hexdigest()[:16])


@lru_cache(maxsize=1)
def load_registry() -> Registry:
    # spec/requirements.json is generated from the spec by tools/spec_registry.py and checked current in CI;
    # the kit reads only that, so there is one parser of the spec.
    return _from_json(data_dir("spec") / "requirements.json")
