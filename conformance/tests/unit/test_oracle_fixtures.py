"""Every fixture, valid and invalid, recorded and hand-written, goes through the oracle's message-level checks:
a valid message gives no MUST-level finding, and an invalid case's first message gives findings for each of the
requirements it says it violates."""

import json

import pytest

from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.data import data_dir
from nameko_conformance.oracle import message as message_checks
from nameko_conformance.registry import load_registry

CASES = [(path, case) for path in sorted(data_dir("fixtures").glob("*/*.json"))
         for case in json.loads(path.read_text(encoding="utf-8"))["cases"]]


def judged(fixture_message):
    return message_checks.judge(WireMessage.from_fixture(fixture_message), fixture_message)


def must_findings(judgement):
    registry = load_registry()
    return [f for f in judgement.findings if registry[f.requirement].strength == "MUST"]


@pytest.mark.parametrize("path, case", [c for c in CASES if c[1]["valid"]],
                         ids=[f"{p.parent.name}/{p.stem}:{c['id']}" for p, c in CASES if c["valid"]])
def test_valid_fixture_gives_no_must_finding(path, case):
    for message in case["messages"]:
        assert must_findings(judged(message)) == [], message


@pytest.mark.parametrize("path, case", [c for c in CASES if not c[1]["valid"]],
                         ids=[f"{p.parent.name}/{p.stem}:{c['id']}" for p, c in CASES if not c["valid"]])
def test_invalid_fixture_gives_each_violated_requirement(path, case):
    judgement = judged(case["messages"][0])
    found = {f.requirement for f in judgement.findings}
    assert set(case["violates"]) <= found, (case["violates"], [f.message for f in judgement.findings])
    assert set(case["violates"]) <= judgement.examined | found


def test_every_fixture_reaches_the_oracle():
    assert len(CASES) >= 120 and any(not c["valid"] for _, c in CASES)
