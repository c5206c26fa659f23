"""Decoding firehose trace deliveries into the messages that were published.

The two trace deliveries below were recorded from RabbitMQ 3.10.8 (`rabbitmqctl trace_on`, a queue bound to
`amq.rabbitmq.trace` with `publish.#`): their content-header properties as the broker encoded them, and their
bodies. The first is a nameko-style request with context headers that reached `rpc-greeting_service`; the second
a request for a service nobody serves, which reached no queue.
"""

import base64

import pika
import pytest

from nameko_conformance.capture.firehose import TraceDecodeError, decode_trace

ROUTED_TRACE_PROPERTIES = (
    "IAAAAAJpDWV4Y2hhbmdlX25hbWVTAAAACm5hbWVrby1ycGMMcm91dGluZ19rZXlzQQAAABtTAAAAFmdyZWV0aW5nX3NlcnZpY2UuaGVsbG8K"
    "cHJvcGVydGllc0YAAAFgCHJlcGx5X3RvUwAAACQwYjdlMWYwZS0yZjRhLTRhNTUtYmIxZS05ZjZjMWQyZTNhNDQOY29ycmVsYXRpb25faWRT"
    "AAAAJDVmMGMxYTUyLTU0YTQtNGMwZS05YTU3LTNhM2QyYjhmNmExMQhwcmlvcml0eUkAAAAADWRlbGl2ZXJ5X21vZGVJAAAAAgdoZWFkZXJz"
    "RgAAAIsUbmFtZWtvLmNhbGxfaWRfc3RhY2tBAAAAQ1MAAAA+c3RhbmRhbG9uZV9ycGNfcHJveHkuY2FsbC42ZjFlMmQzYy00YjVhLTQ5Njgt"
    "ODc3Ni02NTU0NDMzMjIxMTAObmFtZWtvLnVzZXJfaWRJAAAAKg9uYW1la28ubGFuZ3VhZ2VTAAAABWVuLWdiEGNvbnRlbnRfZW5jb2RpbmdT"
    "AAAABXV0Zi04DGNvbnRlbnRfdHlwZVMAAAAQYXBwbGljYXRpb24vanNvbgRub2RlUwAAAB9uYW1la28ta2l0LWM4ODM5YWNkODdAbG9jYWxo"
    "b3N0BXZob3N0UwAAAAEvCmNvbm5lY3Rpb25TAAAAIjEyNy4wLjAuMTo1ODI3NiAtPiAxMjcuMC4wLjE6Mzg1OTEHY2hhbm5lbEkAAAABBHVz"
    "ZXJTAAAABWd1ZXN0DXJvdXRlZF9xdWV1ZXNBAAAAGVMAAAAUcnBjLWdyZWV0aW5nX3NlcnZpY2U="
)
ROUTED_TRACE_BODY = b'{"args": ["w\\u00f6rld"], "kwargs": {}}'

UNROUTED_TRACE_PROPERTIES = (
    "IAAAAAE1DWV4Y2hhbmdlX25hbWVTAAAACm5hbWVrby1ycGMMcm91dGluZ19rZXlzQQAAABpTAAAAFW5vX3N1Y2hfc2VydmljZS5oZWxsbwpw"
    "cm9wZXJ0aWVzRgAAAEYIcmVwbHlfdG9TAAAAAXIOY29ycmVsYXRpb25faWRTAAAAAWMMY29udGVudF90eXBlUwAAABBhcHBsaWNhdGlvbi9q"
    "c29uBG5vZGVTAAAAH25hbWVrby1raXQtYzg4MzlhY2Q4N0Bsb2NhbGhvc3QFdmhvc3RTAAAAAS8KY29ubmVjdGlvblMAAAAiMTI3LjAuMC4x"
    "OjU4Mjc2IC0+IDEyNy4wLjAuMTozODU5MQdjaGFubmVsSQAAAAEEdXNlclMAAAAFZ3Vlc3QNcm91dGVkX3F1ZXVlc0EAAAAA"
)


