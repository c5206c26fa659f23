"""The target's own client, seen through the nested call to the kit's probe service (chapters 02, 05, 06, 07)."""

import pytest

from nameko_conformance import verify
from nameko_conformance.outcomes import Inconclusive
from nameko_conformance.suite._steps import at_broker, reply_to

pytestmark = [pytest.mark.capability("server"), pytest.mark.capability("client")]


def nested_call(peer, probe, service, method="kit_method", args=("n1",), kwargs=None, headers=None):
    """Makes the target call <service>_probe.method; returns the call's reply result and the probe's request (as
    the trace shows it)."""
    mark = probe.mark()
    out = peer.request("call", [f"{service}_probe", method, list(args), kwargs or {"k": 1}], headers=headers)
    result = verify.verify_success(reply_to(peer, out, requirement="TESTEE-6"))
    seen = [probe.trace_entry(request) for request in probe.requests_since(mark)]
    for message in seen:
        peer.trace.add(message)
    if len(seen) != 1:
        verify.fail(f"expected exactly one request at the probe service, saw {len(seen)}", "TESTEE-6")
    return result, seen[0]


def client_reply_queue(peer, request):
    """The queue the broker routed the probe's reply to (the target client's reply queue), from the firehose;
    None without one."""
    reply_key, correlation_id = request.properties.get("reply_to"), request.properties.get("correlation_id")
    if peer.trace.broker is None or not reply_key:
        return None
    publish = at_broker(peer.trace, lambda m: m.exchange == peer.rpc_exchange and m.routing_key == reply_key
                        and m.properties.get("correlation_id") == correlation_id, "the probe's reply")
    if publish is None:
        return None
    return verify.reply_queue_of(publish, reply_key)


@pytest.mark.req("RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-5", "RPC-REQ-9", "TOPO-6",
                 "TESTEE-6", "RPC-CORR-1", "RPC-CORR-7", "RPC-CORR-3", "SER-1")
def test_nested_request_is_well_formed(peer, probe, service):
    """The target's client publishes to the RPC exchange keyed S.m, JSON {args, kwargs}, reply_to and correlation_id."""
    result, request = nested_call(peer, probe, service)
    if result != {"args": ["n1"], "kwargs": {"k": 1}}:
        verify.fail(f"expected the probe's echo {{'args': ['n1'], 'kwargs': {{'k': 1}}}}, saw {result!r}",
                    ("TESTEE-6", "RPC-CORR-1"))
    if request.exchange != peer.rpc_exchange or request.routing_key != f"{service}_probe.kit_method":
        verify.fail(f"expected exchange {peer.rpc_exchange!r} key '{service}_probe.kit_method', saw "
                    f"{request.exchange!r} {request.routing_key!r}", "RPC-REQ-1")
    if request.properties.get("content_type") != "application/json":
        verify.fail(f"expected content_type 'application/json', saw {request.properties.get('content_type')!r}",
                    "RPC-REQ-2")
    reply_key = request.properties.get("reply_to")
    if not reply_key:
        verify.fail("expected a reply_to property, saw none", "RPC-REQ-3")
    if any(c in reply_key for c in ".*#"):
        verify.fail(f"expected a reply_to without '.', '*' or '#', saw {reply_key!r}", "RPC-CORR-3")
    if not request.properties.get("correlation_id"):
        verify.fail("expected a correlation_id property, saw none", "RPC-REQ-4")
    body = verify.verify_json_text(request)
    if not isinstance(body, dict) or not isinstance(body.get("args"), list) or not isinstance(body.get("kwargs"), dict):
        verify.fail(f"expected a body {{args: array, kwargs: object}}, saw {body!r}", "RPC-REQ-5")
    if set(body) != {"args", "kwargs"}:
        verify.fail(f"expected only args and kwargs in the body, saw {sorted(body)}", "RPC-REQ-9")
    if client_reply_queue(peer, request) is not None:
        peer.trace.seen_by_broker("RPC-CORR-1")


@pytest.mark.req("RPC-REQ-6", "RPC-REQ-7")
def test_nested_request_is_utf8_and_persistent(peer, probe, service):
    """The target's client sets content_encoding utf-8 and delivery_mode 2."""
    _, request = nested_call(peer, probe, service)
    if request.properties.get("content_encoding") != "utf-8":
        verify.fail(f"expected content_encoding 'utf-8', saw {request.properties.get('content_encoding')!r}",
                    "RPC-REQ-6")
    if request.properties.get("delivery_mode") != 2:
        verify.fail(f"expected delivery_mode 2, saw {request.properties.get('delivery_mode')!r}", "RPC-REQ-7")


@pytest.mark.req("RPC-CORR-9", "RPC-CORR-13", "RPC-CORR-12")
def test_nested_correlation_ids_are_unique_uuid4(peer, probe, service):
    """Two calls from one client carry different correlation ids, uuid4 in form; reply_to is a uuid4."""
    _, first = nested_call(peer, probe, service)
    _, second = nested_call(peer, probe, service)
    ids = [first.properties.get("correlation_id"), second.properties.get("correlation_id")]
    if ids[0] == ids[1]:
        verify.fail(f"expected distinct correlation ids, saw {ids[0]!r} twice", "RPC-CORR-9")
    if not all(verify.is_uuid4(i) for i in ids):
        verify.fail(f"expected uuid4 correlation ids, saw {ids!r}", "RPC-CORR-13")
    if not verify.is_uuid4(first.properties.get("reply_to")):
        verify.fail(f"expected reply_to a canonical uuid4, saw {first.properties.get('reply_to')!r}", "RPC-CORR-12")


