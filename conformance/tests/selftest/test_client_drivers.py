"""The client suite against the kit's own drivers: the reference client passes every MUST, and each fault of the
raw-pika broken driver fails exactly the requirements it breaks (and their direct consequences, named below)."""

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import failing, run_kit

DRIVERS = Path(__file__).resolve().parents[2] / "drivers"
# A client that cannot tell replies apart (one correlation id for all calls, or the first reply for the oldest
# call) also completes calls with the wrong reply when replies come out of order, twice, late, or not at all.
MISMATCHED_REPLIES = {"RPC-REPLY-11", "RPC-CORR-10", "RPC-CALL-3", "RPC-CALL-4", "RPC-CALL-6"}
EXPECTED = {
    "reuse-correlation-id": {"RPC-CORR-9"} | MISMATCHED_REPLIES,
    "first-reply-wins": {"RPC-CORR-8"} | MISMATCHED_REPLIES,
    # reply_to is the queue's name: no binding routes a reply to it, and the name holds dots
    "reply-to-queue-name": {"RPC-REQ-3", "RPC-CORR-1", "RPC-CORR-3"},
    "string-call-id-stack": {"CTX-2"},
    "ignore-timeout": {"RPC-CALL-6"},
    "no-mandatory": {"RPC-CALL-1"},
}


def driver(name: str, *options: str) -> str:
    return " ".join([sys.executable, str(DRIVERS / name), *options])


def test_reference_driver_passes_every_must(kit):
    """A client-only run against the reference client: the gate passes and no MUST fails."""
    code, document, output = kit("--client-cmd", driver("reference_driver.py"))
    assert document, output[-3000:]
    assert failing(document) == set(), output[-3000:]
    assert document["requirements"]["RPC-CALL-1"]["verdict"] == "pass"
    assert document["requirements"]["DRIVER-5"]["verdict"] == "pass"
    assert code == 0


def test_broken_driver_without_faults_passes_the_gate(kit):
    """The raw-pika driver conforms without faults (its exclusive reply queue is only a SHOULD matter)."""
    code, document, output = kit("--client-cmd", driver("broken_driver.py"))
    assert failing(document) == set(), output[-3000:]
    assert document["requirements"]["RPC-CORR-5"]["verdict"] == "non-strict"
    assert code == 0


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory):
    """One kit run per fault, all at once: the runs mostly wait for timeouts, so they overlap well."""
    def run(fault):
        return run_kit(tmp_path_factory.mktemp(fault), "--client-cmd", driver("broken_driver.py", "--fault", fault))
    with ThreadPoolExecutor(max_workers=len(EXPECTED)) as pool:
        return dict(zip(sorted(EXPECTED), pool.map(run, sorted(EXPECTED))))


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_each_fault_fails_exactly_its_requirements(fault_runs, fault):
    code, document, output = fault_runs[fault]
    assert failing(document) == EXPECTED[fault], output[-3000:]
    assert code == 1


def test_without_a_driver_client_requirements_are_not_covered(kit):
    """Without --client-cmd the client-only requirements say so instead of passing."""
    code, document, output = kit("--req", "RPC-CALL-*")
    assert document["requirements"]["RPC-CALL-4"]["verdict"] == "not covered: needs client driver", output[-3000:]
    assert document["requirements"]["DRIVER-3"]["verdict"] == "not covered: needs client driver"
