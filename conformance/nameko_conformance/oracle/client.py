"""Checks on what a client did (chapters 02, 05, 06, 07 seen from the client): the requests it published, its reply
queue's flags, and its reply_to and correlation ids. The same checks judge a port's client driven by its driver
(client suite) and the target's own client seen through its nested calls (chapter 06 of the server suite)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from nameko_conformance.oracle import names
from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.oracle.values import unchanged
from nameko_conformance.oracle.reply import json_text
from nameko_conformance.oracle.schemas import schema_findings

STACK_CAP = 10  # CTX-5: parent entries a worker keeps
_ROUTING_SPECIALS = ".*#"

# -- the request ------------------------------------------------------------------------------------------------


def request_routing(request: Any, rpc_exchange: str, service: str, method: str) -> Judgement:
    """RPC-REQ-1: published to the RPC exchange keyed ``<service>.<method>``; TOPO-6: the key's service and method
    names are non-empty and free of '.', '*' and '#'."""
    check = Check("RPC-REQ-1", "TOPO-6")
    expected_key = names.request_key(service, method)
    if request.exchange != rpc_exchange or request.routing_key != expected_key:
        check.fail("RPC-REQ-1", "wrong-destination", f"exchange {rpc_exchange!r} key {expected_key!r}",
                   f"exchange {request.exchange or '(default)'!r} key {request.routing_key!r}", request)
    parts = str(request.routing_key).split(".")
    if len(parts) != 2 or not all(parts) or any(c in request.routing_key for c in "*#"):
        check.fail("TOPO-6", "name-syntax", "a key <service>.<method> of two non-empty names without '.', '*', '#'",
                   short(request.routing_key), request)
    return check.done()


def request_properties(request: Any) -> Judgement:
    """RPC-REQ-2, -3, -4 (MUST) and RPC-REQ-6, -7 (SHOULD): the request's properties."""
    check = Check("RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-6", "RPC-REQ-7")
    props = request.properties
    if props.get("content_type") != names.JSON_CONTENT_TYPE:
        check.fail("RPC-REQ-2", "content-type", "content_type 'application/json'", short(props.get("content_type")),
                   request)
    if not props.get("reply_to"):
        check.fail("RPC-REQ-3", "no-reply-to", "a reply_to property", short(props.get("reply_to")), request)
    if not props.get("correlation_id"):
        check.fail("RPC-REQ-4", "no-correlation-id", "a correlation_id property", short(props.get("correlation_id")),
                   request)
    if props.get("content_encoding") != names.UTF8:
        check.fail("RPC-REQ-6", "content-encoding", "content_encoding 'utf-8'", short(props.get("content_encoding")),
                   request)
    if props.get("delivery_mode") != names.PERSISTENT:
        check.fail("RPC-REQ-7", "delivery-mode", "delivery_mode 2", short(props.get("delivery_mode")), request)
    return check.done()


def request_body(request: Any, args: Any = ..., kwargs: Any = ...) -> Judgement:
    """SER-1/3/7/8 (strict JSON), RPC-REQ-5 (an object of args array and kwargs object, the call's own when given)
    and RPC-REQ-9 (nothing else); the body, or None when it is no such object."""
    check = Check("RPC-REQ-5", "RPC-REQ-9")
    body = check.merge(json_text(request))
    if body is None:
        check.undecided("RPC-REQ-5", "the body is not strict JSON").undecided("RPC-REQ-9", "the body is not strict "
                                                                                           "JSON")
        return check.done(None)
    found = list(schema_findings("rpc-request-body.schema.json", body, "RPC-REQ-5", request))
    if found:  # the schema demands an object with both members: past here the body is one
        for finding in found:
            check.fail(*finding)
        check.undecided("RPC-REQ-9", "the body is not a request object")
        return check.done(None)
    if (args is not ... and body["args"] != list(args)) or (kwargs is not ... and body["kwargs"] != dict(kwargs)):
        check.fail("RPC-REQ-5", "wrong-arguments", f"args {short(args)} and kwargs {short(kwargs)}",
                   f"args {short(body['args'])} and kwargs {short(body['kwargs'])}", request)
    extra = sorted(set(body) - {"args", "kwargs"})
    if extra:
        check.fail("RPC-REQ-9", "extra-members", "only args and kwargs in the body", short(extra), request)
    return check.done(body)


