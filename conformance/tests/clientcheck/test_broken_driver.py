"""The raw-pika broken driver: conforming without faults, and each fault visible to the probe or in the outcome."""

import uuid

import pytest

from nameko_conformance.clientcheck.behaviours import FOREIGN_RESULT
from nameko_conformance.clientcheck.driver import DRIVER_HUNG, Call, build_job, run_driver

from .conftest import driver_command


def drive(amqp_uri, rpc_exchange, calls, *faults, **options):
    command = driver_command("broken_driver.py", *(f"--fault={fault}" for fault in faults))
    return run_driver(command, build_job(calls), amqp_uri=amqp_uri, rpc_exchange=rpc_exchange, **options)


def test_without_faults_the_pika_client_conforms(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"dup": "twice", "alien": "foreign_correlation", "fail": "error:ValueError"})
    calls = [Call(probe.service, "dup", [1], {}, 10), Call(probe.service, "alien", [2], {}, 10),
             Call(probe.service, "fail", [], {}, 10), Call(probe.service, "echo", [], {"k": "v"}, 10, {"lang": "en"})]
    result = drive(amqp_uri, rpc_exchange, calls)
    assert result.ok, result.report()
    assert result.outcomes[:2] == [{"result": {"args": [1], "kwargs": {}}}, {"result": {"args": [2], "kwargs": {}}}]
    assert result.outcomes[2]["error"]["kind"] == "remote"
    assert result.outcomes[3] == {"result": {"args": [], "kwargs": {"k": "v"}}}
    headers = probe.requests[-1].fixture["headers"]
    assert headers["nameko.lang"] == "en" and isinstance(headers["nameko.call_id_stack"], list)


def test_reused_correlation_id_shows_in_the_recorded_requests(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe()
    drive(amqp_uri, rpc_exchange, [Call(probe.service, "echo", [n], {}, 5) for n in range(2)],
          "reuse-correlation-id")
    ids = [request.fixture["properties"]["correlation_id"] for request in probe.wait_for_requests(2, 5)]
    assert len(ids) == 2 and ids[0] == ids[1]                                        # breaks RPC-CORR-9


def test_queue_name_as_reply_to_makes_the_reply_unroutable(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe()
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "echo", [], {}, 2)], "reply-to-queue-name")
    assert [reply.routed for reply in probe.replies] == [False]                        # breaks RPC-REQ-3
    assert probe.requests[0].fixture["properties"]["reply_to"].startswith("rpc.reply-broken_driver-")
    assert result.outcomes[0]["error"]["kind"] == "timeout"


def test_first_reply_wins_takes_a_foreign_reply_as_the_result(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"alien": "foreign_correlation"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "alien", [1], {}, 5)], "first-reply-wins")
    assert result.outcomes == [{"result": FOREIGN_RESULT}]                              # breaks RPC-REPLY-11


def test_string_call_id_stack_shows_in_the_recorded_headers(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe()
    drive(amqp_uri, rpc_exchange, [Call(probe.service, "echo", [], {}, 5)], "string-call-id-stack")
    stack = probe.requests[0].fixture["headers"]["nameko.call_id_stack"]
    assert isinstance(stack, str)                                                       # breaks CTX-2


def test_ignored_timeout_makes_the_driver_hang(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"silent": "never"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "silent", [], {}, 1)], "ignore-timeout",
                   wall_clock_limit=8)
    assert result.status == DRIVER_HUNG and result.exit_code is None                    # breaks RPC-CALL-6


@pytest.mark.parametrize("faults, kind", [((), "UnknownService"), (("no-mandatory",), "timeout")])
def test_unknown_service_needs_the_mandatory_flag(amqp_uri, rpc_exchange, faults, kind):
    result = drive(amqp_uri, rpc_exchange, [Call(f"nosuch_{uuid.uuid4().hex[:8]}", "m", [], {}, 2)], *faults)
    assert result.ok, result.report()
    assert result.outcomes[0]["error"]["kind"] == kind                                  # RPC-CALL-1


def test_a_chatty_driver_reports_through_the_outcome_file(amqp_uri, rpc_exchange, start_probe):
    """Junk on standard output does not corrupt the outcome: it comes from NAMEKO_CONFORMANCE_OUTCOME_FILE."""
    probe = start_probe()
    command = driver_command("broken_driver.py", "--chatty")
    result = run_driver(command, build_job([Call(probe.service, "echo", [1], {}, 10)]), amqp_uri=amqp_uri,
                        rpc_exchange=rpc_exchange)
    assert "{not json" in result.stdout
    assert result.ok and result.observed.channel == "outcome file", result.report()
    assert result.outcomes == [{"result": {"args": [1], "kwargs": {}}}]


def test_the_describe_job_names_what_the_client_lacks(amqp_uri, rpc_exchange):
    from nameko_conformance.clientcheck.driver import describe

    command = driver_command("broken_driver.py", "--lacks", "timeouts", "--lacks", "exchange")
    judgement, run = describe(command, amqp_uri=amqp_uri, rpc_exchange=rpc_exchange)
    assert judgement.value == {"timeouts", "exchange"} and judgement.ok, run.report()
    judgement, _ = describe(driver_command("broken_driver.py"), amqp_uri=amqp_uri, rpc_exchange=rpc_exchange)
    assert judgement.value == frozenset() and judgement.examined == {"DRIVER-9"}


def test_a_crash_on_an_undecodable_reply_leaves_no_outcome(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"bad": "malformed_json"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "bad", [], {}, 5)], "crash-on-undecodable")
    assert result.outcomes is None and result.exit_code == 1 and "crashed on" in result.stderr
