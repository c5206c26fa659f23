"""The reference testee passes every MUST; baselines tolerate known failures and fail when they go stale."""

import json

from .conftest import failing, raw_testee_command


def test_reference_testee_passes_every_must(kit):
    """Without a target the kit starts the reference testee, and the report says every MUST passed or is exempt."""
    code, document, output = kit()
    assert document, output[-3000:]
    assert failing(document) == set(), output[-3000:]
    assert document["summary"]["gate"] is True
    assert code == 0
    assert not [k for k, v in document["requirements"].items() if v["level"].startswith("MUST") and
                v["verdict"] in ("fail", "kit error")]


def write_baseline(tmp_path, findings):
    """A baseline accepting exactly these finding codes (``<ID>/<slug>``)."""
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps({"target": "raw testee", "deviations": [
        {"id": code.split("/")[0], "finding": code, "reason": "self-test", "evidence": "the raw testee's fault"}
        for code in findings]}))
    return str(path)


def test_listed_deviation_that_fails_is_tolerated(kit, tmp_path):
    """A failure listed in the baseline is a known deviation and the gate passes."""
    code, document, output = kit("--target-cmd", raw_testee_command("wrong-queue-flags"),
                                 "--baseline", write_baseline(tmp_path, ["TOPO-4/service-queue-flags"]))
    assert document["requirements"]["TOPO-4"]["verdict"] == "known deviation", output[-3000:]
    assert code == 0


def test_listed_deviation_that_passes_fails_the_gate(kit, tmp_path):
    """A baseline entry whose requirement now passes is a stale baseline and fails the gate."""
    code, document, output = kit("--target-cmd", raw_testee_command("none"), "--req", "TOPO-*",
                                 "--baseline", write_baseline(tmp_path, ["TOPO-4/service-queue-flags"]))
    assert document["requirements"]["TOPO-4"]["verdict"] == "stale baseline", output[-3000:]
    assert code == 1


def test_declared_absent_capability_is_reported_not_passed(kit):
    """Tests of a capability the target declares absent are reported as capability absent."""
    code, document, output = kit("--target-cmd", raw_testee_command("none"), "--req", "EVT-*",
                                 "--capabilities", "server,client")
    assert document["requirements"]["EVT-5"]["verdict"] == "capability absent", output[-3000:]
    assert document["requirements"]["EVT-1"]["verdict"] == "capability absent"
