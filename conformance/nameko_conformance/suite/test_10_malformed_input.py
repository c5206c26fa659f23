"""Malformed requests: the spec's outcome, and the target keeps serving (chapter 10)."""

import json

import pytest

from nameko_conformance.oracle import names, reply as replies, strict_json, values
from nameko_conformance.suite._steps import error_of

pytestmark = pytest.mark.capability("server")


def malformed_reply(peer, requirement, what, **request):
    """The reply to a malformed request: routed and correlated right, a MalformedRequest error under
    ``requirement``, exactly one, the request not left queued, and serving going on."""
    out = peer.request("echo", **request)
    reply = peer.reply_before_sentinel(out, requirement, what)
    ev = peer.evidence
    ev.apply(replies.routing(reply, peer.reply_key, peer.rpc_exchange))
    ev.apply(replies.correlation(reply, out.correlation_id))
    error = error_of(peer, reply, "MalformedRequest", requirement)
    # A requeued request goes back to the head of the queue: another sentinel round trip bounds its second answer.
    peer.sentinel("MAL-9")
    ev.apply(replies.exactly_one(peer.replies_for(out.correlation_id), what, "MAL-10"))
    queue = names.service_queue(peer.service)
    ev.apply(replies.queue_drained(peer.passive_queue(queue), queue, "MAL-10", what))
    return error


@pytest.mark.req("MAL-1", "MAL-9", "MAL-10")
def test_body_not_json(peer):
    """A body that is not JSON yields a MalformedRequest error reply."""
    malformed_reply(peer, "MAL-1", "a request whose body is not JSON", body=b"{not json")


@pytest.mark.req("MAL-4", "MAL-9", "MAL-10")
def test_body_not_utf8(peer):
    """A body that is not valid UTF-8 yields a MalformedRequest error reply."""
    malformed_reply(peer, "MAL-4", "a request whose body is not UTF-8", body=b'{"args": ["\xff\xfe"], "kwargs": {}}')


@pytest.mark.req("MAL-6", "MAL-9", "MAL-10")
def test_body_json_but_not_object(peer):
    """A JSON array body yields a MalformedRequest error reply."""
    malformed_reply(peer, "MAL-6", "a request whose body is a JSON array", body=b'[["x"], {}]')


@pytest.mark.parametrize("body", [{"args": {"a": 1}, "kwargs": {}}, {"args": [], "kwargs": ["x"]}],
                         ids=["args-object", "kwargs-array"])
@pytest.mark.req("MAL-7", "MAL-15", "MAL-9")
def test_wrong_types_of_args_or_kwargs(peer, body):
    """args that is not an array or kwargs that is not an object yields an error reply, MalformedRequest preferred."""
    out = peer.request("echo", body=json.dumps(body).encode())
    reply = peer.reply_before_sentinel(out, "MAL-7", "a request with wrong types")
    error = error_of(peer, reply, None, "MAL-7")
    peer.evidence.apply(values.equal("MAL-15", "not-malformed-request", "exc_type", "MalformedRequest",
                                     error.get("exc_type"), reply))


@pytest.mark.req("MAL-12")
def test_one_mebibyte_request(peer):
    """A 1 MiB request is answered, normally or with an error, and serving goes on."""
    filler = "x" * (1024 * 1024 - 64)
    out = peer.request("echo", [filler])
    reply = peer.wait_reply(out.correlation_id, requirement="MAL-12", what="a 1 MiB request", timeout=20)
    peer.evidence.apply(replies.envelope(reply))
    body, _ = strict_json.decode(reply.body)
    peer.evidence.apply(values.holds("MAL-12", "wrong-answer", "the echo of the 1 MiB argument or an error reply",
                                     _summary(body), lambda b: b == "error" or b == "echoed"))
    peer.sentinel("MAL-12")


def _summary(body):
    if not isinstance(body, dict):
        return body
    if body.get("error") is not None:
        return "error"
    result = body.get("result")
    return "echoed" if isinstance(result, dict) and result.get("args") and len(result["args"][0]) == 1024 * 1024 - 64 \
        else result


@pytest.mark.req("SEC-5")
def test_oversized_request_is_refused(peer):
    """An 8 MiB request is refused with MalformedRequest (servers enforce a maximum size)."""
    out = peer.request("echo", ["y" * (8 * 1024 * 1024)])
    reply = peer.wait_reply(out.correlation_id, requirement="SEC-5", what="an 8 MiB request", timeout=30)
    error_of(peer, reply, "MalformedRequest", "SEC-5")


LENIENT_ONLY_BODIES = {
    "nan": b'{"args": [NaN], "kwargs": {}}',
    "lone-surrogate": b'{"args": ["\\ud800"], "kwargs": {}}',
    "duplicate-member": b'{"args": ["first"], "args": ["second"], "kwargs": {}}',
}


@pytest.mark.parametrize("body", LENIENT_ONLY_BODIES.values(), ids=LENIENT_ONLY_BODIES.keys())
@pytest.mark.req("MAL-16", "MAL-9")
def test_body_only_a_lenient_parser_reads(peer, body):
    """Such a body is refused as MalformedRequest or handled, and a handled echo is a JSON reply or unserializable."""
    out = peer.request("echo", body=body)
    reply = peer.reply_before_sentinel(out, "MAL-16", "a request whose body only a lenient JSON parser reads")
    envelope = peer.evidence.need(peer.evidence.apply(replies.envelope(reply)), "a reply envelope")
    outcome = "result" if envelope["error"] is None else (envelope["error"] or {}).get("exc_type")
    peer.evidence.apply(values.holds("MAL-16", "wrong-outcome", "MalformedRequest, a result or "
                                     "UnserializableValueError", outcome,
                                     lambda o: o in ("result", "MalformedRequest", "UnserializableValueError")))