def reply_to_key(request: Any) -> Judgement:
    """RPC-CORR-3 (no '.', '*' or '#') and RPC-CORR-12 (a canonical uuid4) on the request's reply_to."""
    reply_to = request.properties.get("reply_to")
    check = Check()
    if not isinstance(reply_to, str) or not reply_to:
        return check.undecided("RPC-CORR-3", "the request has no reply_to").undecided(
            "RPC-CORR-12", "the request has no reply_to").done()
    check.examine("RPC-CORR-3", "RPC-CORR-12")
    if any(c in reply_to for c in _ROUTING_SPECIALS):
        check.fail("RPC-CORR-3", "reply-to-pattern", "a reply_to without '.', '*' or '#'", short(reply_to), request)
    if not names.is_uuid4(reply_to):
        check.fail("RPC-CORR-12", "reply-to-not-uuid4", "reply_to a canonical uuid4", short(reply_to), request)
    return check.done()


def correlation_ids(requests: list) -> Judgement:
    """RPC-CORR-9 (one client's calls carry distinct correlation ids) and RPC-CORR-13 (each a uuid4)."""
    ids = [r.properties.get("correlation_id") for r in requests]
    check = Check("RPC-CORR-13")
    if len(ids) > 1:
        check.examine("RPC-CORR-9")
        if len(set(map(str, ids))) != len(ids):
            check.fail("RPC-CORR-9", "reused-correlation-id", "a distinct correlation_id per call", short(ids),
                       *requests[:3])
    bad = [i for i in ids if not names.is_uuid4(i)]
    if bad:
        check.fail("RPC-CORR-13", "correlation-id-not-uuid4", "uuid4 correlation ids", short(bad), *requests[:3])
    return check.done()


def distinct_reply_to(reply_tos: list) -> Judgement:
    """RPC-CORR-2: two client instances send different reply_to values."""
    check = Check("RPC-CORR-2")
    if len(reply_tos) < 2 or None in reply_tos:
        return check.undecided("RPC-CORR-2", f"reply_to of two client instances not observed: {short(reply_tos)}") \
            .done()
    if len(set(reply_tos)) != len(reply_tos):
        check.fail("RPC-CORR-2", "shared-reply-to", "a distinct reply_to per client instance", short(reply_tos))
    return check.done()


def request(message: Any, rpc_exchange: str, service: str, method: str, args: Any = ...,
            kwargs: Any = ...) -> Judgement:
    """Everything one request shows on its own: routing, properties, body, reply_to, the stack's type and void
    headers (chapters 02, 05, 06). The body is the value."""
    check = Check()
    check.merge(request_routing(message, rpc_exchange, service, method))
    check.merge(request_properties(message))
    check.merge(reply_to_key(message))
    headers = message.headers or {}
    if names.CALL_ID_STACK_HEADER in headers:
        check.merge(call_id_stack(headers[names.CALL_ID_STACK_HEADER], message))
    check.merge(no_void_headers(message))
    return check.done(check.merge(request_body(message, args, kwargs)))


# -- context headers --------------------------------------------------------------------------------------------


def call_id_stack(stack: Any, message: Any = None) -> Judgement:
    """CTX-2: the call id stack is an array of strings; the stack, or None."""
    check = Check("CTX-2")
    if not isinstance(stack, list) or not all(isinstance(entry, str) for entry in stack):
        check.fail("CTX-2", "stack-not-string-array", "nameko.call_id_stack an array of strings",
                   f"{short(stack)} ({type(stack).__name__})", message)
        return check.done(None)
    return check.done(stack)


