"""Fuzzing judged by the same oracle as the suite: a testee whose error replies go to the default exchange, which the
regular suite fails under RPC-REPLY-1, fails the fuzz run under the same finding code; the conforming raw testee
passes it, with the reply checks examined by the fuzzer."""

import subprocess
import sys

from .conftest import failing, raw_testee_command

FUZZ = ("--fuzz", "--fuzz-examples", "20", "--req", "*test_fuzz.py*")
REPLY_CHECKS = {"RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3", "RPC-REPLY-6"}


def test_error_replies_on_the_default_exchange_fail_the_fuzz_run_and_the_replay(kit, tmp_path):
    target = raw_testee_command("error-reply-default-exchange")
    code, document, output = kit("--target-cmd", target, *FUZZ)
    assert failing(document) == {"RPC-REPLY-1"}, output[-3000:]
    codes = {f["code"] for f in document["requirements"]["RPC-REPLY-1"]["findings"]}
    assert codes == {"RPC-REPLY-1/wrong-exchange"}
    assert all("test_fuzz.py" in f["test"] for f in document["requirements"]["RPC-REPLY-1"]["findings"])
    assert code == 1
    saved = sorted((tmp_path / "report" / "fuzz-examples").glob("*.json"))
    assert saved, output[-2000:]
    replay = subprocess.run([sys.executable, "-m", "nameko_conformance.cli", "replay", str(saved[0]),
                             "--target-cmd", target], capture_output=True, text=True, timeout=120)
    assert "finding: RPC-REPLY-1/wrong-exchange" in replay.stdout, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert replay.returncode == 1


def test_the_conforming_raw_testee_passes_with_every_reply_check_examined(kit):
    code, document, output = kit("--target-cmd", raw_testee_command("none"), *FUZZ)
    assert failing(document) == set(), output[-3000:]
    for req_id in REPLY_CHECKS:
        assert document["requirements"][req_id]["verdict"] == "pass", req_id
        assert all("test_fuzz.py" in t for t in document["requirements"][req_id]["examined_by"])
    assert code == 0
