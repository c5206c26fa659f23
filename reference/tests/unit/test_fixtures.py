"""Every fixture vector through the codec and the decision functions.

Invalid vectors with an `outcome` give that outcome; valid recorded vectors decode to their recorded values.
The vectors are found at run time (`fixtures/**/*.json`).
"""

import inspect

import pytest

from nameko_reference import client_core, codec, names, server_core

from .fixture_cases import cases, message_of

PERMISSIVE = inspect.signature(lambda *args, **kwargs: None)


def _signatures_for(message, case):
    """The methods a service would need for the vector to test its one fault."""
    outcome = case.get("outcome") or {}
    service, _, method = message.routing_key.partition(".")
    if outcome.get("exc_type") == "MethodNotFound":
        return service, {}
    if outcome.get("exc_type") == "IncorrectSignature":
        try:
            body = codec.decode_json(message.body)
            empty = not body.get("args") and not body.get("kwargs")
        except (codec.DecodeError, AttributeError):
            empty = True
        # A method the arguments cannot fit: one that takes nothing, or one that needs something.
        signature = inspect.signature(lambda needed: None) if empty else inspect.signature(lambda: None)
        return service, {method: signature}
    return service, {method: PERMISSIVE}


def _server_outcome(message, case):
    service, signatures = _signatures_for(message, case)
    decision = server_core.decide_request(service, signatures, message)
    if isinstance(decision, server_core.Invoke):
        return {"reply": "success"}
    if isinstance(decision, server_core.ReplyError):
        reply = server_core.error_reply("nameko-rpc", decision.address, decision.error)
        assert codec.decode_json(reply.body)["error"]["exc_path"] == f"nameko.exceptions.{type(decision.error).__name__}"
        return {"reply": "error", "exc_type": type(decision.error).__name__}
    return {"reply": "none", "ack": True, "requeue": False}


DECISION_ERRORS = ("MethodNotFound", "IncorrectSignature", "MalformedRequest")


def _expected(outcome):
    """The outcome as the decision function sees it: errors the method itself causes mean it is invoked."""
    expected = {key: value for key, value in outcome.items() if key in ("reply", "exc_type", "ack", "requeue")}
    if expected.get("reply") == "error" and expected.get("exc_type", "MalformedRequest") not in DECISION_ERRORS:
        return {"reply": "success"}
    return expected


INVALID_WITH_OUTCOME = cases(lambda kind, case: case.get("valid") is False and case.get("outcome")
                             and case["messages"][0]["role"] in ("request", "event"))


@pytest.mark.parametrize("case", [c for _, _, c in INVALID_WITH_OUTCOME], ids=[i for i, _, _ in INVALID_WITH_OUTCOME])
def test_invalid_vector_outcome(case):
    """An invalid vector gets the outcome the fixture states."""
    first = case["messages"][0]
    message = message_of(first)
    expected = _expected(case["outcome"])
    if first["role"] == "event":
        decision = server_core.decide_event("svc", "handler", message)
        got = {"reply": "none", "ack": True, "requeue": False}
        assert isinstance(decision, server_core.Discard) == (expected.get("reply") == "none" and "ack" in expected)
        return
    got = _server_outcome(message, case)
    assert {key: got.get(key) for key in expected} == expected


INVALID_HAND_WRITTEN = cases(lambda kind, case: kind == "hand-written" and case.get("valid") is False)


@pytest.mark.parametrize("case", [c for _, _, c in INVALID_HAND_WRITTEN], ids=[i for i, _, _ in INVALID_HAND_WRITTEN])
def test_invalid_hand_written_vector_never_breaks_the_core(case):
    """Every message of an invalid vector is decided or decoded without an exception escaping."""
    for entry in case["messages"]:
        message = message_of(entry)
        if entry["role"] == "request":
            decision = server_core.decide_request(*_signatures_for(message, case), message)
            assert isinstance(decision, (server_core.Invoke, server_core.ReplyError, server_core.Discard))
        elif entry["role"] == "reply":
            value, error = client_core.outcome_of_reply(message)
            assert error is None or value is None  # RPC-CORR-11
        else:
            decision = server_core.decide_event("svc", "handler", message)
            assert isinstance(decision, (server_core.HandleEvent, server_core.Discard))


VALID_RECORDED = cases(lambda kind, case: case.get("valid") is not False)


@pytest.mark.parametrize("case", [c for _, _, c in VALID_RECORDED], ids=[i for i, _, _ in VALID_RECORDED])
def test_valid_vector_decodes_to_recorded_values(case):
    """Each message of a valid vector decodes to its recorded body; a request gets the case's outcome (success
    when none is stated) and a reply decodes to its result or error."""
    for entry in case["messages"]:
        message = message_of(entry)
        if "body" in entry:
            assert codec.decode_json(message.body) == entry["body"]
        if entry["role"] == "request":
            decision = server_core.decide_request(*_signatures_for(message, case), message)
            expected = _expected(case["outcome"]) if case.get("outcome") else {"reply": "success"}
            assert {key: _server_outcome(message, case).get(key) for key in expected} == expected
            if expected["reply"] != "success" or case.get("outcome", {}).get("reply", "success") != "success":
                continue
            assert (decision.args, decision.kwargs) == (entry["body"]["args"], entry["body"]["kwargs"])
            assert decision.address.reply_to == entry["properties"]["reply_to"]
            stack = (entry.get("headers") or {}).get("nameko.call_id_stack", [])
            assert decision.worker.call_id_stack[:-1] == ([stack] if isinstance(stack, str) else stack)[-10:]
        elif entry["role"] == "reply":
            value, error = client_core.outcome_of_reply(message)
            if entry["body"]["error"] is None:
                assert error is None and value == entry["body"]["result"]
            else:
                assert error is not None and value is None
                assert getattr(error, "error", None) == entry["body"]["error"]
        elif entry["role"] == "event":
            decision = server_core.decide_event("svc", "handler", message)
            assert isinstance(decision, server_core.HandleEvent) and decision.payload == entry["body"]
            assert names.events_exchange(entry["exchange"].rsplit(".events", 1)[0]) == entry["exchange"]


def test_fixture_loader_reads_the_format():
    """The loader turns body_text and body_base64 into bytes, and keeps properties and headers."""
    text = message_of({"role": "request", "routing_key": "s.m", "properties": {"reply_to": "r"}, "headers": {},
                       "body_text": "{\"args\": [], \"kwargs\": {}}"})
    raw = message_of({"role": "request", "routing_key": "s.m", "body_base64": "/w=="})
    assert text.body == b'{"args": [], "kwargs": {}}' and text.properties == {"reply_to": "r"} and text.headers == {}
    assert raw.body == b"\xff" and raw.headers is None
