"""The port's client, driven by its driver (--client-cmd), against a probe that answers late, twice, wrongly or
never: each outcome is still the one the spec requires, and the client neither crashes nor hangs."""

from __future__ import annotations

import uuid

import pytest

from nameko_conformance import verify
from nameko_conformance.clientcheck.behaviours import CLIENT_ERROR_KINDS
from nameko_conformance.clientcheck.checks import ClientCheck
from nameko_conformance.clientcheck.driver import Call
from nameko_conformance.clientcheck.verify_client import (verify_driver_answered, verify_error_kind,
                                                          verify_no_result, verify_replies_routed, verify_result)
from nameko_conformance.suite._client_steps import echoed

pytestmark = pytest.mark.client_driver
TIMEOUT_CHARGE = ("RPC-CALL-6",)  # a driver that never finishes a job with an unanswered call ignores timeouts


def drive_probe(check: ClientCheck, behaviours: dict, calls: list[tuple], hang=("DRIVER-5",)):
    """Starts a probe with ``behaviours``, runs the calls (method, args, timeout) and returns (run, outcomes)."""
    probe = check.start_probe(behaviours=behaviours)
    run = check.drive([Call(probe.service, method, args, {}, timeout) for method, args, timeout in calls])
    outcomes = verify_driver_answered(run, hang)
    verify_replies_routed(probe, run)
    return probe, run, outcomes


@pytest.mark.req("RPC-REPLY-11", "RPC-CORR-10", "DRIVER-4")
def test_replies_out_of_order_complete_their_own_calls(client_check):
    """Three calls in flight whose replies arrive in reverse order each complete with their own reply."""
    calls = [("slow", ["s"], 15), ("medium", ["m"], 15), ("fast", ["f"], 15)]
    probe, run, outcomes = drive_probe(client_check, {"slow": "late:1.2", "medium": "late:0.6"}, calls)
    for (method, args, _), outcome in zip(calls, outcomes):
        verify_result(outcome, echoed(args), ("RPC-REPLY-11", "RPC-CORR-10"), f"{method}()", run)
    first_reply = min(reply.sent_at for reply in probe.replies)
    if not all(request.received_at < first_reply for request in probe.requests):
        verify.fail("expected all calls of a job published before the first outcome is awaited, saw a request "
                    "arrive after a reply was sent", "DRIVER-4")


@pytest.mark.req("RPC-CALL-4")
def test_second_reply_to_a_completed_call_is_discarded(client_check):
    """A duplicate reply changes neither the outcome of its call nor that of the next call."""
    calls = [("dup", ["d"], 10), ("after", ["a"], 10)]
    _, run, outcomes = drive_probe(client_check, {"dup": "twice", "after": "late:0.5"}, calls)
    for (method, args, _), outcome in zip(calls, outcomes):
        verify_result(outcome, echoed(args), "RPC-CALL-4", f"{method}()", run)


@pytest.mark.req("RPC-CORR-8")
def test_reply_with_a_foreign_correlation_id_is_ignored(client_check):
    """A reply whose correlation_id matches no call completes nothing; the real reply completes the call."""
    calls = [("alien", ["x"], 10), ("after", ["a"], 10)]
    _, run, outcomes = drive_probe(client_check, {"alien": "foreign_correlation", "after": "late:0.5"}, calls)
    for (method, args, _), outcome in zip(calls, outcomes):
        verify_result(outcome, echoed(args), "RPC-CORR-8", f"{method}()", run)


@pytest.mark.req("RPC-REPLY-12")
def test_unknown_reply_headers_and_properties_are_ignored(client_check):
    """A reply with extra headers (nameko.* too) and unusual properties completes the call normally."""
    _, run, outcomes = drive_probe(client_check, {"odd": "unusual_properties"}, [("odd", ["o"], 10)])
    verify_result(outcomes[0], echoed(["o"]), "RPC-REPLY-12", "odd()", run)


ERROR_CASES = ("MethodNotFound", "IncorrectSignature", "MalformedRequest", "ValueError", "UnknownService")


