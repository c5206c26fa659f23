"""The port's client, driven by its driver (--client-cmd), against a probe that answers late, twice, wrongly or
never: each outcome is still the one the spec requires, and the client neither crashes nor hangs.

A client that hangs or crashes on what the probe sent on purpose is charged to the rule that misbehaviour tests
(a client that dies on an undecodable reply breaks RPC-CORR-14), never to the driver contract.
"""

from __future__ import annotations

import pytest

from nameko_conformance.clientcheck.behaviours import MALFORMED_REPLY_BODY
from nameko_conformance.clientcheck.checks import ClientCheck
from nameko_conformance.clientcheck.driver import Call
from nameko_conformance.clientcheck.probe_service import ProbeService
from nameko_conformance.clientcheck.unroutable import routable_on
from nameko_conformance.oracle import client as clients, driver as drivers
from nameko_conformance.suite._client_steps import (_client_feature_gate, echoed, judge_run, needs,  # noqa: F401
                                                    reached_client, unknown_service)

pytestmark = pytest.mark.client_driver


def drive_probe(check: ClientCheck, evidence, behaviours: dict, calls: list[tuple], charge: tuple[str, ...],
                why: str, hang_charge: tuple[str, ...] | None = None) -> tuple[ProbeService, list]:
    """Starts a probe with ``behaviours``, runs the calls (method, args, timeout) and returns (probe, outcomes);
    a crash is charged to ``charge`` and a hang to ``hang_charge`` (or ``charge``): what the probe did (``why``)
    is what the client could not take."""
    probe = check.start_probe(behaviours=behaviours)
    run = check.drive([Call(probe.service, method, args, {}, timeout) for method, args, timeout in calls])
    reached_client(evidence, probe)
    return probe, judge_run(evidence, run, charge, why, hang_charge)


@pytest.mark.req("RPC-REPLY-11", "RPC-CORR-10", "DRIVER-4")
def test_replies_out_of_order_complete_their_own_calls(client_check, evidence):
    """Three calls in flight whose replies arrive in reverse order each complete with their own reply."""
    calls = [("slow", ["s"], 15), ("medium", ["m"], 15), ("fast", ["f"], 15)]
    probe, outcomes = drive_probe(client_check, evidence, {"slow": "late:1.2", "medium": "late:0.6"}, calls,
                                  ("RPC-CORR-10",), "replies in reverse order")
    evidence.apply(_in_flight(probe))
    for (method, args, _), outcome in zip(calls, outcomes):
        # A call completed with another call's reply breaks both rules: matching by arrival order and completing
        # each outstanding call by its own reply.
        evidence.apply(drivers.result(outcome, echoed(args), "RPC-REPLY-11", f"{method}()"))
        evidence.apply(drivers.result(outcome, echoed(args), "RPC-CORR-10", f"{method}()"))


def _in_flight(probe: ProbeService):
    replies = probe.replies
    return clients.calls_in_flight([r.received_at for r in probe.requests],
                                   min((r.sent_at for r in replies), default=None))


@pytest.mark.req("RPC-CALL-4")
def test_second_reply_to_a_completed_call_is_discarded(client_check, evidence):
    """A duplicate reply changes neither the outcome of its call nor that of the next call."""
    calls = [("dup", ["d"], 10), ("after", ["a"], 10)]
    _, outcomes = drive_probe(client_check, evidence, {"dup": "twice", "after": "late:0.5"}, calls,
                              ("RPC-CALL-4",), "a second reply to a completed call")
    for (method, args, _), outcome in zip(calls, outcomes):
        evidence.apply(drivers.result(outcome, echoed(args), "RPC-CALL-4", f"{method}()"))


@pytest.mark.req("RPC-CORR-8")
def test_reply_with_a_foreign_correlation_id_is_ignored(client_check, evidence):
    """A reply whose correlation_id matches no call completes nothing; the real reply completes the call."""
    calls = [("alien", ["x"], 10), ("after", ["a"], 10)]
    _, outcomes = drive_probe(client_check, evidence, {"alien": "foreign_correlation", "after": "late:0.5"}, calls,
                              ("RPC-CORR-8",), "a reply with a correlation id of no call")
    for (method, args, _), outcome in zip(calls, outcomes):
        evidence.apply(drivers.result(outcome, echoed(args), "RPC-CORR-8", f"{method}()"))


@pytest.mark.req("RPC-REPLY-12")
def test_unknown_reply_headers_and_properties_are_ignored(client_check, evidence):
    """A reply with extra headers (nameko.* too) and unusual properties completes the call normally."""
    _, outcomes = drive_probe(client_check, evidence, {"odd": "unusual_properties"}, [("odd", ["o"], 10)],
                              ("RPC-REPLY-12",), "a reply with unusual headers and properties")
    evidence.apply(drivers.result(outcomes[0], echoed(["o"]), "RPC-REPLY-12", "odd()"))


ERROR_CASES = ("MethodNotFound", "IncorrectSignature", "MalformedRequest", "ValueError", "UnknownService")


