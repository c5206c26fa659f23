"""Malformed requests: the spec's outcome, and the target keeps serving (chapter 10)."""

import json

import pytest

from nameko_conformance import verify
from nameko_conformance.suite._steps import exactly_one_reply

pytestmark = pytest.mark.capability("server")


def malformed_reply(peer, requirement, what, **request):
    out = peer.request("echo", **request)
    reply = peer.reply_before_sentinel(out, requirement, what)
    verify.verify_routed_to_reply_key(reply, peer.reply_key, peer.rpc_exchange)
    error = verify.verify_error_reply(reply, "MalformedRequest", requirement)
    exactly_one_reply(peer, out, ("MAL-10", "MAL-9"))
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
    error = verify.verify_error_reply(reply, None, "MAL-7")
    if error["exc_type"] != "MalformedRequest":
        verify.fail(f"expected MalformedRequest, saw {error['exc_type']}", "MAL-15")


@pytest.mark.req("MAL-12", "MAL-9")
def test_one_mebibyte_request(peer):
    """A 1 MiB request is answered, normally or with an error, and serving goes on."""
    filler = "x" * (1024 * 1024 - 64)
    out = peer.request("echo", [filler])
    reply = peer.wait_reply(out.correlation_id, requirement="MAL-12", what="a 1 MiB request", timeout=20)
    verify.verify_reply_envelope(reply)
    peer.sentinel(("MAL-12", "MAL-9"))


@pytest.mark.req("SEC-5")
def test_oversized_request_is_refused(peer):
    """An 8 MiB request is refused with MalformedRequest (servers enforce a maximum size)."""
    out = peer.request("echo", ["y" * (8 * 1024 * 1024)])
    reply = peer.wait_reply(out.correlation_id, requirement="MAL-9", what="an 8 MiB request", timeout=30)
    verify.verify_error_reply(reply, "MalformedRequest", "SEC-5")


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
    envelope = verify.verify_reply_envelope(reply)
    if envelope["error"] is not None:
        error = verify.verify_error_object(envelope["error"])
        if error["exc_type"] not in ("MalformedRequest", "UnserializableValueError"):
            verify.fail(f"expected MalformedRequest, a result or UnserializableValueError, saw {error['exc_type']}",
                        "MAL-16")
