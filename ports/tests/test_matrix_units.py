"""The matrix runner's pure parts: merging verdicts, judging interop outcomes, rendering and the stale check."""

from nameko_conformance import matrix
from nameko_conformance.matrix import RunResult


def run(suite, verdicts):
    return RunResult("impl", suite, 0, 1.0, verdicts, "/nonexistent")


def test_a_judged_verdict_beats_an_unjudged_one_and_the_worse_of_two_judged_wins():
    merged = matrix.merge_verdicts([
        run("server", {"A": "not covered: needs client driver", "B": "pass", "C": "pass", "D": "not run"}),
        run("client", {"A": "fail", "B": "not run", "C": "known deviation", "D": "not examined"}),
    ])
    assert merged == {"A": "fail", "B": "pass", "C": "known deviation", "D": "not examined"}


def test_interop_outcomes_are_judged_per_scenario():
    good = {"outcomes": [{"result": {"args": ["interop", 7], "kwargs": {}}},
                         {"result": {"args": [], "kwargs": {"key": "value"}}},
                         {"error": {"kind": "remote", "exc_type": "InteropFailure", "message": "interop message"}},
                         {"error": {"kind": "MethodNotFound", "exc_type": "MethodNotFound", "message": "x"}}]}
    assert set(matrix.judge_rpc(good).values()) == {"pass"}
    bad = dict(good, outcomes=good["outcomes"][:3] + [{"error": {"kind": "remote", "exc_type": "MethodNotFound",
                                                                  "message": "x"}}])
    verdicts = matrix.judge_rpc(bad)
    assert verdicts["unknown method"].startswith("expected error kind MethodNotFound")
    assert all(v.startswith("driver hung") for v in matrix.judge_rpc({"problem": "driver hung (killed)"}).values())


def document():
    return {"generated": "now", "inputs_digest": matrix.inputs_digest(),
            "rows": [("01-topology", "TOPO-1", "MUST"), ("05-context", "CTX-1", "MUST")],
            "columns": [{"name": "reference", "label": "reference", "note": "", "lacks": {}, "roles": ["server"],
                         "runs": [{"suite": "server", "exit_code": 0, "seconds": 1.0, "problem": ""}],
                         "verdicts": {"TOPO-1": "pass", "CTX-1": "not run"}},
                        {"name": "port", "label": "port 1.0", "note": "", "lacks": {"client": ["timeouts"]},
                         "roles": ["client"],
                         "runs": [{"suite": "client", "exit_code": 1, "seconds": 2.0, "problem": ""}],
                         "verdicts": {"CTX-1": "known deviation"}}],
            "interop": {"rpc_scenarios": list(matrix.RPC_SCENARIOS),
                        "rpc": {"reference": {"reference": {s: "pass" for s in matrix.RPC_SCENARIOS},
                                              "port": {s: "driver hung" for s in matrix.RPC_SCENARIOS}}},
                        "events": {"reference": {"reference": "pass"}}}}


def test_markdown_and_html_carry_the_cells_and_the_inputs_digest(tmp_path):
    doc = document()
    text = matrix.render_markdown(doc)
    assert f"{matrix.DIGEST_MARK} {doc['inputs_digest']}" in text
    assert "| TOPO-1 | MUST | pass | – |" in text and "| CTX-1 | MUST | – | known dev |" in text
    assert "| port 1.0 | 4/4 |" not in text and "0/4" in text
    page = matrix.render_html(doc)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "known dev" in page


def test_check_passes_for_a_current_table_and_fails_for_a_stale_or_missing_one(tmp_path, capsys):
    doc = document()
    assert matrix.check(tmp_path) == 1  # missing
    (tmp_path / "MATRIX.md").write_text(matrix.render_markdown(doc))
    (tmp_path / "matrix.html").write_text(matrix.render_html(doc))
    assert matrix.check(tmp_path) == 0
    doc["inputs_digest"] = "0" * 64
    (tmp_path / "matrix.html").write_text(matrix.render_html(doc))
    assert matrix.check(tmp_path) == 1
    assert "stale" in capsys.readouterr().err
