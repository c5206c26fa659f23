"""What a server does with a delivery (spec chapters 02, 03, 04, 08 and 10), without any I/O.

`decide_request` turns one request delivery into exactly one of:
  Invoke        -- run the method, then reply with its outcome;
  ReplyError    -- reply with a protocol error at once, without running anything;
  Discard       -- acknowledge and log, no reply (the request cannot be answered).
Every outcome ends in an acknowledgement without requeueing (RPC-REQ-15, MAL-10), so no request
becomes a poison message.
"""

import inspect
from dataclasses import dataclass

from . import codec, names
from .context import WorkerContext
from .errors import (IncorrectSignature, MalformedRequest, MethodNotFound, ReplyTooLarge, UnserializableValueError,
                     error_object)

# SEC-5 bounds what a server parses; MAL-12 requires at least 1 MiB to be served.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
# CONN-12: a reply body above this becomes a ReplyTooLarge error reply. RabbitMQ 4.x refuses messages above
# 16 MiB by default (3.x: 128 MiB), so the default stays below the smaller of the two.
MAX_REPLY_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a server accepts and sends; configurable per runner."""

    max_request_bytes: int = MAX_REQUEST_BYTES
    max_reply_bytes: int = MAX_REPLY_BYTES
    max_depth: int = codec.MAX_DEPTH
    max_containers: int = codec.MAX_CONTAINERS


@dataclass(frozen=True)
class ReplyAddress:
    reply_to: str
    correlation_id: str | None  # MAL-8: a request without one gets a reply without one


@dataclass(frozen=True)
class Invoke:
    method: str
    args: list
    kwargs: dict
    worker: WorkerContext
    address: ReplyAddress


@dataclass(frozen=True)
class ReplyError:
    error: Exception
    address: ReplyAddress


@dataclass(frozen=True)
class Discard:
    reason: str


def method_signatures(service_cls, method_names):
    """Signatures of a service's RPC methods, without `self`, for the IncorrectSignature check."""
    signatures = {}
    for name in method_names:
        signature = inspect.signature(getattr(service_cls, name))
        parameters = list(signature.parameters.values())[1:]
        signatures[name] = signature.replace(parameters=parameters)
    return signatures


def decide_request(service, signatures, message, max_bytes=MAX_REQUEST_BYTES, limits=None):
    """Decide what to do with one request delivered from `rpc-{service}`.

    Accepts anything pika can hand over (CONN-10): a property or routing key that is `bytes` because it was
    not UTF-8, header names of any type, any body. Whatever goes wrong while reading the request becomes a
    `MalformedRequest` reply (or a Discard when there is no `reply_to`), never an exception.
    """
    limits = limits or Limits(max_request_bytes=max_bytes)
    properties = message.properties if isinstance(message.properties, dict) else {}
    reply_to = properties.get("reply_to")
    if not reply_to:
        # MAL-5, MAL-14: nowhere to answer, so do not run the method either.
        return Discard("request has no reply_to")
    # A reply_to or correlation_id that is not UTF-8 arrives as bytes and goes back unchanged as bytes.
    address = ReplyAddress(reply_to, properties.get("correlation_id"))
    try:
        return _decide(service, signatures, message, properties, address, limits)
    except Exception as exc:  # CONN-10: a reader bug must not cost the caller its answer
        return ReplyError(MalformedRequest(f"request cannot be read: {type(exc).__name__}: {exc}"), address)


def _decide(service, signatures, message, properties, address, limits):
    max_bytes = limits.max_request_bytes

    def malformed(reason):
        return ReplyError(MalformedRequest(reason), address)

    content_type = properties.get("content_type")
    if not content_type:
        return malformed("request has no content_type")  # MAL-2
    if content_type != codec.JSON_CONTENT_TYPE:
        return malformed(f"unsupported content_type {content_type!r}")  # MAL-3 (the reply is JSON)
    if len(message.body) > max_bytes:
        return malformed(f"request body exceeds {max_bytes} bytes")  # SEC-5
    try:
        body = codec.decode_json(message.body, limits.max_depth, limits.max_containers)  # MAL-1, MAL-4, CONN-13
    except codec.DecodeError as exc:
        return malformed(str(exc))
    if not isinstance(body, dict):
        return malformed(f"request body is a JSON {type(body).__name__}, not an object")  # MAL-6
    if "args" not in body or "kwargs" not in body:
        return malformed("Message missing `args` or `kwargs`")  # RPC-ERR-8; RPC-REQ-10: others ignored
    args, kwargs = body["args"], body["kwargs"]
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        return malformed("`args` must be an array and `kwargs` an object")  # MAL-7, MAL-15

    routing_key = codec.text_of(message.routing_key) or ""  # bytes when it was not UTF-8 (CONN-10)
    method = names.method_from_routing_key(service, routing_key)  # RPC-REQ-11
    if method not in signatures:
        missing = method if method is not None else routing_key.rsplit(".", 1)[-1]
        return ReplyError(MethodNotFound(missing), address)  # RPC-ERR-6
    try:
        signatures[method].bind(*args, **kwargs)
    except TypeError as exc:
        return ReplyError(IncorrectSignature(str(exc)), address)  # RPC-ERR-7
    worker = WorkerContext.for_delivery(service, method, message.headers)
    return Invoke(method, args, kwargs, worker, address)  # RPC-REQ-12