@pytest.mark.req("RPC-ERR-11", "RPC-REPLY-10")
def test_error_replies_surface_as_their_kind(client_check):
    """The three nameko.exceptions paths keep their kind; any other error reply is a remote error with exc_type."""
    behaviours = {f"fail_{kind}": f"error:{kind}" for kind in ERROR_CASES}
    _, run, outcomes = drive_probe(client_check, behaviours, [(f"fail_{kind}", [], 10) for kind in ERROR_CASES])
    for kind, outcome in zip(ERROR_CASES, outcomes):
        verify_no_result(outcome, "RPC-REPLY-10", f"a call answered with a {kind} error", run)
        expected = kind if kind in CLIENT_ERROR_KINDS else "remote"
        error = verify_error_kind(outcome, expected, "RPC-ERR-11", f"a call answered with a {kind} error",
                                  exc_type=kind, run=run)
        if expected == "remote" and error.get("message") != f"probe error {kind}":
            verify.fail(f"expected the remote error to carry the reply's value 'probe error {kind}', saw "
                        f"{error.get('message')!r}", "RPC-ERR-11")


@pytest.mark.req("RPC-ERR-12")
def test_error_objects_with_extra_members_are_accepted(client_check):
    """Error objects with an extra member and non-string exc_args still surface as their kind."""
    calls = [("lenient_remote", [], 10), ("lenient_builtin", [], 10)]
    behaviours = {"lenient_remote": "error_lenient:ValueError", "lenient_builtin": "error_lenient:MethodNotFound"}
    _, run, outcomes = drive_probe(client_check, behaviours, calls)
    verify_error_kind(outcomes[0], "remote", "RPC-ERR-12", "a call answered with a lenient ValueError",
                      exc_type="ValueError", run=run)
    verify_error_kind(outcomes[1], "MethodNotFound", "RPC-ERR-12", "a call answered with a lenient "
                      "MethodNotFound", run=run)


@pytest.mark.req("RPC-CALL-6", "RPC-CALL-2")
def test_timeout_fails_the_call_and_the_client_stays_usable(client_check):
    """An unanswered call with a 1 s timeout fails with a timeout; the next call on the client succeeds."""
    calls = [("silent", [], 1), ("after", ["a"], 5)]
    _, run, outcomes = drive_probe(client_check, {"silent": "never"}, calls, hang=TIMEOUT_CHARGE)
    verify_error_kind(outcomes[0], "timeout", "RPC-CALL-6", "an unanswered call with a timeout", run=run)
    verify_result(outcomes[1], echoed(["a"]), "RPC-CALL-6", "the call after a timeout", run)


@pytest.mark.req("RPC-CALL-3")
def test_reply_after_the_timeout_is_discarded(client_check):
    """A reply that arrives after its call timed out completes nothing, not even the call still waiting."""
    calls = [("slow", ["s"], 1), ("slower", ["t"], 10)]
    _, run, outcomes = drive_probe(client_check, {"slow": "late:2.5", "slower": "late:4"}, calls,
                                   hang=TIMEOUT_CHARGE)
    verify_error_kind(outcomes[0], "timeout", "RPC-CALL-6", "a call whose reply comes after its timeout", run=run)
    verify_result(outcomes[1], echoed(["t"]), "RPC-CALL-3", "the call still waiting when the late reply came", run)


@pytest.mark.req("RPC-CALL-1", "RPC-REQ-8")
def test_unknown_service_fails_without_waiting_for_the_timeout(client_check):
    """A call to a service nobody serves fails with UnknownService, not with its 8 s timeout."""
    run = client_check.drive([Call(f"kit_nosuch_{uuid.uuid4().hex[:8]}", "anything", [], {}, 8)])
    outcomes = verify_driver_answered(run)
    verify_error_kind(outcomes[0], "UnknownService", ("RPC-CALL-1", "RPC-REQ-8"),
                      "a call to a service nobody serves", run=run)


@pytest.mark.req("RPC-CORR-11")
def test_undecodable_reply_is_never_a_result(client_check):
    """A reply that is not JSON never completes the call with a result."""
    _, run, outcomes = drive_probe(client_check, {"bad": "malformed_json"}, [("bad", [], 3)], hang=TIMEOUT_CHARGE)
    verify_no_result(outcomes[0], "RPC-CORR-11", "a call answered with an undecodable reply", run)


@pytest.mark.req("RPC-CORR-14")
def test_undecodable_reply_fails_with_a_protocol_error(client_check):
    """A reply that is not JSON fails the call at once with a protocol error rather than by a timeout."""
    _, run, outcomes = drive_probe(client_check, {"bad": "malformed_json"}, [("bad", [], 3)], hang=TIMEOUT_CHARGE)
    verify_error_kind(outcomes[0], "protocol", "RPC-CORR-14", "a call answered with an undecodable reply", run=run)