def context_headers(message: Any, context: dict) -> Judgement:
    """CTX-1: each item of the call's context data as the header ``nameko.<key>`` with its value."""
    check = Check("CTX-1")
    headers = message.headers or {}
    for key, value in context.items():
        seen = headers.get(names.context_header(key))
        if seen != value:
            check.fail("CTX-1", "context-header", f"header {names.context_header(key)}={short(value)}", short(seen),
                       message)
    return check.done()


def no_void_headers(message: Any) -> Judgement:
    """CTX-10: no context header whose value is void."""
    check = Check("CTX-10")
    void = sorted(str(k) for k, v in (message.headers or {}).items()
                  if v is None and str(k).startswith(names.CONTEXT_HEADER_PREFIX))
    if void:
        check.fail("CTX-10", "void-context-header", "no void context headers", short(void), message)
    return check.done()


def root_stacks(requests: list) -> Judgement:
    """CTX-11: a client outside any worker starts each call's stack with one entry, distinct per call. A stack that
    is no array is CTX-2's finding and decides nothing here."""
    check = Check()
    stacks = [s for s in ((r.headers or {}).get(names.CALL_ID_STACK_HEADER) for r in requests) if isinstance(s, list)]
    if not stacks or len(stacks) != len(requests):
        missing = len(requests) - len(stacks)
        if missing and all(names.CALL_ID_STACK_HEADER in (r.headers or {}) for r in requests):
            return check.undecided("CTX-11", f"{missing} call id stacks are no arrays (CTX-2)").done()
    check.examine("CTX-11")
    if len(stacks) != len(requests) or not all(len(s) == 1 for s in stacks):
        shown = [(r.headers or {}).get(names.CALL_ID_STACK_HEADER) for r in requests]
        check.fail("CTX-11", "root-stack-length", "a one-entry call id stack per call", short(shown), *requests[:3])
    elif len({str(s[0]) for s in stacks}) != len(stacks):
        check.fail("CTX-11", "root-entry-reused", "a root entry that identifies each call", short(stacks),
                   *requests[:3])
    return check.done()


def worker_stack(message: Any, incoming: list, service: str) -> Judgement:
    """CTX-6 and CTX-5 on a request a worker sent: its stack is the newest 10 incoming entries and then the
    worker's own call id (``<service>.<method>.<id>``)."""
    check = Check("CTX-6")
    stack = check.merge(call_id_stack((message.headers or {}).get(names.CALL_ID_STACK_HEADER), message))
    if stack is None:
        check.undecided("CTX-6", "the stack is not an array of strings")
        return check.done()
    kept = list(incoming[-STACK_CAP:])
    # The worker's own id is a new entry; its shape (``<service>.<method>.<uuid4>``) is CTX-14's SHOULD, judged
    # where the worker reports its own stack, so a port that names its ids otherwise does not fail this MUST.
    own_ok = bool(stack) and bool(stack[-1]) and stack[-1] not in incoming
    if len(incoming) > STACK_CAP:
        check.examine("CTX-5")
        if len(stack) != STACK_CAP + 1 or stack[:-1] != kept:
            check.fail("CTX-5", "stack-not-capped", f"the newest {STACK_CAP} parents and the worker's id "
                       f"({STACK_CAP + 1} entries)", f"{len(stack)} entries {short(stack)}", message)
        elif not own_ok:
            check.fail("CTX-6", "worker-entry", "the worker's own (new) call id last",
                       short(stack), message)
    elif stack[:-1] != kept or not own_ok:
        check.fail("CTX-6", "worker-stack", f"{short(kept)} followed by the worker's own (new) call id",
                   short(stack), message)
    return check.done()


def carried_context(message: Any, incoming_headers: dict) -> Judgement:
    """CTX-7: every other ``nameko.*`` header of the worker's request, carried unchanged."""
    check = Check("CTX-7")
    headers = message.headers or {}
    for key, value in incoming_headers.items():
        if key == names.CALL_ID_STACK_HEADER or not key.startswith(names.CONTEXT_HEADER_PREFIX):
            continue
        if not unchanged(headers.get(key), value):
            check.fail("CTX-7", "context-not-carried", f"header {key}={short(value)} carried unchanged",
                       short(headers.get(key)), message)
    return check.done()