@pytest.mark.req("RPC-ERR-11", "RPC-REPLY-10", "DRIVER-6")
def test_error_replies_surface_as_their_kind(client_check, evidence):
    """The three nameko.exceptions paths keep their kind; any other error reply is a remote error with exc_type
    and value."""
    behaviours = {f"fail_{kind}": f"error:{kind}" for kind in ERROR_CASES}
    _, outcomes = drive_probe(client_check, evidence, behaviours, [(f"fail_{kind}", [], 10) for kind in ERROR_CASES],
                              ("RPC-ERR-11",), "error replies")
    for kind, outcome in zip(ERROR_CASES, outcomes):
        what = f"a call answered with a {kind} error"
        evidence.apply(drivers.not_a_result(outcome, "RPC-REPLY-10", what))
        evidence.apply(drivers.surfaced_error(outcome, kind, f"probe error {kind}", what))


@pytest.mark.req("RPC-ERR-12")
def test_error_objects_with_extra_members_are_accepted(client_check, evidence):
    """Error objects with an extra member and non-string exc_args still surface as their kind."""
    calls = [("lenient_remote", [], 10), ("lenient_builtin", [], 10)]
    behaviours = {"lenient_remote": "error_lenient:ValueError", "lenient_builtin": "error_lenient:MethodNotFound"}
    _, outcomes = drive_probe(client_check, evidence, behaviours, calls, ("RPC-ERR-12",),
                              "error objects with extra members")
    evidence.apply(drivers.surfaced_error(outcomes[0], "ValueError", "probe error ValueError",
                                          "a call answered with a lenient ValueError", "RPC-ERR-12"))
    evidence.apply(drivers.surfaced_error(outcomes[1], "MethodNotFound", "lenient_builtin",
                                          "a call answered with a lenient MethodNotFound", "RPC-ERR-12"))


@needs("timeouts")
@pytest.mark.req("RPC-CALL-6", "RPC-CALL-2")
def test_timeout_fails_the_call_and_the_client_stays_usable(client_check, evidence):
    """An unanswered call with a 1 s timeout fails with a timeout; the next call on the client succeeds."""
    calls = [("silent", [], 1), ("after", ["a"], 5)]
    _, outcomes = drive_probe(client_check, evidence, {"silent": "never"}, calls, ("RPC-CALL-6",),
                              "an unanswered call with a 1 s timeout")
    evidence.apply(drivers.error_kind(outcomes[0], "timeout", ("RPC-CALL-6", "RPC-CALL-2"),
                                      "an unanswered call with a timeout"))
    evidence.apply(drivers.result(outcomes[1], echoed(["a"]), "RPC-CALL-6", "the call after a timeout"))


@needs("timeouts")
@pytest.mark.req("RPC-CALL-3")
def test_reply_after_the_timeout_is_discarded(client_check, evidence):
    """A reply that arrives after its call timed out completes nothing, not even the call still waiting."""
    calls = [("slow", ["s"], 1), ("slower", ["t"], 10)]
    _, outcomes = drive_probe(client_check, evidence, {"slow": "late:2.5", "slower": "late:4"}, calls,
                              ("RPC-CALL-3",), "a reply after its call's timeout")
    evidence.apply(drivers.error_kind(outcomes[0], "timeout", "RPC-CALL-6",
                                      "a call whose reply comes after its timeout"))
    evidence.apply(drivers.result(outcomes[1], echoed(["t"]), "RPC-CALL-3",
                                  "the call still waiting when the late reply came"))


@pytest.mark.req("RPC-CALL-1", "RPC-REQ-8")
def test_unknown_service_fails_without_waiting_for_the_timeout(client_check, evidence):
    """A call to a service nobody serves fails with UnknownService, not with its 8 s timeout. On a shared exchange
    (nameko-rpc) the kit first proves that no binding takes the unknown service's key."""
    service = unknown_service()
    setup = client_check.session
    if setup.on_default_exchange:
        routed = routable_on(setup.amqp_uri, setup.rpc_exchange, f"{service}.anything")
        if routed is not False:
            evidence.undecided(("RPC-CALL-1", "RPC-REQ-8"), f"on {setup.rpc_exchange} a binding takes every key "
                               f"(or the kit could not tell: {routed}); an unroutable request cannot be made")
            return
    run = client_check.drive([Call(service, "anything", [], {}, 8)])
    outcomes = judge_run(evidence, run, ("RPC-CALL-1",), "a call to a service nobody serves")
    evidence.apply(drivers.error_kind(outcomes[0], "UnknownService", ("RPC-CALL-1", "RPC-REQ-8"),
                                      "a call to a service nobody serves"))


@pytest.mark.req("RPC-CORR-11", "RPC-CORR-14")
def test_undecodable_reply_is_never_a_result_and_fails_with_a_protocol_error(client_check, evidence):
    """A reply that is not JSON never completes the call with a result, and fails it at once with a protocol error
    rather than by its timeout."""
    _, outcomes = drive_probe(client_check, evidence, {"bad": "malformed_json"}, [("bad", [], 3)],
                              ("RPC-CORR-14",), f"an undecodable reply {MALFORMED_REPLY_BODY!r}",
                              hang_charge=("RPC-CORR-14", "RPC-CALL-6"))
    what = "a call answered with an undecodable reply"
    evidence.apply(drivers.not_a_result(outcomes[0], "RPC-CORR-11", what))
    evidence.apply(drivers.error_kind(outcomes[0], "protocol", "RPC-CORR-14", what))
