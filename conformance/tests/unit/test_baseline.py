"""Baselines name the behaviour they accept; a draft accepts exactly a report's findings."""

import json

import pytest

from nameko_conformance.baseline import Baseline, BaselineError, draft_from_report

KNOWN = {"MAL-1", "MAL-2"}


def write(tmp_path, deviations):
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"target": "t", "deviations": deviations}))
    return str(path)


def test_an_entry_accepts_its_code_or_its_pattern_and_nothing_else(tmp_path):
    baseline = Baseline.load(write(tmp_path, [{"id": "MAL-1", "finding": "MAL-1/no-reply", "reason": "r"},
                                              {"id": "MAL-2", "match": "Type[A-Z]", "reason": "s"}]), KNOWN)
    assert baseline.accepting("MAL-1", "MAL-1/no-reply", "x") is not None
    assert baseline.accepting("MAL-1", "MAL-1/not-MalformedRequest", "x") is None
    assert baseline.accepting("MAL-2", "MAL-2/any", "saw TypeError") is not None
    assert baseline.accepting("MAL-2", "MAL-2/any", "saw typeerror") is None
    assert baseline.accepting("MAL-1", "MAL-2/any", "saw TypeError") is None
    assert "MAL-1" in baseline and baseline.reasons == {"MAL-1": "r", "MAL-2": "s"}


@pytest.mark.parametrize("entry, says", [({"id": "MAL-1", "reason": "r"}, "names no behaviour"),
                                         ({"id": "NOPE-1", "finding": "x"}, "not a requirement"),
                                         ({"id": "MAL-1", "match": "("}, "bad pattern"),
                                         ({"id": ["MAL-1"], "finding": "x"}, "not a requirement"),
                                         ({"id": "MAL-1", "finding": 5}, "finding must be a string"),
                                         ({"id": "MAL-1", "finding": "MAL-1/x", "reason": 3}, "reason must be")])
def test_a_baseline_that_cannot_say_what_it_accepts_is_refused(tmp_path, entry, says):
    with pytest.raises(BaselineError, match=says):
        Baseline.load(write(tmp_path, [entry]), KNOWN)


def test_an_unreadable_baseline_is_refused(tmp_path):
    path = tmp_path / "b.json"
    path.write_text("{")
    with pytest.raises(BaselineError, match="cannot read"):
        Baseline.load(str(path), KNOWN)


def test_a_draft_accepts_each_finding_code_and_keeps_known_reasons():
    report = {"requirements": {
        "MAL-1": {"verdict": "fail", "findings": [{"code": "MAL-1/no-reply"}, {"code": "MAL-1/no-reply"}]},
        "MAL-2": {"verdict": "known deviation", "findings": [{"code": "MAL-2/x"}]},
        "MAL-3": {"verdict": "pass", "findings": []}}}
    previous = {"target": "nameko", "deviations": [{"id": "MAL-2", "finding": "MAL-2/x", "reason": "old",
                                                    "spec_deviation": "DEV-20"}]}
    draft = draft_from_report(report, previous)
    assert draft["target"] == "nameko"
    assert [(e["id"], e["finding"]) for e in draft["deviations"]] == [("MAL-1", "MAL-1/no-reply"), ("MAL-2", "MAL-2/x")]
    assert draft["deviations"][0]["reason"].startswith("TO WRITE")
    assert draft["deviations"][1]["reason"] == "old" and draft["deviations"][1]["spec_deviation"] == "DEV-20"


def test_a_draft_keeps_the_entries_that_accepted_a_finding_and_their_unseen_alternatives():
    previous = {"target": "nameko", "deviations": [
        {"id": "MAL-9", "finding": "MAL-9/stopped-serving", "reason": "stops", "evidence": "e1"},
        {"id": "MAL-9", "finding": "MAL-9/target-exited", "reason": "exits"},
        {"id": "MAL-5", "match": "^MAL-5/(left-in-queue|target-exited)", "reason": "dies"},
        {"id": "MAL-2", "finding": "MAL-2/no-reply", "reason": "gone now"}]}
    report = {"requirements": {
        "MAL-9": {"verdict": "known deviation", "unseen": ["MAL-9/target-exited"],
                  "findings": [{"code": "MAL-9/stopped-serving", "accepted_by": "MAL-9/stopped-serving"}]},
        "MAL-5": {"verdict": "fail", "findings": [
            {"code": "MAL-5/left-in-queue", "accepted_by": "/^MAL-5/(left-in-queue|target-exited)/"},
            {"code": "MAL-5/new-thing", "accepted_by": None}]},
        "MAL-2": {"verdict": "stale baseline", "findings": []}}}
    draft = draft_from_report(report, previous)["deviations"]
    assert draft[:2] == previous["deviations"][:2]  # kept as they were, the unseen alternative too
    assert draft[2] == previous["deviations"][2]  # the pattern stays a pattern
    assert draft[3] == {"id": "MAL-5", "finding": "MAL-5/new-thing", "reason": "dies"}
    assert len(draft) == 4  # the stale entry is gone