# -- what the driver's calls did at the probe -----------------------------------------------------------------


def one_request_per_call(seen_methods: list, expected_methods: list, messages: Iterable = ()) -> Judgement:
    """DRIVER-1, -2, -3: the driver's client reached the probe on the exchange it was given (DRIVER-1), having read
    the job (DRIVER-2), and made each call exactly once (DRIVER-3, in any order)."""
    check = Check("DRIVER-1", "DRIVER-2", "DRIVER-3")
    if expected_methods and not seen_methods:
        check.fail("DRIVER-1", "no-requests", f"requests for {short(sorted(expected_methods))} at the probe on the "
                   f"given exchange", "none arrived")
        check.undecided("DRIVER-2", "no request arrived").undecided("DRIVER-3", "no request arrived")
    elif sorted(seen_methods) != sorted(expected_methods):
        check.fail("DRIVER-3", "requests-per-call", f"one request per call for {short(sorted(expected_methods))}",
                   short(sorted(seen_methods)), *list(messages)[:3])
    return check.done()


def one_request_count(seen: list, what: str, requirement: str) -> Judgement:
    """Exactly one request arrived for one call (``what``)."""
    check = Check(requirement)
    if len(seen) != 1:
        check.fail(requirement, "requests-per-call", f"exactly one request for {what}", f"{len(seen)}", *seen[:3])
    return check.done()


def nested_call_result(body: dict, args: list, kwargs: dict, message: Any = None) -> Judgement:
    """TESTEE-6, RPC-CORR-1 and RPC-CORR-7 on the reply to ``call``: the nested call returned the probe's echo, so
    the target's client got its reply through a queue it had bound before it published the request."""
    check = Check("TESTEE-6", "RPC-CORR-1", "RPC-CORR-7")
    expected = {"args": list(args), "kwargs": dict(kwargs)}
    if body.get("error") is not None:
        check.fail("TESTEE-6", "nested-call-failed", f"the nested call returning the probe's echo {short(expected)}",
                   f"error {short(body['error'])}", message)
        check.undecided("RPC-CORR-1", "the nested call failed").undecided("RPC-CORR-7", "the nested call failed")
    elif body.get("result") != expected:
        check.fail("TESTEE-6", "wrong-result", f"the probe's echo {short(expected)}", short(body.get("result")),
                   message)
    return check.done()


def nested_unknown_service(error: dict, message: Any = None) -> Judgement:
    """TESTEE-11 and RPC-REQ-8 on the error reply to ``call`` whose nested call went to an unknown service: the
    call fails with an error, and the client detected the unroutable request (UnknownService, not a timeout)."""
    check = Check("TESTEE-11", "RPC-REQ-8")
    if error.get("exc_type") != "UnknownService":
        check.fail("RPC-REQ-8", "unroutable-not-detected", "the nested call failing with UnknownService",
                   f"{short(error.get('exc_type'))} ({short(error.get('value'))})", message)
    return check.done()


def replies_routed(sent_replies: list) -> Judgement:
    """RPC-REQ-3 and RPC-CORR-1: every reply the probe published keyed by a request's reply_to reached a queue
    (mandatory publish on a confirm channel)."""
    check = Check()
    keyed = [r for r in sent_replies if r.routing_key is not None]
    if not keyed:
        return check.undecided("RPC-CORR-1", "the probe published no reply").done()
    check.examine("RPC-REQ-3", "RPC-CORR-1")
    unrouted = [r for r in keyed if not r.routed]
    if unrouted:
        check.fail("RPC-CORR-1", "reply-unroutable", "a queue bound to the RPC exchange with each request's reply_to",
                   f"the reply keyed {unrouted[0].routing_key!r} returned unroutable")
        check.fail("RPC-REQ-3", "reply-to-unbound", "reply_to the key the client's reply queue is bound with",
                   f"no queue bound with {unrouted[0].routing_key!r}")
    return check.done()