@pytest.mark.req("RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6")
def test_reply_queue_is_named_and_expires(peer, probe, service):
    """The client's reply queue is rpc.reply-<client>-<reply_to>, durable, with x-expires 300000."""
    _, request = nested_call(peer, probe, service)
    reply_key = request.properties.get("reply_to")
    expected = f"rpc.reply-{service}-{reply_key}"
    # The firehose names the queue the probe's reply reached; without it the kit can only try the SHOULD name.
    learned = client_reply_queue(peer, request)
    name = learned or expected
    found = peer.passive_queue(name)
    if not found.ok:
        if found.code == 405:
            peer.trace.note(f"{name} is exclusive to the target's connection: removed when the client goes")
            verify.fail(f"expected {name} not exclusive, saw 405 (exclusive)", "RPC-CORR-5")
        raise Inconclusive(f"no queue {name} (the SHOULD name); the reply queue's flags are not observable",
                           ("RPC-CORR-4", "RPC-CORR-6"))
    verify_reply_queue_flags(peer, name)
    if learned is not None:
        verify.verify_reply_queue_name(learned, service, reply_key)
        peer.trace.seen_by_broker("RPC-CORR-4")


def verify_reply_queue_flags(peer, name):
    if peer.equivalent_queue(name, durable=True, arguments={"x-expires": 300000}).ok:
        return
    for flags in ({"durable": True, "auto_delete": True}, {"durable": False, "auto_delete": True},
                  {"durable": False}, {"durable": True}):
        if peer.equivalent_queue(name, **flags).ok:
            if flags.get("auto_delete"):
                verify.fail(f"expected {name} durable with x-expires 300000, saw {flags}", "RPC-CORR-5")
            verify.fail(f"expected {name} removed when the client goes (x-expires, auto-delete or exclusive), "
                        f"saw {flags} without expiry", ("RPC-CORR-5", "RPC-CORR-6"))
    raise Inconclusive(f"{name} has flags the kit cannot identify without the management API", "RPC-CORR-5")


@pytest.mark.req("CTX-1", "CTX-2", "CTX-6", "CTX-7", "CTX-10")
def test_nested_request_carries_context_and_stack(peer, probe, service):
    """The nested request carries the caller's context unchanged and the worker's stack as an array of strings."""
    headers = {"nameko.call_id_stack": ["kit.root.1"], "nameko.language": "fr", "nameko.kit_token": "t-42"}
    _, request = nested_call(peer, probe, service, headers=headers)
    seen = request.headers or {}
    stack = verify.verify_call_id_stack(seen.get("nameko.call_id_stack"), "CTX-2")
    if len(stack) != 2 or stack[0] != "kit.root.1" or not stack[1].startswith(f"{service}.call."):
        verify.fail(f"expected ['kit.root.1', '{service}.call.<id>'], saw {stack!r}", "CTX-6")
    for key in ("nameko.language", "nameko.kit_token"):
        if seen.get(key) != headers[key]:
            verify.fail(f"expected header {key}={headers[key]!r} carried unchanged, saw {seen.get(key)!r}",
                        ("CTX-7", "CTX-1"))
    void = [k for k, v in seen.items() if v is None]
    if void:
        verify.fail(f"expected no void context headers, saw {void}", "CTX-10")


@pytest.mark.req("CTX-5", "CTX-6")
def test_nested_stack_is_capped(peer, probe, service):
    """A worker with 15 incoming parents sends a stack of 11 entries to the services it calls."""
    incoming = [f"kit.parent.{n}" for n in range(15)]
    _, request = nested_call(peer, probe, service, headers={"nameko.call_id_stack": incoming})
    stack = verify.verify_call_id_stack((request.headers or {}).get("nameko.call_id_stack"), "CTX-2")
    if len(stack) != 11 or stack[:10] != incoming[-10:]:
        verify.fail(f"expected the newest 10 parents + the worker's id, saw {len(stack)} entries {stack!r}", "CTX-5")


@pytest.mark.req("RPC-CALL-1", "RPC-REQ-8", "TESTEE-11")
def test_unknown_service_fails_fast(peer, service):
    """A nested call to a service nobody serves fails with UnknownService, which returns as an error reply; at the
    broker the target client's request reaches no queue."""
    out = peer.request("call", [f"{service}_nosuch", "anything", [], {}])
    reply = reply_to(peer, out, requirement="RPC-CALL-1")
    request = at_broker(peer.trace, lambda m: m.routing_key == f"{service}_nosuch.anything",
                        f"the target client's request to {service}_nosuch")
    if request is not None:
        verify.verify_unroutable_request(request)
    error = verify.verify_error_reply(reply, None, "RPC-CALL-1")
    if error["exc_type"] != "UnknownService":
        verify.fail(f"expected the nested call to fail with UnknownService, saw {error['exc_type']} "
                    f"({error['value']!r})", ("RPC-CALL-1", "RPC-REQ-8"))
    if request is not None:
        peer.trace.seen_by_broker("RPC-CALL-1")
