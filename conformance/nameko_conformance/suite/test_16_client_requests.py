"""The port's client, driven by its driver (--client-cmd): what it publishes, how its reply queue is set up.

One driver run (module scope) makes three calls, two from one client context and one from another; the probe
answers normally and, while the client waits, looks at its reply queue. Each test judges one aspect of that run.
"""

from __future__ import annotations

import pytest

from nameko_conformance import verify
from nameko_conformance.clientcheck import reply_queue
from nameko_conformance.clientcheck.checks import ClientCheck
from nameko_conformance.clientcheck.driver import Call
from nameko_conformance.clientcheck.verify_client import (request_of, verify_driver_answered,
                                                          verify_replies_routed, verify_requests, verify_result)
from nameko_conformance.outcomes import Inconclusive
from nameko_conformance.session import client_names_from
from nameko_conformance.suite._client_steps import echoed
from nameko_conformance.trace import Trace

pytestmark = pytest.mark.client_driver
CONTEXT = {"language": "en", "user_id": 7, "kit_token": "t-42"}
CALLS = (("first", ["a", 1], {"k": True}, CONTEXT), ("second", [[1, 2], {"x": None}], {}, CONTEXT),
         ("third", [], {"z": "ü"}, {}))


class BasicRun:
    def __init__(self, session):
        self.check = ClientCheck(session, Trace())
        self.queue_views: dict[str, reply_queue.ReplyQueueView] = {}
        self.probe = self.check.start_probe(choose=self._look_at_reply_queue)
        self.calls = [Call(self.probe.service, m, a, k, 10, c) for m, a, k, c in CALLS]
        self.run = self.check.drive(self.calls)
        self.check.close()

    def _look_at_reply_queue(self, method, index, wire):
        reply_to = wire.properties.get("reply_to")
        if reply_to and reply_to not in self.queue_views:
            self.queue_views[reply_to] = reply_queue.inspect(self.check.session.amqp_uri, reply_to,
                                                             client_names_from(wire.headers))
        return "normal"

    def show_in(self, trace: Trace) -> None:
        trace.messages.extend(self.check.trace.messages)
        trace.notes.extend(self.check.trace.notes)

    def outcomes(self) -> list:
        return verify_driver_answered(self.run)

    def requests(self):
        return verify_requests(self.probe, [m for m, *_ in CALLS], ("DRIVER-1", "DRIVER-3"), self.run)


@pytest.fixture(scope="module")
def basic(client_session) -> BasicRun:
    return BasicRun(client_session)


@pytest.fixture
def shown(basic, trace) -> BasicRun:
    basic.show_in(trace)
    return basic


@pytest.mark.req("DRIVER-1", "DRIVER-2", "DRIVER-3", "DRIVER-5", "DRIVER-6", "DRIVER-7")
def test_driver_makes_each_call_once_and_reports_outcomes(shown):
    """The driver uses the given exchange, makes each call once and writes one outcome per call, exiting 0."""
    shown.outcomes()
    shown.requests()


@pytest.mark.req("RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-4")
def test_request_is_routed_and_has_the_properties(shown):
    """Requests go to the RPC exchange keyed <service>.<method>, as application/json, with a correlation_id."""
    for request in shown.requests():
        wire = request.wire
        expected_key = f"{shown.probe.service}.{request.method}"
        if wire.exchange != shown.check.session.rpc_exchange or wire.routing_key != expected_key:
            verify.fail(f"expected exchange {shown.check.session.rpc_exchange!r} key {expected_key!r}, saw "
                        f"{wire.exchange!r} {wire.routing_key!r}", "RPC-REQ-1")
        properties = wire.properties
        if properties.get("content_type") != "application/json":
            verify.fail(f"expected content_type 'application/json', saw {properties.get('content_type')!r}",
                        "RPC-REQ-2")
        if not properties.get("correlation_id"):
            verify.fail(f"expected a correlation_id, saw properties {properties}", "RPC-REQ-4")


@pytest.mark.req("RPC-REQ-6", "RPC-REQ-7")
def test_request_is_utf8_and_persistent(shown):
    """Requests carry content_encoding utf-8 and delivery_mode 2."""
    for request in shown.requests():
        properties = request.wire.properties
        if properties.get("content_encoding") != "utf-8":
            verify.fail(f"expected content_encoding 'utf-8', saw {properties.get('content_encoding')!r}",
                        "RPC-REQ-6")
        if properties.get("delivery_mode") != 2:
            verify.fail(f"expected delivery_mode 2, saw {properties.get('delivery_mode')!r}", "RPC-REQ-7")


@pytest.mark.req("RPC-REQ-5", "SER-1", "SER-7")
def test_request_body_is_args_and_kwargs(shown):
    """The body is a strict JSON object whose args and kwargs are the call's arguments."""
    for request, (method, args, kwargs, _) in zip(sorted(shown.requests(), key=lambda r: r.method),
                                                  sorted(CALLS)):
        seen = verify.verify_json_text(shown.probe.trace_entry(request))
        if not isinstance(seen, dict) or seen.get("args") != args or seen.get("kwargs") != kwargs:
            verify.fail(f"expected the body {{'args': {args!r}, 'kwargs': {kwargs!r}}}, saw {seen!r}", "RPC-REQ-5")


