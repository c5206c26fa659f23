"""Sans-I/O core of the reference: names, codec, errors, context."""

import math

import pytest

from nameko_reference import codec, context, errors, names


@pytest.mark.parametrize("handler_type, reliable, queue, flags", [
    ("service_pool", True, "evt-src-ping--svc.on_ping", dict(durable=True, auto_delete=False, exclusive=False)),
    ("service_pool", False, "evt-src-ping--svc.on_ping", dict(durable=True, auto_delete=True, exclusive=False)),
    ("singleton", True, "evt-src-ping", dict(durable=True, auto_delete=False, exclusive=False)),
    ("broadcast", False, "evt-src-ping--svc.on_ping-abc", dict(durable=True, auto_delete=True, exclusive=True)),
])
def test_event_queue_names_and_flags(handler_type, reliable, queue, flags):
    """Handler queues have the names of EVT-5..7 and the flags of EVT-9."""
    assert names.event_queue("src", "ping", handler_type, "svc", "on_ping", "abc") == queue
    assert names.event_queue_flags(handler_type, reliable) == flags


def test_rpc_names():
    """RPC queue, binding key, routing key and reply queue follow TOPO-3, TOPO-5, RPC-REQ-1, RPC-CORR-4."""
    assert names.rpc_queue("svc") == "rpc-svc"
    assert names.rpc_binding_key("svc") == "svc.*"
    assert names.rpc_routing_key("svc", "m") == "svc.m"
    assert names.reply_queue("client", "u-1") == "rpc.reply-client-u-1"
    assert names.method_from_routing_key("svc", "svc.m") == "m"
    assert names.method_from_routing_key("svc", "other.m") is None
    reply_to = names.new_reply_to()
    assert len(reply_to) == 36 and not set(reply_to) & set(".*#")


@pytest.mark.parametrize("bad", ["", "a.b", "a*", "a#", None])
def test_unroutable_names_are_refused(bad):
    """Empty names and names with `.`, `*` or `#` are refused (TOPO-6)."""
    with pytest.raises(ValueError):
        names.rpc_routing_key("svc", bad)


@pytest.mark.parametrize("value", [
    None, True, 0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 80, 1.5, 1e300, "", "é☃😀", [], {}, {"__type__": "x", "__value__": 1},
    {"a": [1, {"b": None}]},
])
def test_json_round_trip(value):
    """Values decode to what was encoded, integers exactly and distinct from floats (SER-4, SER-5, SER-9, SER-13)."""
    decoded = codec.decode_json(codec.encode_json(value))
    assert decoded == value and type(decoded) is type(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "\ud800", b"bytes", object(), {1j: 1}])
def test_unencodable_values(value):
    """NaN, infinities, lone surrogates and non-JSON types have no encoding (SER-3, SER-7)."""
    with pytest.raises(codec.EncodeError):
        codec.encode_json(value)


@pytest.mark.parametrize("body, expected", [
    (b'"\\u00e9\\ud83d\\ude00"', "é😀"),
    ('"é😀"'.encode(), "é😀"),
    (b'{"a": 1, "a": 2}', {"a": 2}),
])
def test_json_decoding_accepts_escapes_and_raw_utf8(body, expected):
    """Escaped and raw non-ASCII text decode alike (SER-2)."""
    assert codec.decode_json(body) == expected


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b"{", b"", "{}".encode("utf-16"), b"\xef\xbb\xbf{}"])
def test_undecodable_bodies(body):
    """Invalid UTF-8, invalid JSON, an empty body and other encodings fail to decode (SER-1)."""
    with pytest.raises(codec.DecodeError):
        codec.decode_json(body)


def test_request_encoding():
    """A request carries the properties of RPC-REQ-2..7 and a body of args and kwargs only."""
    message = codec.encode_request("nameko-rpc", "svc.m", ("a", 1), {"k": [1]}, "reply-key", "corr", {"nameko.x": "y"})
    assert message.exchange == "nameko-rpc" and message.routing_key == "svc.m" and message.mandatory
    assert message.properties == {"content_type": "application/json", "content_encoding": "utf-8",
                                  "delivery_mode": 2, "correlation_id": "corr", "reply_to": "reply-key"}
    assert codec.decode_json(message.body) == {"args": ["a", 1], "kwargs": {"k": [1]}}
    assert message.headers == {"nameko.x": "y"}


def test_reply_without_correlation_id():
    """A reply to a request without correlation_id has none (RPC-REPLY-2) and no headers (RPC-REPLY-13)."""
    message = codec.encode_reply("nameko-rpc", "key", None, result=1)
    assert "correlation_id" not in message.properties and message.headers is None
    assert codec.decode_json(message.body) == {"result": 1, "error": None}
    assert message.routing_key == "key" and message.exchange == "nameko-rpc" and not message.mandatory


def test_event_encoding():
    """An event is the bare payload on `S.events` with the event type as routing key (EVT-1, EVT-2, EVT-4)."""
    message = codec.encode_event("src.events", "ping", [1, "x"], {"nameko.call_id_stack": ["a"]})
    assert (message.exchange, message.routing_key) == ("src.events", "ping")
    assert codec.decode_json(message.body) == [1, "x"]
    assert "reply_to" not in message.properties and "correlation_id" not in message.properties


