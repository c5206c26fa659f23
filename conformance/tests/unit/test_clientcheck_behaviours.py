"""Probe behaviours: parsing, the replies each one plans, and the outcome a conforming client reports."""

import json

import pytest

from nameko_conformance.clientcheck.behaviours import (DEFAULT_LATE_SECONDS, FOREIGN_RESULT, MALFORMED_REPLY_BODY,
                                                      Behaviour, error_object, expected_outcome, plan_replies)

REQUEST = json.dumps({"args": [1, "x"], "kwargs": {"k": None}}).encode()
ECHO = {"result": {"args": [1, "x"], "kwargs": {"k": None}}, "error": None}


def bodies(replies):
    return [json.loads(reply.body) for reply in replies]


@pytest.mark.parametrize("text", ["normal", "late:1.5", "twice", "foreign_correlation", "malformed_json",
                                  "error:ValueError", "error_lenient:MethodNotFound", "unusual_properties", "never"])
def test_behaviour_text_round_trips(text):
    assert str(Behaviour.parse(text)) == text


@pytest.mark.parametrize("text", ["", "sometimes", "late:-1", "error:", "error:not a kind", "twice:2"])
def test_unknown_behaviours_are_refused(text):
    with pytest.raises(ValueError):
        Behaviour.parse(text)


def test_late_defaults_to_two_seconds():
    assert Behaviour.parse("late").delay == DEFAULT_LATE_SECONDS


def test_normal_reply_echoes_args_and_kwargs_with_the_correlation_id():
    (reply,) = plan_replies(Behaviour.parse("normal"), "echo", "c-1", REQUEST)
    assert (reply.delay, reply.correlation_id, json.loads(reply.body)) == (0.0, "c-1", ECHO)


def test_late_reply_waits_and_twice_sends_two_identical_replies():
    (late,) = plan_replies(Behaviour.parse("late:3"), "m", "c", REQUEST)
    assert late.delay == 3 and json.loads(late.body) == ECHO
    twice = plan_replies(Behaviour.parse("twice"), "m", "c", REQUEST)
    assert [r.correlation_id for r in twice] == ["c", "c"] and twice[0].body == twice[1].body


def test_foreign_reply_comes_first_with_a_correlation_id_of_no_call():
    foreign, own = plan_replies(Behaviour.parse("foreign_correlation"), "m", "c", REQUEST)
    assert foreign.correlation_id not in (None, "c") and json.loads(foreign.body)["result"] == FOREIGN_RESULT
    assert own.correlation_id == "c" and json.loads(own.body) == ECHO


def test_malformed_reply_is_not_json_and_never_sends_nothing():
    (reply,) = plan_replies(Behaviour.parse("malformed_json"), "m", "c", REQUEST)
    assert reply.body == MALFORMED_REPLY_BODY
    with pytest.raises(ValueError):
        json.loads(reply.body)
    assert plan_replies(Behaviour.parse("never"), "m", "c", REQUEST) == []


@pytest.mark.parametrize("kind, path", [("MethodNotFound", "nameko.exceptions.MethodNotFound"),
                                        ("UnknownService", "nameko.exceptions.UnknownService"),
                                        ("ValueError", "conformance_probe.ValueError")])
def test_error_objects_have_the_four_members_and_a_matching_path(kind, path):
    error = error_object(kind, "m")
    assert set(error) == {"exc_type", "exc_path", "exc_args", "value"}
    assert error["exc_path"] == path and error["exc_path"].rsplit(".", 1)[1] == kind             # RPC-ERR-3
    assert all(isinstance(arg, str) for arg in error["exc_args"])


def test_lenient_error_has_an_extra_member_and_non_string_args():
    (reply,) = plan_replies(Behaviour.parse("error_lenient:ValueError"), "m", "c", REQUEST)
    error = json.loads(reply.body)["error"]
    assert "probe_extra" in error and not all(isinstance(arg, str) for arg in error["exc_args"])


def test_unusual_properties_reply_carries_headers_and_properties_a_client_ignores():
    (reply,) = plan_replies(Behaviour.parse("unusual_properties"), "m", "c", REQUEST)
    assert reply.headers and {"type", "app_id", "message_id"} <= set(reply.extra_properties)
    assert json.loads(reply.body) == ECHO


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"args": []}', b"\xff"])
def test_malformed_requests_get_a_malformed_request_error(body):
    (reply,) = plan_replies(Behaviour.parse("normal"), "m", "c", body)
    assert json.loads(reply.body)["error"]["exc_type"] == "MalformedRequest"


@pytest.mark.parametrize("text, expected", [
    ("normal", {"result": {"args": [1], "kwargs": {"a": 2}}}),
    ("foreign_correlation", {"result": {"args": [1], "kwargs": {"a": 2}}}),
    ("error:MethodNotFound", {"error": {"kind": "MethodNotFound", "exc_type": "MethodNotFound"}}),
    ("error:UnknownService", {"error": {"kind": "remote", "exc_type": "UnknownService"}}),
    ("error_lenient:KeyError", {"error": {"kind": "remote", "exc_type": "KeyError"}}),
    ("malformed_json", None),
    ("never", None),
])
def test_expected_outcome_follows_rpc_err_11(text, expected):
    assert expected_outcome(Behaviour.parse(text), (1,), {"a": 2}) == expected
