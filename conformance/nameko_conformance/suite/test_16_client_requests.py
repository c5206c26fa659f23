"""The port's client, driven by its driver (--client-cmd): what it publishes, how its reply queue is set up.

One driver run (module scope) makes three calls, two from one client context and one from another; the probe
answers normally and, while the client waits, looks at its reply queue. Each test hands one aspect of that run to
the oracle's client checks.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from nameko_conformance.clientcheck import reply_queue
from nameko_conformance.clientcheck.checks import ClientCheck
from nameko_conformance.clientcheck.driver import Call
from nameko_conformance.oracle import client as clients, driver as drivers, names, reply as replies
from nameko_conformance.oracle.client import ReplyQueueView
from nameko_conformance.session import client_names_from
from nameko_conformance.suite._client_steps import (DriverSetup, _client_feature_gate, driver_setup,  # noqa: F401
                                                    echoed, judge_run, needs, reached_client)
from nameko_conformance.trace import Trace

pytestmark = pytest.mark.client_driver
CONTEXT = {"language": "en", "user_id": 7, "kit_token": "t-42"}
CALLS = (("first", ["a", 1], {"k": True}, CONTEXT), ("second", [[1, 2], {"x": None}], {}, CONTEXT),
         ("third", [], {"z": "ü"}, {}))


class BasicRun:
    def __init__(self, setup: DriverSetup):
        self.setup = setup
        self.check = ClientCheck(setup, Trace())
        self.queue_views: dict[str, ReplyQueueView] = {}
        self.probe = self.check.start_probe(choose=self._look_at_reply_queue)
        self.calls = [Call(self.probe.service, method, args, kwargs if setup.has("kwargs") else {}, 10,
                           context if setup.has("context") else {}) for method, args, kwargs, context in CALLS]
        self.run = self.check.drive(self.calls)
        self.check.close()

    def _look_at_reply_queue(self, method, index, wire):
        reply_to = wire.properties.get("reply_to")
        if reply_to and reply_to not in self.queue_views:
            declared = [self.setup.client_name] if self.setup.client_name else []
            probe = self.probe
            self.queue_views[reply_to] = reply_queue.inspect(
                self.setup.amqp_uri, reply_to, declared + client_names_from(wire.headers),
                self.setup.session.queue_lister, self.setup.rpc_exchange,
                (probe.queue, names.service_binding(probe.service)))
            if self.queue_views[reply_to].name:  # whatever its name, the kit removes it at the end if it is left
                self.setup.session.reply_queues.add(self.queue_views[reply_to].name)
        return "normal"

    def show_in(self, trace: Trace) -> None:
        trace.messages.extend(self.check.trace.messages)
        trace.notes.extend(self.check.trace.notes)

    def requests(self) -> list:
        """(call, recorded request) for each call that reached the probe, in job order."""
        by_method = {r.method: r for r in self.probe.requests}
        return [(call, by_method[call.method]) for call in self.calls if call.method in by_method]


@pytest.fixture(scope="module")
def basic(request, client_session) -> BasicRun:
    return BasicRun(driver_setup(request))


@pytest.fixture
def shown(basic, trace) -> BasicRun:
    basic.show_in(trace)
    return basic


def _requests(shown: BasicRun, evidence) -> list:
    return evidence.need(shown.requests() or None, "a request from the driver's client at the probe")


@pytest.mark.req("DRIVER-1", "DRIVER-2", "DRIVER-3", "DRIVER-5", "DRIVER-7", "DRIVER-8", "DRIVER-9")
def test_driver_makes_each_call_once_and_reports_outcomes(shown, evidence):
    """The driver answers the describe job, uses the given exchange, makes each call once and writes one outcome
    per call (to the outcome file when it uses one), exiting 0."""
    evidence.apply(shown.setup.described)
    requests = shown.probe.requests
    evidence.apply(clients.one_request_per_call([r.method for r in requests], [c.method for c in shown.calls],
                                                [shown.probe.trace_entry(r) for r in requests]))
    evidence.apply(drivers.outcome_channel(shown.run.observed))
    judge_run(evidence, shown.run)


@pytest.mark.req("RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4")
def test_request_is_routed_and_has_the_properties(shown, evidence):
    """Requests go to the RPC exchange keyed <service>.<method>, as application/json, with reply_to and a
    correlation_id."""
    for call, request in _requests(shown, evidence):
        evidence.apply(clients.request_routing(request.wire, shown.setup.rpc_exchange, call.service, call.method))
        evidence.apply(clients.request_properties(request.wire))


@pytest.mark.req("RPC-REQ-6", "RPC-REQ-7")
def test_request_is_utf8_and_persistent(shown, evidence):
    """Requests carry content_encoding utf-8 and delivery_mode 2."""
    for _, request in _requests(shown, evidence):
        evidence.apply(clients.request_properties(request.wire))


@pytest.mark.req("RPC-REQ-5", "RPC-REQ-9", "SER-1", "SER-7")
def test_request_body_is_args_and_kwargs(shown, evidence):
    """The body is a strict JSON object of exactly args and kwargs, the call's own arguments."""
    for call, request in _requests(shown, evidence):
        evidence.apply(clients.request_body(shown.probe.trace_entry(request), call.args, call.kwargs))


