"""The reference implementation's client, driven through drivers/reference_driver.py, against the probe."""

import uuid

import pytest

from nameko_conformance.clientcheck.behaviours import Behaviour, expected_outcome
from nameko_conformance.clientcheck.driver import Call, build_job, run_driver

from .conftest import driver_command

REFERENCE_DRIVER = driver_command("reference_driver.py")


def drive(amqp_uri, rpc_exchange, calls):
    result = run_driver(REFERENCE_DRIVER, build_job(calls), amqp_uri=amqp_uri, rpc_exchange=rpc_exchange)
    assert result.ok, result.report()
    return result


def test_request_and_reply_follow_the_client_rules(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe()
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "echo", ["a"], {"k": 1}, 10, {"language": "en"})])
    assert result.outcomes == [{"result": {"args": ["a"], "kwargs": {"k": 1}}}]
    message = probe.requests[0].fixture
    assert message["properties"]["content_type"] == "application/json"
    assert message["headers"]["nameko.language"] == "en"
    assert isinstance(message["headers"]["nameko.call_id_stack"], list)
    assert [reply.routed for reply in probe.replies] == [True]


@pytest.mark.parametrize("behaviour", ["normal", "twice", "foreign_correlation", "unusual_properties",
                                       "error:MethodNotFound", "error:IncorrectSignature", "error:MalformedRequest",
                                       "error:ValueError", "error:UnknownService", "error_lenient:ValueError"])
def test_each_behaviour_gives_the_expected_outcome(amqp_uri, rpc_exchange, start_probe, behaviour):
    probe = start_probe(behaviours={"m": behaviour})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "m", [1], {}, 10)])
    expected = expected_outcome(Behaviour.parse(behaviour), [1], {})
    outcome = result.outcomes[0]
    if "error" in expected:
        outcome = {"error": {key: outcome["error"][key] for key in ("kind", "exc_type")}}
    assert outcome == expected


def test_malformed_reply_fails_the_call_with_a_protocol_error(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"bad": "malformed_json"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "bad", [], {}, 5)])
    assert result.outcomes[0]["error"]["kind"] == "protocol"                              # RPC-CORR-14


def test_timeouts_late_replies_and_unknown_services(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"silent": "never", "slow": "late:3", "slower": "late:5"})
    calls = [Call(probe.service, "silent", [], {}, 1), Call(probe.service, "slow", ["a"], {}, 1),
             Call(probe.service, "slower", ["b"], {}, 15), Call(f"nosuch_{uuid.uuid4().hex[:8]}", "m", [], {}, 30)]
    result = drive(amqp_uri, rpc_exchange, calls)
    kinds = [outcome.get("error", {}).get("kind") for outcome in result.outcomes]
    assert kinds == ["timeout", "timeout", None, "UnknownService"]
    assert result.outcomes[2] == {"result": {"args": ["b"], "kwargs": {}}}
