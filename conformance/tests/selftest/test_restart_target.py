"""--restart-target: a kit-launched target that exits mid-run is started again, the exit is the finding of the
test it happened in, and the tests after it are examined instead of reading 'not examined'."""

from .conftest import raw_testee_command


def test_a_target_that_exits_is_started_again_and_the_rest_examined(kit):
    code, document, output = kit("--target-cmd", raw_testee_command("exit-mid-run"), "--restart-target", "20")
    assert document, output[-3000:]
    exits = [f for v in document["requirements"].values() for f in v["findings"] if f["code"].endswith("/target-exited")]
    assert exits, output[-3000:]
    assert document["summary"]["aborted"] is None
    not_examined = [k for k, v in document["requirements"].items() if v["verdict"] == "not examined"]
    assert not_examined == [], output[-3000:]
    assert code == 1  # the exit is a failure all the same


def test_without_restarts_the_run_ends_at_the_exit(kit):
    code, document, output = kit("--target-cmd", raw_testee_command("exit-mid-run"))
    assert "exited" in (document["summary"]["aborted"] or ""), output[-3000:]
    assert any(v["verdict"] == "not examined" for v in document["requirements"].values())
    assert code == 1
