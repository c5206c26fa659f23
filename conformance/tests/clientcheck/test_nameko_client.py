"""nameko's standalone client, driven through drivers/nameko_driver.py, against each probe behaviour.

Run in the nameko venvs (`-m nameko -p no:pytest_nameko`). Where 2.14.1 and 3.0.0rc11 differ, the test pins
what each does, so that a change in either shows up.
"""

import uuid
from importlib.metadata import version

import pytest

from nameko_conformance.clientcheck.behaviours import Behaviour, expected_outcome
from nameko_conformance.clientcheck.driver import Call, build_job, run_driver

from .conftest import driver_command

pytestmark = pytest.mark.nameko
NAMEKO_DRIVER = driver_command("nameko_driver.py")


def drive(amqp_uri, rpc_exchange, calls, **options):
    job = build_job(calls)
    result = run_driver(NAMEKO_DRIVER, job, amqp_uri=amqp_uri, rpc_exchange=rpc_exchange, **options)
    assert result.ok, result.report()
    return result


def test_request_carries_what_a_client_must_send(amqp_uri, rpc_exchange, start_probe):
    """Request goes to <service>.<method> as JSON with reply_to, correlation_id and context headers."""
    probe = start_probe()
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "echo", ["a", 1], {"k": True}, 10,
                                                 {"language": "en", "user_id": 7})])
    assert result.outcomes == [{"result": {"args": ["a", 1], "kwargs": {"k": True}}}]
    (request,) = probe.requests
    message = request.fixture
    assert (message["exchange"], message["routing_key"]) == (rpc_exchange, f"{probe.service}.echo")   # RPC-REQ-1
    properties = message["properties"]
    assert properties["content_type"] == "application/json"                                     # RPC-REQ-2
    assert properties["content_encoding"] == "utf-8" and properties["delivery_mode"] == 2       # RPC-REQ-6, -7
    uuid.UUID(properties["correlation_id"])                                                       # RPC-CORR-13
    uuid.UUID(properties["reply_to"])                                                             # RPC-CORR-12
    assert message["body"] == {"args": ["a", 1], "kwargs": {"k": True}}                          # RPC-REQ-5
    headers = message["headers"]
    assert headers["nameko.language"] == "en" and headers["nameko.user_id"] == 7                 # CTX-1
    stack = headers["nameko.call_id_stack"]
    assert isinstance(stack, list) and len(stack) == 1 and isinstance(stack[0], str)             # CTX-2, CTX-11
    assert [reply.routed for reply in probe.replies] == [True]                                   # RPC-REQ-3


def test_calls_in_flight_complete_by_their_own_replies(amqp_uri, rpc_exchange, start_probe):
    """Three calls are published before any reply; each completes with its own reply, whatever the order."""
    probe = start_probe(behaviours={"first": "late:1.5", "second": "late:0.5", "third": "normal"})
    calls = [Call(probe.service, name, [name], {}, 15) for name in ("first", "second", "third")]
    result = drive(amqp_uri, rpc_exchange, calls)
    assert result.outcomes == [{"result": {"args": [name], "kwargs": {}}} for name in ("first", "second", "third")]
    requests = probe.requests
    correlation_ids = {request.fixture["properties"]["correlation_id"] for request in requests}
    assert len(correlation_ids) == 3                                                              # RPC-CORR-9
    first_reply = min(reply.sent_at for reply in probe.replies)
    assert all(request.received_at < first_reply for request in requests)                        # DRIVER-4


@pytest.mark.parametrize("behaviour", ["twice", "foreign_correlation", "unusual_properties"])
def test_extra_and_unusual_replies_do_not_change_the_outcome(amqp_uri, rpc_exchange, start_probe, behaviour):
    """A duplicate reply, a reply to no call and unknown reply properties leave each outcome as it is."""
    probe = start_probe(behaviours={"odd": behaviour})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "odd", [1], {}, 10),
                                            Call(probe.service, "after", [2], {}, 10)])
    assert result.outcomes == [expected_outcome(Behaviour.parse(behaviour), [1], {}),
                               {"result": {"args": [2], "kwargs": {}}}]


@pytest.mark.parametrize("behaviour", ["error:MethodNotFound", "error:IncorrectSignature", "error:MalformedRequest",
                                       "error:ValueError", "error:UnknownService", "error_lenient:ValueError",
                                       "error_lenient:MethodNotFound"])
def test_error_replies_surface_as_their_kind(amqp_uri, rpc_exchange, start_probe, behaviour):
    """nameko's three built-in error paths keep their kind; every other error reply is a remote error."""
    probe = start_probe(behaviours={"fail": behaviour})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "fail", [], {}, 10)])
    (outcome,) = result.outcomes
    expected = expected_outcome(Behaviour.parse(behaviour), [], {})["error"]
    assert {key: outcome["error"][key] for key in ("kind", "exc_type")} == expected
    if expected["kind"] == "remote":
        assert outcome["error"]["message"] == f"probe error {expected['exc_type']}"


def test_unanswered_call_times_out_and_the_client_stays_usable(amqp_uri, rpc_exchange, start_probe):
    probe = start_probe(behaviours={"silent": "never"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "silent", [], {}, 1),
                                            Call(probe.service, "echo", ["later"], {}, 10)])
    assert result.outcomes[0]["error"]["kind"] == "timeout"                                     # RPC-CALL-6
    assert result.outcomes[1] == {"result": {"args": ["later"], "kwargs": {}}}


def test_reply_after_the_timeout_is_discarded(amqp_uri, rpc_exchange, start_probe):
    """A reply arriving after its call timed out does not complete the call still waiting."""
    probe = start_probe(behaviours={"slow": "late:3", "slower": "late:5"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "slow", ["a"], {}, 1),
                                            Call(probe.service, "slower", ["b"], {}, 15)])
    assert result.outcomes[0]["error"]["kind"] == "timeout"                                     # RPC-CALL-3
    assert result.outcomes[1] == {"result": {"args": ["b"], "kwargs": {}}}


def test_unknown_service_fails_at_once(amqp_uri, rpc_exchange):
    result = drive(amqp_uri, rpc_exchange, [Call(f"nosuch_{uuid.uuid4().hex[:8]}", "m", [], {}, 30)])
    assert result.outcomes[0]["error"]["kind"] == "UnknownService"                              # RPC-CALL-1
    assert result.seconds < 30


def test_malformed_reply_never_completes_the_call(amqp_uri, rpc_exchange, start_probe):
    """An undecodable reply is no result (RPC-CORR-11): 2.14.1 raises it in the caller, 3.0.0rc11 drops it."""
    probe = start_probe(behaviours={"bad": "malformed_json"})
    result = drive(amqp_uri, rpc_exchange, [Call(probe.service, "bad", [], {}, 2)])
    (outcome,) = result.outcomes
    assert "result" not in outcome
    # Asked of the installed distribution: conformance/tests/nameko/ would satisfy a plain import check.
    expected_kind = "protocol" if version("nameko").startswith("2.") else "timeout"
    assert outcome["error"]["kind"] == expected_kind, outcome
