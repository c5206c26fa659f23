"""Bytes and AMQP properties <-> requests, replies and events (spec chapters 02, 03, 08, 09)."""

import json
from dataclasses import dataclass, field

JSON_CONTENT_TYPE = "application/json"
PERSISTENT = 2


@dataclass(frozen=True)
class Message:
    """One AMQP message as the protocol sees it: body bytes, basic properties that are set, headers."""

    body: bytes
    properties: dict = field(default_factory=dict)  # never holds `headers`
    headers: dict | None = None
    exchange: str = ""
    routing_key: str = ""
    mandatory: bool = False


class DecodeError(ValueError):
    """Body bytes that are not the JSON text the content type promises, or beyond the configured limits."""


# Limits of what a peer decodes (SEC-5, CONN-13). Nesting beyond MAX_DEPTH is refused; so is a body with more
# than MAX_CONTAINERS opening brackets, counted on the raw bytes before parsing (an upper bound: brackets inside
# strings count too), which caps the memory a small body of nested arrays can cost.
MAX_DEPTH = 100
MAX_CONTAINERS = 200_000


class EncodeError(ValueError):
    """A value that has no JSON encoding."""


def encode_json(value):
    try:
        # SER-3: no NaN/Infinity; SER-7: a lone surrogate fails the strict UTF-8 encoding.
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
        return text.encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise EncodeError(str(exc)) from exc


def decode_json(body, max_depth=MAX_DEPTH, max_containers=MAX_CONTAINERS):
    body = bytes(body)
    containers = body.count(b"[") + body.count(b"{")
    if containers > max_containers:
        raise DecodeError(f"body has {containers} opening brackets, more than the limit of {max_containers}")
    try:
        text = body.decode("utf-8")  # SER-1: UTF-8 only, never guessed
    except UnicodeDecodeError as exc:
        raise DecodeError(f"body is not valid UTF-8: {exc}") from exc
    try:
        # SER-2: raw UTF-8 and \u escapes; SER-9: {"__type__", "__value__"} stays plain data.
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise DecodeError(f"body is not valid JSON: {scrub(str(exc))}") from exc
    if nesting_depth(value, max_depth) > max_depth:
        raise DecodeError(f"body nests deeper than the limit of {max_depth} levels")
    return value


def nesting_depth(value, stop_above):
    """Depth of nested arrays and objects (a scalar is 0); stops counting once `stop_above` is exceeded."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop_above:
            return deepest
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def scrub(text):
    """`text` with every lone surrogate replaced by U+FFFD, so that it always has a UTF-8 encoding (SER-7)."""
    if not isinstance(text, str):
        text = str(text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def text_of(value):
    """A short string pika handed over as `str`, or as `bytes` when it was not valid UTF-8; None for None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _json_properties(**extra):
    properties = {"content_type": JSON_CONTENT_TYPE, "content_encoding": "utf-8", "delivery_mode": PERSISTENT}
    properties.update({name: value for name, value in extra.items() if value is not None})
    return properties


def encode_request(exchange, routing_key, args, kwargs, reply_to, correlation_id, headers):
    body = encode_json({"args": list(args), "kwargs": dict(kwargs)})  # RPC-REQ-5, RPC-REQ-9
    # RPC-REQ-2, RPC-REQ-3, RPC-REQ-4, RPC-REQ-6, RPC-REQ-7; RPC-REQ-8: mandatory
    properties = _json_properties(correlation_id=correlation_id, reply_to=reply_to)
    return Message(body, properties, headers, exchange, routing_key, mandatory=True)


def encode_reply(exchange, reply_to, correlation_id, result=None, error=None):
    body = encode_json({"result": result, "error": error})  # RPC-REPLY-3
    # RPC-REPLY-1: the RPC exchange; RPC-REPLY-2: correlation_id only when the request had one;
    # RPC-REPLY-6, RPC-REPLY-7; RPC-REPLY-13: no context headers.
    return Message(body, _json_properties(correlation_id=correlation_id), None, exchange, reply_to)


def encode_event(exchange, event_type, payload, headers):
    # EVT-1, EVT-2: the bare payload; EVT-4: no reply_to, no correlation_id.
    return Message(encode_json(payload), _json_properties(), headers, exchange, event_type)