def success_reply(exchange, address, result, max_reply_bytes=MAX_REPLY_BYTES):
    """The reply to a method's return value; UnserializableValueError when it has no JSON form, ReplyTooLarge
    when its body exceeds `max_reply_bytes` (CONN-12)."""
    try:
        reply = codec.encode_reply(exchange, address.reply_to, address.correlation_id, result=result)  # RPC-REPLY-4
    except codec.EncodeError:
        return error_reply(exchange, address, UnserializableValueError(result))  # RPC-ERR-10
    if len(reply.body) > max_reply_bytes:
        return error_reply(exchange, address, ReplyTooLarge(
            f"the result encodes to {len(reply.body)} bytes, more than the limit of {max_reply_bytes}"))
    return reply


def refused_reply(exchange, address, size, reason):
    """What replaces a reply the broker would not take (CONN-12)."""
    return error_reply(exchange, address, ReplyTooLarge(
        f"the broker refused the reply of {size} bytes: {reason}"))


# CONN-12: a refused reply at most this big is sent once more as it is (it may only have shared a channel with the
# one the broker refused); a bigger one is replaced by a ReplyTooLarge error reply.
RETRY_SMALL_REPLY_BYTES = 64 * 1024
MAX_REPLY_ATTEMPTS = 3


@dataclass(frozen=True)
class Resend:
    reply: object  # the Message to publish next
    replaces: bool  # whether it is an error reply standing in for the refused one


@dataclass(frozen=True)
class GiveUp:
    reason: str


def after_refusal(exchange, reply, address, attempt, reason):
    """What a server does when the broker refused `reply` on a live connection; never a requeue (CONN-15).

    `attempt` counts from 0; `address` is None for a reply that already is an error reply.
    """
    if attempt + 1 >= MAX_REPLY_ATTEMPTS:
        return GiveUp(f"the broker refused the reply {attempt + 1} times ({reason})")
    if attempt == 0 and address is not None and len(reply.body) > RETRY_SMALL_REPLY_BYTES:
        return Resend(refused_reply(exchange, address, len(reply.body), reason), replaces=True)
    return Resend(reply, replaces=False)


def error_reply(exchange, address, exc):
    """The error reply for `exc` (RPC-REPLY-5, RPC-ERR-9); it always encodes, whatever the exception holds."""
    error = error_object(exc)
    try:
        return codec.encode_reply(exchange, address.reply_to, address.correlation_id, error=error)
    except codec.EncodeError:  # unreachable with scrubbed strings; kept so that a reply always exists
        fallback = {"exc_type": "Exception", "exc_path": "builtins.Exception", "exc_args": [],
                    "value": "the error could not be encoded"}
        return codec.encode_reply(exchange, address.reply_to, address.correlation_id, error=fallback)


@dataclass(frozen=True)
class HandleEvent:
    payload: object
    worker: WorkerContext


def decide_event(service, method, message, limits=None):
    """Decide what to do with one event delivered to a handler queue (MAL-13: never a crash, never a requeue)."""
    limits = limits or Limits()
    try:
        content_type = message.properties.get("content_type")
        if content_type != codec.JSON_CONTENT_TYPE:
            return Discard(f"event has content_type {content_type!r}, not {codec.JSON_CONTENT_TYPE}")
        if len(message.body) > limits.max_request_bytes:
            return Discard(f"event body exceeds {limits.max_request_bytes} bytes")
        try:
            payload = codec.decode_json(message.body, limits.max_depth, limits.max_containers)
        except codec.DecodeError as exc:
            return Discard(f"event cannot be decoded: {exc}")
        return HandleEvent(payload, WorkerContext.for_delivery(service, method, message.headers))  # EVT-12
    except Exception as exc:  # CONN-10
        return Discard(f"event cannot be read: {type(exc).__name__}: {exc}")