def trace_headers(encoded_properties: str) -> dict:
    """The headers table of a recorded trace delivery, decoded by pika as a consumer would see it."""
    properties = pika.BasicProperties()
    properties.decode(base64.b64decode(encoded_properties))
    return properties.headers


def test_trace_decodes_into_the_original_publish():
    """A trace delivery yields the original exchange, routing key, properties, headers and body."""
    message = decode_trace(trace_headers(ROUTED_TRACE_PROPERTIES), ROUTED_TRACE_BODY)
    assert message.exchange == "nameko-rpc"
    assert message.routing_key == "greeting_service.hello"
    assert message.properties == {
        "content_type": "application/json",
        "content_encoding": "utf-8",
        "delivery_mode": 2,
        "priority": 0,
        "correlation_id": "5f0c1a52-54a4-4c0e-9a57-3a3d2b8f6a11",
        "reply_to": "0b7e1f0e-2f4a-4a55-bb1e-9f6c1d2e3a44",
    }
    assert message.headers == {
        "nameko.call_id_stack": ["standalone_rpc_proxy.call.6f1e2d3c-4b5a-4968-8776-655443322110"],
        "nameko.user_id": 42,
        "nameko.language": "en-gb",
    }
    assert message.body == ROUTED_TRACE_BODY
    assert message.routed_queues == ("rpc-greeting_service",)
    assert message.role == "request"


def test_trace_metadata_does_not_leak_into_the_message():
    """The tracer's own fields (node, vhost, connection, channel, user) are not mistaken for properties."""
    data = decode_trace(trace_headers(ROUTED_TRACE_PROPERTIES), ROUTED_TRACE_BODY).to_fixture()
    text = repr(data)
    for tracer_field in ("node", "vhost", "connection", "channel", "user", "exchange_name", "routing_keys"):
        assert tracer_field not in data["properties"]
        assert f"'{tracer_field}'" not in text


def test_unroutable_publish_has_empty_routed_queues_and_no_headers_table():
    """An unroutable publish shows `routed_queues` [] and, without a headers table, headers None."""
    message = decode_trace(trace_headers(UNROUTED_TRACE_PROPERTIES), b'{"args": [], "kwargs": {}}')
    assert message.routing_key == "no_such_service.hello"
    assert message.routed_queues == ()
    assert message.headers is None
    assert message.to_fixture()["routed_queues"] == []
    assert "headers" not in message.to_fixture()


def test_empty_headers_table_is_kept_as_empty():
    """A publish with an empty headers table decodes to headers {}."""
    headers = {"exchange_name": "greeting_service.events", "routing_keys": ["greeted"],
               "properties": {"headers": {}, "content_type": "application/json"}, "routed_queues": []}
    message = decode_trace(headers, b"{}")
    assert message.headers == {}
    assert message.role == "event"


def test_first_routing_key_is_the_publish_key():
    """With CC keys present, the publish's own routing key is the first of `routing_keys`."""
    headers = {"exchange_name": "nameko-rpc", "routing_keys": ["abc", "cc-key"], "properties": {},
               "routed_queues": ["q"]}
    message = decode_trace(headers, b"")
    assert message.routing_key == "abc"
    assert message.role == "reply"


def test_byte_string_fields_become_text():
    """Long strings pika leaves as bytes become text in the message."""
    headers = {"exchange_name": b"nameko-rpc", "routing_keys": [b"s.m"],
               "properties": {"reply_to": b"r", "headers": {"k": b"v"}}, "routed_queues": [b"rpc-s"]}
    message = decode_trace(headers, b"")
    assert (message.exchange, message.routing_key) == ("nameko-rpc", "s.m")
    assert message.properties == {"reply_to": "r"}
    assert message.headers == {"k": "v"}
    assert message.routed_queues == ("rpc-s",)


@pytest.mark.parametrize("headers", [{}, {"exchange_name": "x"}, {"exchange_name": "x", "routing_keys": []}])
def test_delivery_that_is_not_a_publish_trace_is_refused(headers):
    """A delivery without the tracer's exchange and routing keys raises TraceDecodeError."""
    with pytest.raises(TraceDecodeError):
        decode_trace(headers, b"")
