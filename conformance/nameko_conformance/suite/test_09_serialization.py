"""JSON as the server decodes and encodes it (chapter 09)."""

import json

import pytest

from nameko_conformance.oracle import serialization, strict_json, values
from nameko_conformance.suite._steps import error_of, reply_to, success

pytestmark = pytest.mark.capability("server")


def echo_body(peer, raw: bytes) -> dict:
    """The echo's result; a result that is no object is judged as it is (and then holds no ``args``)."""
    result = success(peer, reply_to(peer, peer.request("echo", body=raw)))
    return result if isinstance(result, dict) else {"args": result}


@pytest.mark.req("SER-2", "SER-1", "SER-7")
def test_raw_utf8_and_escapes_decode_alike(peer):
    """Non-ASCII text sent raw and as \\u escapes (with a surrogate pair) decodes to the same string."""
    text = "wörld ☃ 😀"
    raw = echo_body(peer, ('{"args": ["' + text + '"], "kwargs": {}}').encode("utf-8"))
    escaped = echo_body(peer, json.dumps({"args": [text], "kwargs": {}}, ensure_ascii=True).encode())
    peer.evidence.apply(values.equal("SER-2", "raw-utf8", "the raw UTF-8 text echoed", [text], raw.get("args")))
    peer.evidence.apply(values.equal("SER-2", "escaped-text", "the \\u-escaped text echoed", [text],
                                     escaped.get("args")))


@pytest.mark.req("SER-4")
def test_safe_integers_round_trip(peer):
    """Integers up to ±(2^53−1) come back exactly."""
    numbers = [2**53 - 1, -(2**53 - 1), 0]
    result = echo_body(peer, json.dumps({"args": numbers, "kwargs": {}}).encode())
    peer.evidence.apply(values.equal("SER-4", "safe-integers", "the integers echoed", numbers, result.get("args")))


@pytest.mark.req("SER-13")
def test_big_integers_round_trip(peer):
    """Integers beyond 2^64 come back exactly."""
    numbers = [2**64 + 1, -(2**70)]
    result = echo_body(peer, json.dumps({"args": numbers, "kwargs": {}}).encode())
    peer.evidence.apply(values.equal("SER-13", "big-integers", "the integers echoed", numbers, result.get("args")))


@pytest.mark.req("SER-5")
def test_integer_and_fraction_stay_distinct(peer):
    """1 and 1.0 echo back as an integer and a number with a fraction."""
    reply = reply_to(peer, peer.request("echo", body=b'{"args": [1, 1.0, 2.5e3], "kwargs": {}}'))
    success(peer, reply)
    peer.evidence.apply(serialization.number_kinds(reply.body, ["int", "float", "float"]))


@pytest.mark.req("SER-6")
def test_member_order_has_no_meaning(peer):
    """A body with kwargs before args is the same call."""
    result = echo_body(peer, b'{"kwargs": {"b": 2, "a": 1}, "args": ["o"]}')
    peer.evidence.apply(values.equal("SER-6", "member-order", "the echo", {"args": ["o"], "kwargs": {"a": 1, "b": 2}},
                                     result))


@pytest.mark.req("SER-9", "SER-8")
def test_tagged_looking_objects_are_plain_data(peer):
    """An object with only __type__ and __value__ is echoed as plain data."""
    value = {"__type__": "datetime", "__value__": "2026-01-01T00:00:00"}
    reply = reply_to(peer, peer.request("echo", [value]))
    body, fault = strict_json.decode(reply.body)
    peer.evidence.apply(values.equal("SER-9", "tagged-object-decoded", "the object echoed unchanged",
                                     {"args": [value], "kwargs": {}},
                                     body.get("result") if isinstance(body, dict) else (fault and fault.reason)))


def nan_reply(peer):
    out = peer.request("echo", body=b'{"args": [NaN, Infinity], "kwargs": {}}')
    return peer.wait_reply(out.correlation_id, requirement="MAL-16", what="a request carrying NaN")


@pytest.mark.req("SER-3")
def test_reply_never_carries_nan(peer):
    """The reply to a request carrying NaN is standard JSON: no NaN or Infinity emitted."""
    peer.evidence.apply(serialization.no_non_standard_constants(nan_reply(peer)))


@pytest.mark.req("SER-12")
def test_nan_in_request_is_accepted(peer):
    """A request carrying NaN is decoded (MAY; informational)."""
    reply = nan_reply(peer)
    body, _ = strict_json.decode(reply.body)
    # A result, or UnserializableValueError (it decoded NaN and then could not encode it back), shows a decoder
    # that accepted NaN; MalformedRequest shows one that refused it.
    peer.evidence.apply(values.holds("SER-12", "nan-refused", "the request carrying NaN decoded (a result or "
                                     "UnserializableValueError)", body, lambda b: isinstance(b, dict) and (
                                         b.get("error") is None
                                         or b["error"].get("exc_type") == "UnserializableValueError")))


@pytest.mark.req("MAL-3", "MAL-9")
def test_other_content_types(peer):
    """A content type the server does not support yields a MalformedRequest reply encoded as JSON."""
    out = peer.request("echo", body=b"\x92\xa1a\x80", content_type="application/x-kit-unknown")
    reply = peer.reply_before_sentinel(out, "MAL-3", "an application/x-kit-unknown request")
    peer.evidence.apply(values.equal("MAL-3", "reply-not-json", "the reply's content_type", "application/json",
                                     reply.properties.get("content_type"), reply))
    error_of(peer, reply, "MalformedRequest", "MAL-3")