@pytest.mark.req("RPC-REQ-3", "RPC-CORR-1", "RPC-CORR-7", "RPC-REPLY-10")
def test_replies_reach_the_client_through_reply_to(shown, evidence):
    """A reply published with the request's reply_to as key is routed to the client and completes the call."""
    reached_client(evidence, shown.probe)
    outcomes = judge_run(evidence, shown.run)
    for call, outcome in zip(shown.calls, outcomes):
        # A reply that reached the client before its queue existed would be lost: completing proves RPC-CORR-7.
        evidence.apply(drivers.result(outcome, echoed(call.args, call.kwargs),
                                      ("RPC-CORR-1", "RPC-CORR-7", "RPC-REPLY-10"), f"{call.method}()"))


@needs("context")
@pytest.mark.req("CTX-1", "CTX-10")
def test_context_travels_as_nameko_headers(shown, evidence):
    """Context data goes as nameko.<key> headers; no void values."""
    for call, request in _requests(shown, evidence):
        entry = shown.probe.trace_entry(request)
        evidence.apply(clients.context_headers(entry, call.context))
        evidence.apply(clients.no_void_headers(entry))


@needs("call-ids")
@pytest.mark.req("CTX-2", "CTX-11")
def test_call_id_stack_starts_with_one_entry_per_call(shown, evidence):
    """The call id stack is an array of strings; a client outside any worker starts each call's stack with one
    entry naming the client and the call."""
    entries = [shown.probe.trace_entry(request) for _, request in _requests(shown, evidence)]
    # CTX-2 is about a stack that is sent ("when present"); a client sending none is CTX-11's business.
    carrying = [e for e in entries if names.CALL_ID_STACK_HEADER in (e.headers or {})]
    for entry in carrying:
        evidence.apply(clients.call_id_stack(entry.headers[names.CALL_ID_STACK_HEADER], entry))
    if entries and not carrying:
        evidence.undecided("CTX-2", "no request carried nameko.call_id_stack")
    evidence.apply(clients.root_stacks(entries))


@pytest.mark.req("RPC-CORR-3", "RPC-CORR-9", "RPC-CORR-12", "RPC-CORR-13")
def test_reply_to_is_a_plain_uuid4_and_correlation_ids_are_unique(shown, evidence):
    """reply_to has no '.', '*' or '#' and is a uuid4; every call has its own correlation_id, a uuid4."""
    entries = [shown.probe.trace_entry(request) for _, request in _requests(shown, evidence)]
    for entry in entries:
        evidence.apply(clients.reply_to_key(entry))
    evidence.apply(clients.correlation_ids(entries))


@pytest.mark.req("RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6")
def test_reply_queue_is_named_and_expires(shown, evidence):
    """While the client waits, its reply queue rpc.reply-<client>-<reply_to> is durable with x-expires 300000."""
    evidence.need(shown.queue_views or None, "a request with reply_to at the probe")
    for reply_to, view in shown.queue_views.items():
        evidence.apply(clients.reply_queue(view, reply_to))


@pytest.mark.req("RPC-CORR-2")
def test_each_client_instance_has_its_own_reply_to(client_check: ClientCheck, evidence):
    """Two client instances (two driver runs) send different reply_to values."""
    probe = client_check.start_probe()
    keys = []
    for n in range(2):
        run = client_check.drive([Call(probe.service, f"run{n}", [n], {}, 10)])
        evidence.apply(drivers.run(run.observed))
        request = next((r for r in probe.requests if r.method == f"run{n}"), None)
        keys.append(request.wire.properties.get("reply_to") if request else None)
    evidence.apply(clients.distinct_reply_to(keys))


@pytest.mark.req("SEC-1")
def test_requests_carry_no_credentials(shown, evidence):
    """The client's requests carry no broker credentials: no URI with a password, nor the password, in headers or
    bodies."""
    entries = [shown.probe.trace_entry(request) for _, request in _requests(shown, evidence)]
    evidence.apply(replies.no_credentials(entries, urlsplit(shown.setup.amqp_uri).password))