def calls_in_flight(request_times: list, first_reply_time: float | None) -> Judgement:
    """DRIVER-4: every call of a job was published before the first reply was sent."""
    check = Check("DRIVER-4")
    if first_reply_time is None or not request_times:
        return check.undecided("DRIVER-4", "no request and reply to compare").done()
    late = [t for t in request_times if t >= first_reply_time]
    if late:
        check.fail("DRIVER-4", "calls-not-in-flight", "every call published before the first outcome is awaited",
                   f"{len(late)} of {len(request_times)} requests arrived after a reply was sent")
    return check.done()


# -- the reply queue ----------------------------------------------------------------------------------------------

SPEC_REPLY_QUEUE_ARGUMENTS = {"x-expires": names.REPLY_QUEUE_EXPIRES_MS}
# The one table of reply-queue flags: (durable, auto_delete, arguments) in the order the kit tries them by
# equivalent re-declares (the broker accepts exactly the queue's flags and refuses any other with 406), the
# spec's first. RPC-CORR-5 holds for the first only; RPC-CORR-6 for any that makes the broker remove the queue.
REPLY_QUEUE_FLAGS = ((True, False, SPEC_REPLY_QUEUE_ARGUMENTS), (True, False, None),
                     (False, False, SPEC_REPLY_QUEUE_ARGUMENTS), (False, False, None), (True, True, None),
                     (False, True, None), (True, True, SPEC_REPLY_QUEUE_ARGUMENTS),
                     (False, True, SPEC_REPLY_QUEUE_ARGUMENTS))


@dataclass(frozen=True)
class ReplyQueueView:
    """What the broker said about a client's reply queue while the client waited."""

    name: str | None                 # the queue found; None when none of the candidate names exists
    candidates: tuple[str, ...] = ()
    exclusive: bool = False          # a passive declare was refused with 405: exclusive to the client
    flags: tuple | None = None       # (durable, auto_delete, arguments) when identified
    error: str | None = None         # why the kit could not look


def reply_queue(view: ReplyQueueView, reply_to: str | None = None) -> Judgement:
    """RPC-CORR-4 (name, when a queue was found and the reply_to is known), RPC-CORR-5 and RPC-CORR-6 (flags)."""
    check = Check()
    flag_reqs = ("RPC-CORR-5", "RPC-CORR-6")
    if view.name is None:
        why = (f"no queue under the names the kit can guess {short(list(view.candidates))}"
               + (f" ({view.error})" if view.error else "") + "; the reply queue's name and flags are not observable")
        for requirement in ("RPC-CORR-4",) + flag_reqs:
            check.undecided(requirement, why)
        return check.done()
    if reply_to is not None:
        check.examine("RPC-CORR-4")
        if not names.is_recommended_reply_queue(view.name, reply_to):
            check.fail("RPC-CORR-4", "reply-queue-name", f"the reply queue named "
                       f"{names.reply_queue('<client>', reply_to)!r}", repr(view.name))
    if view.exclusive:
        check.examine(*flag_reqs)
        check.fail("RPC-CORR-5", "exclusive", f"{view.name} durable, not exclusive, x-expires 300000",
                   "exclusive to the client's connection")
        return check.done()
    if view.flags is None:
        for requirement in flag_reqs:
            check.undecided(requirement, f"{view.name} has flags the kit cannot identify without the management API")
        return check.done()
    durable, auto_delete, arguments = view.flags
    check.examine(*flag_reqs)
    if not auto_delete and not (arguments or {}).get("x-expires"):
        check.fail("RPC-CORR-6", "never-removed", f"{view.name} removed when the client goes (x-expires, "
                   f"auto-delete or exclusive)", f"durable={durable} auto_delete={auto_delete} arguments={arguments}")
    if (durable, auto_delete, arguments) != REPLY_QUEUE_FLAGS[0]:
        check.fail("RPC-CORR-5", "flags", f"{view.name} durable, not auto-delete, x-expires 300000",
                   f"durable={durable} auto_delete={auto_delete} arguments={arguments}")
    return check.done()
