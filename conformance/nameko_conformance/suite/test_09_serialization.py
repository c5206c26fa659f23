"""JSON as the server decodes and encodes it (chapter 09)."""

import json

import pytest

from nameko_conformance import verify
from nameko_conformance.suite._steps import reply_to

pytestmark = pytest.mark.capability("server")


def echo_body(peer, raw: bytes):
    out = peer.request("echo", body=raw)
    return verify.verify_success(reply_to(peer, out))


@pytest.mark.req("SER-2", "SER-1", "SER-7")
def test_raw_utf8_and_escapes_decode_alike(peer):
    """Non-ASCII text sent raw and as \\u escapes (with a surrogate pair) decodes to the same string."""
    text = "wörld ☃ 😀"
    raw = echo_body(peer, ('{"args": ["' + text + '"], "kwargs": {}}').encode("utf-8"))
    escaped = echo_body(peer, json.dumps({"args": [text], "kwargs": {}}, ensure_ascii=True).encode())
    if raw["args"] != [text] or escaped["args"] != [text]:
        verify.fail(f"expected {text!r} both ways, saw raw {raw['args']!r} and escaped {escaped['args']!r}", "SER-2")


@pytest.mark.req("SER-4")
def test_safe_integers_round_trip(peer):
    """Integers up to ±(2^53−1) come back exactly."""
    values = [2**53 - 1, -(2**53 - 1), 0]
    result = echo_body(peer, json.dumps({"args": values, "kwargs": {}}).encode())
    if result["args"] != values:
        verify.fail(f"expected {values!r}, saw {result['args']!r}", "SER-4")


@pytest.mark.req("SER-13")
def test_big_integers_round_trip(peer):
    """Integers beyond 2^64 come back exactly."""
    values = [2**64 + 1, -(2**70)]
    result = echo_body(peer, json.dumps({"args": values, "kwargs": {}}).encode())
    if result["args"] != values:
        verify.fail(f"expected {values!r}, saw {result['args']!r}", "SER-13")


@pytest.mark.req("SER-5")
def test_integer_and_fraction_stay_distinct(peer):
    """1 and 1.0 echo back as an integer and a number with a fraction."""
    out = peer.request("echo", body=b'{"args": [1, 1.0, 2.5e3], "kwargs": {}}')
    reply = reply_to(peer, out)
    body = json.loads(reply.body, parse_int=lambda s: ("int", s), parse_float=lambda s: ("float", s))
    kinds = [k for k, _ in body["result"]["args"]]
    if kinds != ["int", "float", "float"]:
        verify.fail(f"expected kinds int, float, float, saw {body['result']['args']!r}", "SER-5")


@pytest.mark.req("SER-6")
def test_member_order_has_no_meaning(peer):
    """A body with kwargs before args is the same call."""
    result = echo_body(peer, b'{"kwargs": {"b": 2, "a": 1}, "args": ["o"]}')
    if result != {"args": ["o"], "kwargs": {"a": 1, "b": 2}}:
        verify.fail(f"expected args ['o'] and kwargs {{a: 1, b: 2}}, saw {result!r}", "SER-6")


@pytest.mark.req("SER-9", "SER-8")
def test_tagged_looking_objects_are_plain_data(peer):
    """An object with only __type__ and __value__ is echoed as plain data."""
    value = {"__type__": "datetime", "__value__": "2026-01-01T00:00:00"}
    out = peer.request("echo", [value])
    reply = reply_to(peer, out)
    body = json.loads(reply.body)
    if body.get("result") != {"args": [value], "kwargs": {}}:
        verify.fail(f"expected {value!r} echoed unchanged, saw {body!r}", "SER-9")


def nan_reply(peer):
    out = peer.request("echo", body=b'{"args": [NaN, Infinity], "kwargs": {}}')
    return peer.wait_reply(out.correlation_id, requirement="MAL-9", what="a request carrying NaN")


@pytest.mark.req("SER-3")
def test_reply_never_carries_nan(peer):
    """The reply to a request carrying NaN is standard JSON: no NaN or Infinity emitted."""
    reply = nan_reply(peer)
    try:
        json.loads(reply.body, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except ValueError:
        verify.fail(f"expected the reply without NaN/Infinity, saw {reply.body[:80]!r}", "SER-3")


@pytest.mark.req("SER-12")
def test_nan_in_request_is_accepted(peer):
    """A request carrying NaN is decoded (MAY; informational)."""
    if json.loads(nan_reply(peer).body)["error"] is not None:
        verify.fail("the target refuses NaN in requests (permitted)", "SER-12")


@pytest.mark.req("SER-11", "MAL-3")
def test_other_content_types(peer):
    """A content type the server does not support yields a JSON MalformedRequest reply."""
    out = peer.request("echo", body=b"\x92\xa1a\x80", content_type="application/x-kit-unknown")
    reply = peer.reply_before_sentinel(out, "MAL-3", "an application/x-kit-unknown request")
    if reply.properties.get("content_type") != "application/json":
        verify.fail(f"expected the reply encoded as application/json, saw {reply.properties.get('content_type')!r}",
                    "MAL-3")
    verify.verify_error_reply(reply, "MalformedRequest", "MAL-3")
