"""Whatever pika hands over, the core answers or discards; it never raises (CONN-10..CONN-14)."""

import inspect
import json

import pytest

from nameko_reference import client_core, codec, context, errors, server_core
from nameko_reference.transport import backoff_delay, broker_uris

SIGNATURES = {"echo": inspect.signature(lambda *args, **kwargs: None)}
PROPS = {"content_type": "application/json", "reply_to": "r", "correlation_id": "c"}
ADDRESS = server_core.ReplyAddress("r", "c")


def request(body=b'{"args": [], "kwargs": {}}', routing_key="svc.echo", headers=None, **properties):
    return codec.Message(body, {**PROPS, **properties}, headers, "nameko-rpc", routing_key)


def decide(message, **limits):
    return server_core.decide_request("svc", SIGNATURES, message, limits=server_core.Limits(**limits))


def test_header_names_that_are_not_utf8_are_left_out():
    decision = decide(request(headers={b"nameko.\xff": "x", b"nameko.ok": "y", 7: "z", "nameko.s": "t"}))
    assert isinstance(decision, server_core.Invoke)
    assert decision.worker.data == {"ok": "y", "s": "t"}


@pytest.mark.parametrize("stack", [7, {"a": 1}, b"\xff", [b"\xfe", 3, None], True, None])
def test_a_call_id_stack_of_any_type_is_read(stack):
    decision = decide(request(headers={"nameko.call_id_stack": stack}))
    assert isinstance(decision, server_core.Invoke)
    assert all(isinstance(entry, str) for entry in decision.worker.call_id_stack)


def test_a_routing_key_that_is_not_utf8_gets_method_not_found():
    decision = decide(request(routing_key=b"svc.\xff\xfe"))
    assert isinstance(decision.error, errors.MethodNotFound)
    assert isinstance(decision.error.args[0], str)


def test_properties_that_are_bytes_are_answered():
    decision = decide(request(content_type=b"application/\xffjson", correlation_id=b"\xffc", reply_to=b"\xfer"))
    assert isinstance(decision.error, errors.MalformedRequest)
    reply = server_core.error_reply("nameko-rpc", decision.address, decision.error)
    assert reply.properties["correlation_id"] == b"\xffc" and reply.routing_key == b"\xfer"


def test_nesting_beyond_the_limit_is_malformed():
    depth = 50
    body = b'{"args": ' + b"[" * depth + b"]" * depth + b', "kwargs": {}}'
    assert isinstance(decide(request(body), max_depth=depth + 2), server_core.Invoke)
    assert isinstance(decide(request(body), max_depth=depth - 1).error, errors.MalformedRequest)


def test_a_body_of_too_many_containers_is_refused_before_parsing():
    body = b"[" * 1000 + b"]" * 1000
    decision = decide(request(body), max_containers=999)
    assert "opening brackets" in decision.error.args[0]


def test_a_request_above_the_size_limit_is_malformed():
    assert "exceeds" in decide(request(b'{"args": ["' + b"y" * 100 + b'"], "kwargs": {}}'),
                               max_request_bytes=50).error.args[0]


class Unprintable:
    def __str__(self):
        raise RuntimeError("no")


@pytest.mark.parametrize("exc", [ValueError("lone \ud800"), ValueError("\udfff", Unprintable()),
                                 ValueError(Unprintable()), type("Odd", (Exception,), {"__module__": "m\udc80"})("x")])
def test_an_error_reply_always_encodes(exc):
    reply = server_core.error_reply("nameko-rpc", ADDRESS, exc)
    error = json.loads(reply.body)["error"]
    assert error["exc_type"] and isinstance(error["value"], str)
    reply.body.decode("utf-8")  # strict: no lone surrogate survived


def test_a_result_above_the_reply_limit_becomes_reply_too_large():
    reply = server_core.success_reply("nameko-rpc", ADDRESS, "x" * 100, max_reply_bytes=50)
    assert json.loads(reply.body)["error"]["exc_type"] == "ReplyTooLarge"


def test_a_result_nested_too_deep_to_encode_is_unserializable():
    value = []
    for _ in range(5000):
        value = [value]
    reply = server_core.success_reply("nameko-rpc", ADDRESS, value)
    assert json.loads(reply.body)["error"]["exc_type"] == "UnserializableValueError"


def test_an_event_of_any_shape_is_discarded_or_handled():
    for message in (codec.Message(b"\xff", {"content_type": "application/json"}, {b"\xff": 1}, "x", b"\xfe"),
                    codec.Message(b"[" * 500 + b"]" * 500, {"content_type": "application/json"}),
                    codec.Message(b"{}", {"content_type": b"\xff"})):
        assert isinstance(server_core.decide_event("svc", "m", message), server_core.Discard)


def test_the_client_refuses_a_reply_above_its_limit():
    calls = client_core.CallTable("nameko-rpc", "reply-key", max_reply_bytes=100)
    request_message = calls.new_call("svc", "m", [], {}, None, "token")
    reply = codec.Message(b'{"result": "' + b"z" * 200 + b'", "error": null}',
                          {"correlation_id": request_message.properties["correlation_id"]})
    settled = calls.on_reply(reply)
    assert isinstance(settled.error, errors.ProtocolError) and "exceeds" in str(settled.error)


def test_the_client_refuses_to_send_a_request_above_its_limit():
    calls = client_core.CallTable("nameko-rpc", "reply-key", max_request_bytes=100)
    with pytest.raises(errors.RequestTooLarge):
        calls.new_call("svc", "m", ["y" * 200], {}, None, "token")
    assert len(calls) == 0


def test_scrub_and_text_of():
    assert codec.scrub("a\ud800b") == "a\ufffdb" and codec.scrub("plain") == "plain"
    assert codec.text_of(b"\xffx") == "\ufffdx" and codec.text_of("s") == "s" and codec.text_of(None) is None
    assert context.readable_headers(None) == {} and context.readable_headers({b"k": 1}) == {"k": 1}


def test_broker_uris_and_backoff():
    assert broker_uris("amqp://a, amqp://b amqp://c") == ["amqp://a", "amqp://b", "amqp://c"]
    assert broker_uris(["amqp://a"]) == ["amqp://a"]
    with pytest.raises(ValueError):
        broker_uris("")
    # A pass over three URIs is immediate; after each full pass the wait doubles, up to the cap.
    delays = [backoff_delay(failures, 3, first=0.25, cap=1.0) for failures in range(1, 13)]
    assert delays == [0, 0, 0.25, 0, 0, 0.5, 0, 0, 1.0, 0, 0, 1.0]


def test_after_a_refusal_a_big_reply_is_replaced_a_small_one_resent_and_the_third_refusal_gives_up():
    big = server_core.success_reply("nameko-rpc", ADDRESS, "x" * (server_core.RETRY_SMALL_REPLY_BYTES + 1))
    small = server_core.success_reply("nameko-rpc", ADDRESS, "x")
    replaced = server_core.after_refusal("nameko-rpc", big, ADDRESS, 0, "406")
    assert replaced.replaces and json.loads(replaced.reply.body)["error"]["exc_type"] == "ReplyTooLarge"
    assert "406" in json.loads(replaced.reply.body)["error"]["value"]
    resent = server_core.after_refusal("nameko-rpc", small, ADDRESS, 0, "nack")
    assert not resent.replaces and resent.reply is small
    assert isinstance(server_core.after_refusal("nameko-rpc", small, ADDRESS, 2, "nack"), server_core.GiveUp)
