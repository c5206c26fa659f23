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
from .errors import (IncorrectSignature, MalformedRequest, MethodNotFound, UnserializableValueError,
                     error_object)

# SEC-5 bounds what a server parses; MAL-12 requires at least 1 MiB to be served.
MAX_REQUEST_BYTES = 4 * 1024 * 1024


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


def decide_request(service, signatures, message, max_bytes=MAX_REQUEST_BYTES):
    """Decide what to do with one request delivered from `rpc-{service}`."""
    properties = message.properties
    reply_to = properties.get("reply_to")
    if not reply_to:
        # MAL-5, MAL-14: nowhere to answer, so do not run the method either.
        return Discard("request has no reply_to")
    address = ReplyAddress(reply_to, properties.get("correlation_id"))

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
        body = codec.decode_json(message.body)  # MAL-1, MAL-4
    except codec.DecodeError as exc:
        return malformed(str(exc))
    if not isinstance(body, dict):
        return malformed(f"request body is a JSON {type(body).__name__}, not an object")  # MAL-6
    if "args" not in body or "kwargs" not in body:
        return malformed("Message missing `args` or `kwargs`")  # RPC-ERR-8; RPC-REQ-10: others ignored
    args, kwargs = body["args"], body["kwargs"]
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        return malformed("`args` must be an array and `kwargs` an object")  # MAL-7, MAL-15

    method = names.method_from_routing_key(service, message.routing_key)  # RPC-REQ-11
    if method not in signatures:
        missing = method if method is not None else message.routing_key.rsplit(".", 1)[-1]
        return ReplyError(MethodNotFound(missing), address)  # RPC-ERR-6
    try:
        signatures[method].bind(*args, **kwargs)
    except TypeError as exc:
        return ReplyError(IncorrectSignature(str(exc)), address)  # RPC-ERR-7
    worker = WorkerContext.for_delivery(service, method, message.headers)
    return Invoke(method, args, kwargs, worker, address)  # RPC-REQ-12


def success_reply(exchange, address, result):
    """The reply to a method's return value; UnserializableValueError when it has no JSON form."""
    try:
        return codec.encode_reply(exchange, address.reply_to, address.correlation_id, result=result)  # RPC-REPLY-4
    except codec.EncodeError:
        return error_reply(exchange, address, UnserializableValueError(result))  # RPC-ERR-10


def error_reply(exchange, address, exc):
    # RPC-REPLY-5, RPC-ERR-9
    return codec.encode_reply(exchange, address.reply_to, address.correlation_id, error=error_object(exc))


@dataclass(frozen=True)
class HandleEvent:
    payload: object
    worker: WorkerContext


def decide_event(service, method, message):
    """Decide what to do with one event delivered to a handler queue (MAL-13: never a crash, never a requeue)."""
    content_type = message.properties.get("content_type")
    if content_type != codec.JSON_CONTENT_TYPE:
        return Discard(f"event has content_type {content_type!r}, not {codec.JSON_CONTENT_TYPE}")
    try:
        payload = codec.decode_json(message.body)
    except codec.DecodeError as exc:
        return Discard(f"event cannot be decoded: {exc}")
    return HandleEvent(payload, WorkerContext.for_delivery(service, method, message.headers))  # EVT-12
