"""The kit against targets that break it on purpose: faults that used to read as kit errors or as passes, and
hostile targets (silent, dropping, flooding, huge, garbage, exiting). Each run ends with verdicts that put the
fault where it belongs, within bounded memory and report size, and leaves no process or queue behind.

Faults of SHOULD requirements are run with ``--strict`` so that they show as failures in the exact set. No test
asserts a time: the figures are in conformance/bench/kit_bench.py and the README.
"""

from __future__ import annotations

import subprocess
import uuid

import pika
import pika.exceptions
import pytest

from .conftest import failing, raw_testee_command, run_kit_measured

BROKER = "amqp://guest:guest@127.0.0.1:5672/%2F"
MAX_KIT_RSS_KIB = 500 * 1024  # generous: catches unbounded growth (3.1 GB and 6 GB+ were seen), not a budget
MAX_REPORT_BYTES = 5 * 1024 * 1024  # a flood once gave a 264 MB report.json


def verdicts(document: dict, verdict: str) -> set[str]:
    return {req for req, entry in document["requirements"].items() if entry["verdict"] == verdict}


def findings(document: dict, requirement: str) -> list[str]:
    return [f["code"] for f in document["requirements"][requirement]["findings"]]


def run_hostile(tmp_path, fault: str, *args: str) -> tuple[int, dict, str, int]:
    """Runs the kit against the raw testee with ``fault``; afterwards nothing the run started is left."""
    tag = f"selftest-{uuid.uuid4().hex[:10]}"
    code, document, output, rss = run_kit_measured(tmp_path, "--target-cmd", raw_testee_command(fault, tag), *args)
    assert_nothing_left(tag, document)
    report = tmp_path / "report" / "report.json"
    if report.is_file():
        assert report.stat().st_size < MAX_REPORT_BYTES
    return code, document, output, rss


def assert_nothing_left(tag: str, document: dict) -> None:
    processes = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    assert not [line for line in processes.splitlines() if tag in line], "the kit left its target running"
    service = (document.get("target") or {}).get("service")
    if service and "private" not in str((document.get("broker") or {}).get("provider")):
        connection = pika.BlockingConnection(pika.URLParameters(BROKER))
        try:
            with pytest.raises(pika.exceptions.ChannelClosedByBroker):
                connection.channel().queue_declare(f"rpc-{service}", passive=True)
        finally:
            connection.close()


def no_kit_error(document: dict, output: str) -> None:
    assert not verdicts(document, "kit error"), output[-3000:]


# -- target faults that used to read as kit errors ---------------------------------------------------------------

def test_wrong_reply_correlation_id_is_rpc_reply_2_not_a_kit_error(tmp_path):
    """A server that answers under a correlation id of its own: the readiness accepts the reply, every test reads
    RPC-REPLY-2 (the rest of what it cites is masked by it), and a request without one gets one invented (MAL-8)."""
    code, document, output, _ = run_hostile(tmp_path, "wrong-correlation-id", "--strict")
    assert document, output[-3000:]
    no_kit_error(document, output)
    assert failing(document) == {"RPC-REPLY-2", "MAL-8"}, output[-3000:]
    assert "RPC-REPLY-2/wrong-correlation-id" in findings(document, "RPC-REPLY-2")
    assert "TESTEE-2" in verdicts(document, "masked")
    assert code == 1


def test_wrong_reply_routing_key_is_rpc_reply_1_not_a_kit_error(tmp_path):
    """A server that publishes its replies on another key: the readiness finds them through a catch-all binding,
    and every reply is then caught and judged RPC-REPLY-1."""
    code, document, output, _ = run_hostile(tmp_path, "wrong-reply-key", "--strict")
    assert document, output[-3000:]
    no_kit_error(document, output)
    assert failing(document) == {"RPC-REPLY-1"}, output[-3000:]
    assert set(findings(document, "RPC-REPLY-1")) == {"RPC-REPLY-1/wrong-routing-key"}
    assert code == 1


def test_refused_exchange_declaration_is_topo_2_and_ends_the_run(tmp_path):
    """A server whose declaration of the RPC exchange the broker refuses (it dies of it): TOPO-2, and everything
    else is not examined, with the reason; not a kit error, not exit 3."""
    code, document, output, _ = run_hostile(tmp_path, "refused-exchange")
    assert document, output[-3000:]
    no_kit_error(document, output)
    assert failing(document) == {"TOPO-2"}, output[-3000:]
    assert findings(document, "TOPO-2") == ["TOPO-2/refused-declare"]
    assert "never served" in document["requirements"]["RPC-REPLY-1"]["why"]
    assert code == 1


