"""The server's decision function: every delivery ends in exactly one of invoke, error reply or discard."""

import inspect

import pytest

from nameko_reference import codec, server_core
from nameko_reference.errors import UnserializableValueError

SIGNATURES = {
    "echo": inspect.signature(lambda *args, **kwargs: None),
    "hello": inspect.signature(lambda name: None),
}
JSON_PROPS = {"content_type": "application/json", "reply_to": "r", "correlation_id": "c"}


def request(body=b'{"args": [], "kwargs": {}}', routing_key="svc.echo", headers=None, **properties):
    props = {key: value for key, value in {**JSON_PROPS, **properties}.items() if value is not None}
    return codec.Message(body, props, headers, "nameko-rpc", routing_key)


def outcome(decision):
    if isinstance(decision, server_core.Invoke):
        return "invoke"
    if isinstance(decision, server_core.ReplyError):
        return type(decision.error).__name__
    return "discard"


@pytest.mark.parametrize("message, expected", [
    (request(), "invoke"),
    (request(reply_to=None), "discard"),  # MAL-5, MAL-14
    (request(body=b"not json", reply_to=None), "discard"),
    (request(content_type=None), "MalformedRequest"),  # MAL-2
    (request(content_type="text/plain"), "MalformedRequest"),  # MAL-3
    (request(content_type="application/json; charset=utf-8"), "MalformedRequest"),  # MAL-3
    (request(body=b"{not json"), "MalformedRequest"),  # MAL-1
    (request(body=b'{"args": ["\xff"], "kwargs": {}}'), "MalformedRequest"),  # MAL-4
    (request(body=b""), "MalformedRequest"),  # MAL-1
    (request(body=b"[1, 2]"), "MalformedRequest"),  # MAL-6
    (request(body=b'"text"'), "MalformedRequest"),  # MAL-6
    (request(body=b"null"), "MalformedRequest"),  # MAL-6
    (request(body=b'{"args": []}'), "MalformedRequest"),  # RPC-ERR-8
    (request(body=b'{"kwargs": {}}'), "MalformedRequest"),  # RPC-ERR-8
    (request(body=b'{"args": "xy", "kwargs": {}}'), "MalformedRequest"),  # MAL-7, MAL-15
    (request(body=b'{"args": {"p": 1}, "kwargs": {}}'), "MalformedRequest"),
    (request(body=b'{"args": [], "kwargs": []}'), "MalformedRequest"),
    (request(body=b'{"args": null, "kwargs": {}}'), "MalformedRequest"),
    (request(routing_key="svc.nope"), "MethodNotFound"),  # RPC-ERR-6
    (request(routing_key="other.echo"), "MethodNotFound"),
    (request(routing_key="svc.hello"), "IncorrectSignature"),  # RPC-ERR-7
    (request(body=b'{"args": [], "kwargs": {"nom": 1}}', routing_key="svc.hello"), "IncorrectSignature"),
    (request(body=b'{"args": ["a", "b"], "kwargs": {}}', routing_key="svc.hello"), "IncorrectSignature"),
    (request(body=b'{"args": ["a"], "kwargs": {}}', routing_key="svc.hello"), "invoke"),
    (request(correlation_id=None), "invoke"),  # MAL-8
    (request(content_encoding="latin-1"), "invoke"),  # RPC-REQ-13: only three properties matter
    (request(body=b'{"args": [], "kwargs": {}, "extra": 1}'), "invoke"),  # RPC-REQ-10
])
def test_decisions(message, expected):
    """Each request gets the answer of spec chapters 02, 04 and 10."""
    assert outcome(server_core.decide_request("svc", SIGNATURES, message)) == expected


def test_invoke_carries_arguments_context_and_address():
    """Invoke holds args, kwargs, the worker's context and where to reply (RPC-REQ-12, CTX-4, SER-9)."""
    body = b'{"args": [1, {"__type__": "datetime", "__value__": "x"}], "kwargs": {"k": 2.0}}'
    decision = server_core.decide_request("svc", SIGNATURES, request(
        body=body, headers={"nameko.call_id_stack": ["root"], "nameko.language": "en"}))
    assert decision.args == [1, {"__type__": "datetime", "__value__": "x"}] and decision.kwargs == {"k": 2.0}
    assert decision.worker.call_id_stack == ["root", decision.worker.call_id]
    assert decision.worker.data == {"language": "en"}
    assert decision.address == server_core.ReplyAddress("r", "c")


def test_one_mebibyte_request_is_served_and_a_larger_one_refused():
    """A 1 MiB request is served (MAL-12); one above the limit gets MalformedRequest (SEC-5)."""
    big = codec.encode_json({"args": ["x" * (1024 * 1024 - 40)], "kwargs": {}})
    assert outcome(server_core.decide_request("svc", SIGNATURES, request(body=big))) == "invoke"
    refused = server_core.decide_request("svc", SIGNATURES, request(body=big), max_bytes=1000)
    assert outcome(refused) == "MalformedRequest"


def test_malformed_replies_are_json_errors():
    """An error reply to a malformed request is a JSON MalformedRequest with the request's correlation_id (MAL-3)."""
    decision = server_core.decide_request("svc", SIGNATURES, request(content_type="text/plain", body=b"hi"))
    reply = server_core.error_reply("nameko-rpc", decision.address, decision.error)
    assert reply.properties["content_type"] == "application/json" and reply.properties["correlation_id"] == "c"
    assert reply.routing_key == "r" and reply.exchange == "nameko-rpc"
    error = codec.decode_json(reply.body)["error"]
    assert error["exc_path"] == "nameko.exceptions.MalformedRequest" and len(error["exc_args"]) == 1


@pytest.mark.parametrize("result", [object(), float("nan"), b"bytes", {"k": {1, 2}}])
def test_unserializable_result(result):
    """A result without JSON form gives an UnserializableValueError reply with empty exc_args (RPC-ERR-10)."""
    reply = server_core.success_reply("nameko-rpc", server_core.ReplyAddress("r", "c"), result)
    body = codec.decode_json(reply.body)
    assert body["result"] is None and body["error"]["exc_type"] == UnserializableValueError.__name__
    assert body["error"]["exc_args"] == [] and body["error"]["value"].startswith("Unserializable value: ")


def test_success_reply():
    """A success reply has result and a null error (RPC-REPLY-4)."""
    reply = server_core.success_reply("nameko-rpc", server_core.ReplyAddress("r", None), {"a": [1, 2.5]})
    assert codec.decode_json(reply.body) == {"result": {"a": [1, 2.5]}, "error": None}
    assert "correlation_id" not in reply.properties


@pytest.mark.parametrize("properties, body, handled", [
    ({"content_type": "application/json"}, b'{"p": 1}', True),
    ({"content_type": "application/json"}, b"[]", True),
    ({"content_type": "application/json"}, b"{", False),
    ({"content_type": "application/json"}, b'"\xff"', False),
    ({"content_type": "text/plain"}, b"hello", False),
    ({}, b"{}", False),
])
def test_event_decisions(properties, body, handled):
    """An event that cannot be decoded is discarded (acked and logged), never a crash (MAL-13)."""
    message = codec.Message(body, properties, {"nameko.call_id_stack": ["root"]}, "src.events", "ping")
    decision = server_core.decide_event("svc", "on_ping", message)
    assert isinstance(decision, server_core.HandleEvent) is handled
    if handled:
        assert decision.worker.call_id_stack[0] == "root"  # EVT-12