class CustomError(Exception):
    pass


@pytest.mark.parametrize("exc, expected", [
    (ValueError("boom"), {"exc_type": "ValueError", "exc_path": "builtins.ValueError", "exc_args": ["boom"],
                          "value": "boom"}),
    (ValueError("a", 2, None), {"exc_type": "ValueError", "exc_path": "builtins.ValueError",
                                "exc_args": ["a", "2", "None"], "value": "('a', 2, None)"}),
    (errors.MethodNotFound("m"), {"exc_type": "MethodNotFound", "exc_path": "nameko.exceptions.MethodNotFound",
                                  "exc_args": ["m"], "value": "m"}),
    (errors.UnserializableValueError(object), {"exc_type": "UnserializableValueError",
                                               "exc_path": "nameko.exceptions.UnserializableValueError",
                                               "exc_args": [], "value": "Unserializable value: `<class 'object'>`"}),
    (errors.UnknownService("s"), {"exc_type": "UnknownService", "exc_path": "nameko.exceptions.UnknownService",
                                  "exc_args": ["s"], "value": "Unknown service `s`"}),
    (CustomError(), {"exc_type": "CustomError", "exc_path": f"{__name__}.CustomError", "exc_args": [], "value": ""}),
])
def test_error_objects(exc, expected):
    """Error objects have exactly the four members, string args, and exc_path ending in exc_type (RPC-ERR-1..5)."""
    assert errors.error_object(exc) == expected


@pytest.mark.parametrize("error, kind", [
    ({"exc_type": "MethodNotFound", "exc_path": "nameko.exceptions.MethodNotFound", "exc_args": ["m"], "value": "m"},
     errors.MethodNotFound),
    ({"exc_type": "IncorrectSignature", "exc_path": "nameko.exceptions.IncorrectSignature", "exc_args": ["x"],
      "value": "x"}, errors.IncorrectSignature),
    ({"exc_type": "MalformedRequest", "exc_path": "nameko.exceptions.MalformedRequest", "exc_args": ["x"],
      "value": "x"}, errors.MalformedRequest),
    ({"exc_type": "ValueError", "exc_path": "builtins.ValueError", "exc_args": [1, {"a": None}], "value": "v",
      "extra": True}, errors.RemoteError),
    ({"exc_type": "MethodNotFound", "exc_path": "elsewhere.MethodNotFound", "exc_args": [], "value": ""},
     errors.RemoteError),
    ({}, errors.RemoteError),
    ("boom", errors.ProtocolError),
])
def test_client_error_kinds(error, kind):
    """The three nameko paths give their kinds, anything else a RemoteError; extra members are accepted (RPC-ERR-11, RPC-ERR-12)."""
    exc = errors.exception_from_error(error)
    assert type(exc) is kind
    if kind is errors.RemoteError:
        assert (exc.exc_type, exc.value) == (error.get("exc_type"), error.get("value"))


@pytest.mark.parametrize("incoming, expected_parents", [
    (None, []),
    ({}, []),
    ({"nameko.call_id_stack": "one.call.id"}, ["one.call.id"]),
    ({"nameko.call_id_stack": [b"a.b.c", "d.e.f"]}, ["a.b.c", "d.e.f"]),
    ({"nameko.call_id_stack": [f"s.m.{i}" for i in range(15)]}, [f"s.m.{i}" for i in range(5, 15)]),
])
def test_worker_call_id_stack(incoming, expected_parents):
    """The worker's stack is the incoming one (CTX-8, CTX-9) plus its own id, capped at 10 parents (CTX-4, CTX-5)."""
    worker = context.WorkerContext.for_delivery("svc", "m", incoming)
    assert worker.call_id_stack[:-1] == expected_parents
    assert worker.call_id_stack[-1] == worker.call_id and worker.call_id.startswith("svc.m.")  # CTX-14


def test_context_propagation():
    """Other nameko.* headers travel on unchanged, the stack as an array, None values never (CTX-2, CTX-6, CTX-7, CTX-10)."""
    worker = context.WorkerContext.for_delivery("svc", "m", {
        "nameko.language": "en", "nameko.user_id": 7, "nameko.nested": {"a": [1]}, "x-death": "no",
        "nameko.call_id_stack": ["root"]})
    assert worker.data == {"language": "en", "user_id": 7, "nested": {"a": [1]}}
    assert worker.outgoing_headers() == {"nameko.language": "en", "nameko.user_id": 7, "nameko.nested": {"a": [1]},
                                         "nameko.call_id_stack": ["root", worker.call_id]}
    assert context.headers_from_context({"gone": None}, ["a"]) == {"nameko.call_id_stack": ["a"]}


def test_client_headers():
    """A standalone call starts the stack with one entry for the call, after any stack the caller gave (CTX-11)."""
    first = context.client_headers("cli", {"language": "en"})
    second = context.client_headers("cli", {"call_id_stack": ["outer"]})
    assert first["nameko.language"] == "en" and len(first["nameko.call_id_stack"]) == 1
    assert first["nameko.call_id_stack"][0].startswith("cli.call.")
    assert second["nameko.call_id_stack"][0] == "outer" and len(second["nameko.call_id_stack"]) == 2
