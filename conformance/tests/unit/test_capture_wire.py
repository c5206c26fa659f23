"""The language-neutral message model: fixture round trips, exact bytes, headers tables and roles."""

import base64
import datetime
import decimal

import pika
import pytest

from nameko_conformance.capture.wire import WireMessage, infer_role, jsonable, properties_to_dict

REQUEST = {
    "role": "request",
    "exchange": "nameko-rpc",
    "routing_key": "greeting_service.hello",
    "properties": {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
                   "priority": 0, "correlation_id": "c-1", "reply_to": "r-1"},
    "headers": {"nameko.call_id_stack": ["standalone_rpc_proxy.call.x"]},
    "body_text": "{\"args\": [\"w\\u00f6rld\"], \"kwargs\": {}}",
    "body": {"args": ["w\u00f6rld"], "kwargs": {}},
    "routed_queues": ["rpc-greeting_service"],
}


def test_fixture_round_trip_keeps_every_member():
    """A fixture message read and written again is unchanged, members and order included."""
    message = WireMessage.from_fixture(REQUEST)
    assert message.to_fixture() == REQUEST
    assert list(message.to_fixture()) == list(REQUEST)
    assert message.routed_queues == ("rpc-greeting_service",)
    assert message.json_body() == {"args": ["w\u00f6rld"], "kwargs": {}}


def test_body_bytes_are_exact_and_escapes_stay_escaped():
    """`body_text` keeps the sender's bytes: JSON escapes are not turned into raw UTF-8."""
    message = WireMessage.from_fixture(REQUEST)
    assert message.body == b'{"args": ["w\\u00f6rld"], "kwargs": {}}'


def test_non_utf8_body_goes_to_body_base64_without_parsed_body():
    """Bytes that are not UTF-8 are kept in base64, and no parsed body is claimed."""
    raw = b'{"args": ["w\xf6rld"], "kwargs": {}}'
    message = WireMessage("nameko-rpc", "s.m", {"content_type": "application/json"}, None, raw, role="request")
    data = message.to_fixture()
    assert "body_text" not in data and "body" not in data
    assert base64.b64decode(data["body_base64"]) == raw
    assert WireMessage.from_fixture(data).body == raw
    with pytest.raises(ValueError):
        message.json_body()


def test_utf8_body_that_is_not_json_has_text_but_no_parsed_body():
    """Text that is not JSON keeps `body_text` and omits `body`."""
    data = WireMessage("nameko-rpc", "s.m", {}, None, b'{"args": [', role="request").to_fixture()
    assert data["body_text"] == '{"args": ['
    assert "body" not in data


def test_headers_none_and_empty_table_stay_distinct():
    """No headers table omits `headers`; an empty table is written as `{}`."""
    without = WireMessage("nameko-rpc", "r", {}, None, b"{}", role="reply").to_fixture()
    empty = WireMessage("nameko-rpc", "r", {}, {}, b"{}", role="reply").to_fixture()
    assert "headers" not in without
    assert empty["headers"] == {}
    assert WireMessage.from_fixture(without).headers is None
    assert WireMessage.from_fixture(empty).headers == {}


def test_fixture_with_both_or_neither_body_form_is_rejected():
    """A fixture message holds exactly one of body_text and body_base64."""
    both = dict(REQUEST, body_base64="e30=")
    neither = {key: value for key, value in REQUEST.items() if key != "body_text"}
    for data in (both, neither):
        with pytest.raises(ValueError):
            WireMessage.from_fixture(data)


def test_properties_never_hold_headers():
    """Headers travel in their own field, never among the properties."""
    with pytest.raises(ValueError):
        WireMessage("x", "y", {"headers": {}}, None, b"")


def test_mandatory_is_written_only_when_known():
    """`mandatory` appears in the fixture only when the observer knew it."""
    assert "mandatory" not in WireMessage("x", "y", {}, None, b"").to_fixture()
    data = WireMessage("nameko-rpc", "s.m", {}, None, b"", role="request", mandatory=True).to_fixture()
    assert data["mandatory"] is True
    assert WireMessage.from_fixture(data).mandatory is True


def test_from_pika_keeps_set_properties_and_the_headers_table():
    """A consumer's delivery becomes a message with only the properties that were set."""
    method = pika.spec.Basic.Deliver(exchange="nameko-rpc", routing_key="0b7e1f0e")
    properties = pika.BasicProperties(content_type="application/json", correlation_id="c-1", delivery_mode=2,
                                      priority=0, headers={})
    message = WireMessage.from_pika(method, properties, b'{"result": 1, "error": null}', role="reply")
    assert message.properties == {"content_type": "application/json", "delivery_mode": 2, "priority": 0,
                                  "correlation_id": "c-1"}
    assert message.headers == {}
    assert message.routed_queues is None
    no_table = WireMessage.from_pika(method, pika.BasicProperties(), b"")
    assert no_table.headers is None


def test_properties_to_dict_skips_unset_and_converts_timestamp():
    """Unset properties are absent; a timestamp is epoch seconds."""
    properties = pika.BasicProperties(timestamp=1700000000, app_id="kit")
    assert properties_to_dict(properties) == {"timestamp": 1700000000, "app_id": "kit"}


def test_jsonable_turns_amqp_field_values_into_json_data():
    """Field values pika decodes (bytes, datetimes, decimals, nested tables) become JSON data."""
    value = {"s": b"text", "raw": b"\xff", "when": datetime.datetime(2023, 11, 14, 22, 13, 20),
             "price": decimal.Decimal("1.50"), "whole": decimal.Decimal("3"), "list": [b"a", {"k": True}]}
    assert jsonable(value) == {"s": "text", "raw": {"base64": "/w=="}, "when": 1700000000, "price": 1.5,
                               "whole": 3, "list": ["a", {"k": True}]}


@pytest.mark.parametrize("exchange, routing_key, role", [
    ("nameko-rpc", "greeting_service.hello", "request"),
    ("nameko-rpc", "0b7e1f0e-2f4a-4a55-bb1e-9f6c1d2e3a44", "reply"),
    ("greeting_service.events", "greeted", "event"),
    ("", "some-queue", None),
    ("amq.topic", "a.b", None),
])
def test_role_follows_the_routing_pattern(exchange, routing_key, role):
    """Requests carry `S.m` on the RPC exchange, replies a dot-free reply_to, events go to `S.events`."""
    assert infer_role(exchange, routing_key) == role


def test_role_honours_another_rpc_exchange_name():
    """A deployment-wide RPC exchange name other than nameko-rpc is recognised when given."""
    assert infer_role("my-rpc", "svc.m", rpc_exchange="my-rpc") == "request"
    assert infer_role("nameko-rpc", "svc.m", rpc_exchange="my-rpc") is None


def test_unknown_role_is_rejected():
    """Only request, reply and event are roles."""
    with pytest.raises(ValueError):
        WireMessage("x", "y", {}, None, b"", role="command")


def test_summary_is_one_line_with_the_key_facts():
    """The summary names exchange, routing key, correlation id, routed queues and a body excerpt on one line."""
    line = WireMessage.from_fixture(REQUEST).summary()
    assert "\n" not in line
    for fact in ("nameko-rpc", "greeting_service.hello", "c-1", "rpc-greeting_service", '"args"'):
        assert fact in line


def test_summary_shortens_long_bodies():
    """A long body is cut and its size given."""
    line = WireMessage("x", "y", {}, None, b"a" * 5000).summary()
    assert "5000 bytes" in line
    assert len(line) < 400