def test_a_target_that_never_serves_is_a_kit_error_and_is_stopped(tmp_path):
    """Nothing to attribute (it answers nothing and says nothing): one start-up message, exit 3, and the process
    the kit started is gone."""
    code, document, output, _ = run_hostile(tmp_path, "never-serves")
    assert code == 3, output[-3000:]
    assert "did not answer echo" in output


# -- passes by citation -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault,expected,args", [
    ("invoke-without-reply-to", {"MAL-14"}, ()),
    ("exclusive-consumer", {"TOPO-8"}, ()),
], ids=["invokes-without-reply-to", "instances-do-not-share-rpc-S"])
def test_should_faults_are_examined_not_passed(tmp_path, fault, expected, args):
    """Faults the kit once passed by citation: the method of a request without reply_to runs (MAL-14); a second
    instance cannot consume rpc-S (TOPO-8)."""
    code, document, output, _ = run_hostile(tmp_path, fault, "--strict", *args)
    no_kit_error(document, output)
    assert failing(document) == expected, output[-3000:]
    assert code == 1


def test_durable_broadcast_queue_fails_evt_9(tmp_path):
    """A broadcast handler queue that is not exclusive and auto-delete: EVT-9 from the broker's own list of queues
    (private node); the queue it leaves behind keeps taking events meant for running instances (EVT-7, EVT-11)."""
    code, document, output, _ = run_hostile(tmp_path, "broadcast-queue-durable", "--broker", "private")
    no_kit_error(document, output)
    assert "EVT-9" in failing(document), output[-3000:]
    assert failing(document) <= {"EVT-7", "EVT-9", "EVT-11"}, output[-3000:]
    assert code == 1


# -- hostile targets ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["random-bytes", "garbage"])
def test_random_reply_bodies_fail_what_they_break(tmp_path, fault):
    """Random bytes under the right correlation id are not a reply: SER-1 fails, and the checks that once passed
    on the correlation id alone (the sentinel's "still serving") fail. What is observed apart from the body (the
    queue drained, one reply per request, no event from an unanswerable request) may still pass."""
    code, document, output, rss = run_hostile(tmp_path, fault)
    assert document, output[-3000:]
    assert {"SER-1", "MAL-9", "RPC-REPLY-8", "TESTEE-2"} <= failing(document), output[-3000:]
    assert rss < MAX_KIT_RSS_KIB
    assert code == 1


def test_target_exiting_mid_run_ends_the_run(tmp_path):
    """A target that exits at its 25th request: that test's finding, and everything after it is not examined with
    the reason; no test waits out its timeouts against a dead target."""
    code, document, output, _ = run_hostile(tmp_path, "exit-mid-run")
    assert document, output[-3000:]
    no_kit_error(document, output)
    assert document["summary"]["aborted"] and "exited during" in document["summary"]["aborted"]
    reasons = {entry["why"] for entry in document["requirements"].values() if entry["verdict"] == "not examined"}
    assert any("exited during" in why for why in reasons)
    assert 1 <= len(failing(document)) <= 3, failing(document)
    assert code == 1


@pytest.mark.parametrize("fault,kind", [("silent", "went silent"), ("drop-replies", "drops replies")])
def test_unresponsive_target_ends_the_run(tmp_path, fault, kind):
    """A target that goes silent after answering the readiness echo, or drops every second reply: after a few
    unanswered waits the session says so, the run ends, and what is left is not examined with that reason."""
    code, document, output, _ = run_hostile(tmp_path, fault)
    assert document, output[-3000:]
    no_kit_error(document, output)
    assert kind in (document["summary"]["aborted"] or ""), output[-3000:]
    not_examined = [entry["why"] for entry in document["requirements"].values()
                    if entry["verdict"] == "not examined"]
    assert sum(kind in why for why in not_examined) >= 20
    assert len(failing(document)) <= 4, failing(document)
    assert code == 1


def test_flooding_target_is_bounded(tmp_path):
    """Every 10th request answered 10,001 times: exactly-one-reply fails, and the kit keeps a bounded record."""
    code, document, output, rss = run_hostile(tmp_path, "flood")
    assert document, output[-3000:]
    no_kit_error(document, output)
    assert "RPC-REPLY-9" in failing(document) or "MAL-10" in failing(document), output[-3000:]
    assert rss < MAX_KIT_RSS_KIB
    assert code == 1


def test_huge_replies_are_bounded(tmp_path):
    """Every 10th reply carries a 50 MiB result: judged as wrong results, kept truncated in the report, within
    bounded memory."""
    code, document, output, rss = run_hostile(tmp_path, "huge-replies")
    assert document, output[-3000:]
    assert failing(document), output[-3000:]
    assert rss < MAX_KIT_RSS_KIB
    kept = [m for entry in document["requirements"].values() for f in entry["findings"]
            for m in f.get("messages", [])]
    assert any("52428" in (m.get("body_truncated") or "") for m in kept)
    assert code == 1