@pytest.mark.req("RPC-REQ-9")
def test_request_body_has_nothing_else(shown):
    """The body has no members other than args and kwargs."""
    for request in shown.requests():
        seen = request.wire.json_body()
        if set(seen) != {"args", "kwargs"}:
            verify.fail(f"expected only args and kwargs in the body, saw {sorted(seen)}", "RPC-REQ-9")


@pytest.mark.req("RPC-REQ-3", "RPC-CORR-1", "RPC-CORR-7", "RPC-REPLY-10")
def test_replies_reach_the_client_through_reply_to(shown):
    """A reply published with the request's reply_to as key is routed to the client and completes the call."""
    outcomes = shown.outcomes()
    verify_replies_routed(shown.probe, shown.run)
    for call, outcome in zip(shown.calls, outcomes):
        verify_result(outcome, echoed(call.args, call.kwargs), ("RPC-CORR-1", "RPC-REPLY-10"),
                      f"{call.method}()", shown.run)


@pytest.mark.req("CTX-1", "CTX-2", "CTX-10")
def test_context_travels_as_nameko_headers(shown):
    """Context data goes as nameko.<key> headers; the call id stack is an array of strings; no void values."""
    for request, (method, _, _, context) in zip(sorted(shown.requests(), key=lambda r: r.method), sorted(CALLS)):
        headers = request.wire.headers or {}
        for key, value in context.items():
            if headers.get(f"nameko.{key}") != value:
                verify.fail(f"expected header nameko.{key}={value!r}, saw {headers.get(f'nameko.{key}')!r}", "CTX-1")
        if "nameko.call_id_stack" in headers:
            verify.verify_call_id_stack(headers["nameko.call_id_stack"], "CTX-2")
        void = [k for k, v in headers.items() if v is None]
        if void:
            verify.fail(f"expected no void context headers, saw {void}", "CTX-10")


@pytest.mark.req("CTX-11")
def test_call_id_stack_starts_with_one_entry_per_call(shown):
    """A client outside any worker starts each call's stack with one entry naming the client and the call."""
    roots = []
    for request in shown.requests():
        stack = (request.wire.headers or {}).get("nameko.call_id_stack")
        if not isinstance(stack, list) or len(stack) != 1:
            verify.fail(f"expected a one-entry call id stack identifying the client and the call, saw {stack!r}",
                        "CTX-11")
        roots.append(stack[0])
    if len(set(roots)) != len(roots):
        verify.fail(f"expected a root entry that identifies each call, saw the same root on several calls: {roots}",
                    "CTX-11")


@pytest.mark.req("RPC-CORR-3", "RPC-CORR-9")
def test_reply_to_is_a_plain_key_and_correlation_ids_are_unique(shown):
    """reply_to has no '.', '*' or '#'; every call has its own correlation_id."""
    requests = shown.requests()
    for request in requests:
        reply_to = request.wire.properties.get("reply_to") or ""
        if any(c in reply_to for c in ".*#"):
            verify.fail(f"expected a reply_to without '.', '*' or '#', saw {reply_to!r}", "RPC-CORR-3")
    ids = [r.wire.properties.get("correlation_id") for r in requests]
    if len(set(ids)) != len(ids):
        verify.fail(f"expected a distinct correlation_id per call, saw {ids}", "RPC-CORR-9")


@pytest.mark.req("RPC-CORR-12", "RPC-CORR-13")
def test_reply_to_and_correlation_ids_are_uuid4(shown):
    """reply_to and correlation_id values are uuid4s in canonical text form."""
    requests = shown.requests()
    ids = [r.wire.properties.get("correlation_id") for r in requests]
    if not all(verify.is_uuid4(i) for i in ids):
        verify.fail(f"expected uuid4 correlation ids, saw {ids}", "RPC-CORR-13")
    for request in requests:
        if not verify.is_uuid4(request.wire.properties.get("reply_to")):
            verify.fail(f"expected reply_to a canonical uuid4, saw {request.wire.properties.get('reply_to')!r}",
                        "RPC-CORR-12")


@pytest.mark.req("RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6")
def test_reply_queue_is_named_and_expires(shown):
    """While the client waits, its reply queue rpc.reply-<client>-<reply_to> is durable with x-expires 300000."""
    shown.outcomes()
    if not shown.queue_views:
        verify.fail("expected requests with reply_to, saw none", "RPC-REQ-3")
    for reply_to, view in shown.queue_views.items():
        failures, inconclusive = reply_queue.judge(view)
        if failures:
            verify.fail("; ".join(text for _, text in failures), tuple(req for req, _ in failures))
        if inconclusive:
            raise Inconclusive(inconclusive, ("RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6"))


@pytest.mark.req("RPC-CORR-2")
def test_each_client_instance_has_its_own_reply_to(client_check: ClientCheck):
    """Two client instances (two driver runs) send different reply_to values."""
    probe = client_check.start_probe()
    keys = []
    for n in range(2):
        run = client_check.drive([Call(probe.service, f"run{n}", [n], {}, 10)])
        verify_driver_answered(run)
        keys.append(request_of(probe.requests, f"run{n}").wire.properties.get("reply_to"))
    if keys[0] == keys[1]:
        verify.fail(f"expected distinct reply_to values for two client instances, saw {keys[0]!r} twice",
                    "RPC-CORR-2")
