"""The client suite against the kit's own drivers: the reference client passes every requirement it is judged on,
and each fault of the raw-pika broken driver fails exactly the requirements it breaks (and their direct
consequences, named below), attributed to the rule broken: a client that hangs or crashes on a reply the probe
sent on purpose is charged to that reply's rule, never to the driver contract."""

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import failing, run_kit

DRIVERS = Path(__file__).resolve().parents[2] / "drivers"
# A client that cannot tell replies apart (one correlation id for all calls, or the first reply for the oldest
# call) also completes calls with the wrong reply when replies come out of order, twice, late, or not at all.
MISMATCHED_REPLIES = {"RPC-REPLY-11", "RPC-CORR-10", "RPC-CALL-3", "RPC-CALL-4", "RPC-CALL-6"}
# The broken driver's reply queue is exclusive (RPC-CORR-5, a SHOULD) whatever the fault, where the kit finds it.
ALWAYS_SHOULD = {"RPC-CORR-5"}
# fault: (MUST requirements failing, SHOULD requirements failing)
EXPECTED = {
    "reuse-correlation-id": ({"RPC-CORR-9"} | MISMATCHED_REPLIES, ALWAYS_SHOULD),
    "first-reply-wins": ({"RPC-CORR-8"} | MISMATCHED_REPLIES, ALWAYS_SHOULD),
    # reply_to is the queue's name: no binding routes a reply to it, and the name holds dots; every test of how the
    # client treats replies is then masked by the unroutable reply, and its queue is not under a name the kit finds
    "reply-to-queue-name": ({"RPC-REQ-3", "RPC-CORR-1", "RPC-CORR-3"}, {"RPC-CORR-12"}),
    "string-call-id-stack": ({"CTX-2"}, ALWAYS_SHOULD),
    "ignore-timeout": ({"RPC-CALL-6"}, ALWAYS_SHOULD),
    "no-mandatory": ({"RPC-CALL-1"}, ALWAYS_SHOULD),
    # the client dies on an undecodable reply: RPC-CORR-14's finding, not the driver contract's
    "crash-on-undecodable": (set(), {"RPC-CORR-14"} | ALWAYS_SHOULD),
    # it waits for ever after one: RPC-CORR-14, and RPC-CALL-6 for the call's timeout that never fired
    "hang-on-undecodable": ({"RPC-CALL-6"}, {"RPC-CORR-14"} | ALWAYS_SHOULD),
}
CHARGED_TO = {"crash-on-undecodable": "RPC-CORR-14/client-crashed", "hang-on-undecodable": "RPC-CORR-14/client-hung"}


def driver(name: str, *options: str) -> str:
    return " ".join([sys.executable, str(DRIVERS / name), *options])


def should_failing(document: dict) -> set[str]:
    return {req_id for req_id, v in document["requirements"].items() if v["verdict"] == "non-strict"}


def codes(document: dict, req_id: str) -> set[str]:
    return {f["code"] for f in document["requirements"][req_id]["findings"]}


def test_reference_driver_passes_everything_it_is_judged_on(kit):
    """A client-only run against the reference client: the gate passes, every client requirement it is judged on
    passes, and none is left unexamined."""
    code, document, output = kit("--client-cmd", driver("reference_driver.py"))
    assert document, output[-3000:]
    assert failing(document) == set(), output[-3000:]
    judged = {req_id: v["verdict"] for req_id, v in document["requirements"].items()
              if v["verdict"] not in ("not run", "untestable black-box")}
    assert {v for v in judged.values()} == {"pass"}, {k: v for k, v in judged.items() if v != "pass"}
    assert judged["RPC-CALL-1"] == judged["DRIVER-5"] == judged["DRIVER-8"] == judged["DRIVER-9"] == "pass"
    assert code == 0


def test_broken_driver_without_faults_passes_the_gate(kit):
    """The raw-pika driver conforms without faults (its exclusive reply queue is only a SHOULD matter)."""
    code, document, output = kit("--client-cmd", driver("broken_driver.py"))
    assert failing(document) == set(), output[-3000:]
    assert should_failing(document) == ALWAYS_SHOULD
    assert codes(document, "RPC-CORR-5") == {"RPC-CORR-5/exclusive"}
    assert code == 0


@pytest.fixture(scope="module")
def variant_runs(tmp_path_factory):
    """Runs that are no faults: a chatty library with a single error class, and a client lacking every optional
    feature (so it runs on nameko-rpc)."""
    variants = {
        "chatty": ("--chatty", "--single-error-class"),
        "lacks": ("--lacks", "context", "--lacks", "call-ids", "--lacks", "kwargs", "--lacks", "timeouts",
                  "--lacks", "exchange"),
    }

    def run(name):
        return run_kit(tmp_path_factory.mktemp(name), "--client-cmd", driver("broken_driver.py", *variants[name]))
    with ThreadPoolExecutor(max_workers=len(variants)) as pool:
        return dict(zip(sorted(variants), pool.map(run, sorted(variants))))


def test_junk_on_stdout_and_a_single_error_class_still_pass(variant_runs):
    """The outcome file survives a library that prints to standard output, and reporting built-in errors as remote
    errors with their exc_type satisfies RPC-ERR-11 (spec 16)."""
    code, document, output = variant_runs["chatty"]
    assert failing(document) == set(), output[-3000:]
    assert should_failing(document) == ALWAYS_SHOULD
    assert document["requirements"]["RPC-ERR-11"]["verdict"] == "pass"
    assert document["requirements"]["DRIVER-8"]["verdict"] == "pass"
    assert code == 0


def test_features_a_client_lacks_are_capability_absent(variant_runs):
    """A client declaring every optional feature absent passes the gate on nameko-rpc; what needs the features is
    capability absent, and the unknown-service check still runs there."""
    code, document, output = variant_runs["lacks"]
    assert failing(document) == set(), output[-3000:]
    verdicts = {req_id: v["verdict"] for req_id, v in document["requirements"].items()}
    for req_id in ("CTX-1", "CTX-2", "CTX-10", "CTX-11", "RPC-CALL-2", "RPC-CALL-3", "RPC-CALL-6"):
        assert verdicts[req_id] == "capability absent", (req_id, verdicts[req_id])
    assert verdicts["RPC-CALL-1"] in ("pass", "inconclusive")  # inconclusive only if a binding takes every key
    # The driver publishes to nameko-rpc whatever it is told: its requests reach the probe only there.
    assert verdicts["DRIVER-9"] == verdicts["DRIVER-1"] == verdicts["RPC-REQ-1"] == "pass"
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
    must, should = EXPECTED[fault]
    assert failing(document) == must, output[-3000:]
    assert should_failing(document) == should, output[-3000:]
    assert not any(code_.startswith("DRIVER-") for req_id in failing(document) | should_failing(document)
                   for code_ in codes(document, req_id))
    if fault in CHARGED_TO:
        assert CHARGED_TO[fault] in codes(document, "RPC-CORR-14")
        assert document["requirements"]["RPC-CORR-11"]["verdict"] == "masked"
    assert code == (1 if must else 0)


def test_without_a_driver_client_requirements_are_not_covered(kit):
    """Without --client-cmd the client-only requirements say so instead of passing."""
    code, document, output = kit("--req", "RPC-CALL-*")
    assert document["requirements"]["RPC-CALL-4"]["verdict"] == "not covered: needs client driver", output[-3000:]
    assert document["requirements"]["DRIVER-3"]["verdict"] == "not covered: needs client driver"
