"""The driver runner: environment, stdin job, wall-clock limit and the outcome contract (no broker)."""

import json
import sys
import textwrap

import pytest

from nameko_conformance.clientcheck.driver import (AMQP_URI_VARIABLE, DRIVER_FAILED, DRIVER_HUNG, INVALID_OUTCOME,
                                                   OK, RPC_EXCHANGE_VARIABLE, Call, build_job,
                                                   check_outcome_document, default_wall_clock_limit, run_driver)

JOB = build_job([Call("svc", "echo", [1], {}, 2, {"lang": "en"}), Call("svc", "other", [], {}, None)])


def fake_driver(tmp_path, body: str) -> str:
    script = tmp_path / "driver.py"
    script.write_text("import json, os, sys, time\n" + textwrap.dedent(body))
    return f"{sys.executable} {script}"


def test_job_document_has_the_driver_2_shape():
    call = JOB["calls"][0]
    assert set(call) == {"service", "method", "args", "kwargs", "timeout", "context"}
    assert JOB["calls"][1]["timeout"] is None


def test_default_limit_covers_sequential_calls_plus_start_up():
    assert default_wall_clock_limit(JOB, grace=5) == 5 + 2 + 10


def test_driver_gets_the_job_and_the_broker_from_its_environment(tmp_path):
    command = fake_driver(tmp_path, f"""
        job = json.load(sys.stdin)
        env = [os.environ["{AMQP_URI_VARIABLE}"], os.environ.get("{RPC_EXCHANGE_VARIABLE}")]
        print(json.dumps({{"outcomes": [{{"result": env}}, {{"result": job}}]}}))
    """)
    result = run_driver(command, JOB, amqp_uri="amqp://example/", rpc_exchange="x-rpc", wall_clock_limit=30)
    assert result.status == OK and result.problems == ()
    assert result.outcomes == [{"result": ["amqp://example/", "x-rpc"]}, {"result": JOB}]


def test_exchange_variable_is_unset_when_none_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv(RPC_EXCHANGE_VARIABLE, "leaked")
    command = fake_driver(tmp_path, f"""
        json.load(sys.stdin)
        value = os.environ.get("{RPC_EXCHANGE_VARIABLE}")
        print(json.dumps({{"outcomes": [{{"result": value}}, {{"result": None}}]}}))
    """)
    assert run_driver(command, JOB, amqp_uri="amqp://x/", wall_clock_limit=30).outcomes[0] == {"result": None}


def test_driver_past_its_limit_is_killed_and_reported_hung(tmp_path):
    command = fake_driver(tmp_path, "time.sleep(60)\n")
    result = run_driver(command, JOB, amqp_uri="amqp://x/", wall_clock_limit=1)
    assert result.status == DRIVER_HUNG and result.exit_code is None and result.seconds < 60


def test_failing_driver_without_outcomes_is_driver_failed(tmp_path):
    command = fake_driver(tmp_path, "sys.stderr.write('boom'); sys.exit(3)\n")
    result = run_driver(command, JOB, amqp_uri="amqp://x/", wall_clock_limit=30)
    assert result.status == DRIVER_FAILED and result.exit_code == 3 and "boom" in result.report()


def test_outcomes_with_a_non_zero_exit_break_driver_7(tmp_path):
    command = fake_driver(tmp_path, """
        print(json.dumps({"outcomes": [{"result": 1}, {"result": 2}]})); sys.exit(1)
    """)
    result = run_driver(command, JOB, amqp_uri="amqp://x/", wall_clock_limit=30)
    assert result.status == INVALID_OUTCOME and [p[0] for p in result.problems] == ["DRIVER-7"]


@pytest.mark.parametrize("stdout, requirement", [
    ("", "DRIVER-5"),
    ("not json", "DRIVER-5"),
    ('{"results": []}', "DRIVER-5"),
    ('{"outcomes": [{"result": 1}]}', "DRIVER-5"),
    ('{"outcomes": [{"result": 1}, {"result": 1, "error": null}]}', "DRIVER-5"),
    ('{"outcomes": [{"result": 1}, {"error": {"kind": "timeout"}}]}', "DRIVER-5"),
    ('{"outcomes": [{"result": 1}, {"error": {"kind": "Timeout", "exc_type": "T", "message": ""}}]}', "DRIVER-6"),
])
def test_outcome_documents_that_break_the_contract_are_named(stdout, requirement):
    _, problems = check_outcome_document(stdout, JOB)
    assert problems and problems[0][0] == requirement


def test_every_error_kind_of_driver_6_is_accepted():
    for kind in ("MethodNotFound", "IncorrectSignature", "MalformedRequest", "UnknownService", "timeout", "remote",
                 "protocol"):
        document = {"outcomes": [{"result": None}, {"error": {"kind": kind, "exc_type": kind, "message": ""}}]}
        assert check_outcome_document(json.dumps(document), JOB)[1] == []
