"""The client's correlation table (spec chapters 03, 06 and 07), without any I/O.

Each outstanding call is one entry, keyed by correlation_id. Whatever settles a call -- its reply,
a basic.return, a nack, or its timeout -- removes the entry, so exactly one of them wins; the others
find nothing and are ignored (RPC-CALL-3, RPC-CALL-4). Removal is a single `dict.pop`, which is
atomic, so callers on several threads need no lock.
"""

import uuid
from dataclasses import dataclass

from . import codec, names
from .errors import ProtocolError, RequestTooLarge, RpcTimeout, UnknownService, exception_from_error

# CONN-14: what a client accepts and sends by default.
MAX_REPLY_BYTES = 16 * 1024 * 1024
MAX_REQUEST_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Settled:
    token: object  # whatever the caller registered with the call, e.g. a future
    value: object = None
    error: Exception | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


def outcome_of_reply(message, max_bytes=MAX_REPLY_BYTES):
    """(value, error) of a reply message; an undecodable reply is a ProtocolError (RPC-CORR-11, RPC-CORR-14)."""
    content_type = message.properties.get("content_type")
    if content_type not in (None, codec.JSON_CONTENT_TYPE):
        return None, ProtocolError(f"reply has unsupported content_type {content_type!r}")
    if len(message.body) > max_bytes:  # CONN-14
        return None, ProtocolError(f"reply of {len(message.body)} bytes exceeds the client's limit of {max_bytes}")
    try:
        body = codec.decode_json(message.body)
    except codec.DecodeError as exc:
        return None, ProtocolError(f"reply cannot be decoded: {exc}")
    if not isinstance(body, dict):
        return None, ProtocolError("reply body is not a JSON object")
    error = body.get("error")
    if error is not None:
        return None, exception_from_error(error)  # RPC-REPLY-10
    if "result" not in body:
        return None, ProtocolError("reply has neither an error nor a result")
    return body["result"], None


class CallTable:
    def __init__(self, exchange, reply_to, max_reply_bytes=MAX_REPLY_BYTES, max_request_bytes=MAX_REQUEST_BYTES):
        self.exchange = exchange
        self.reply_to = reply_to
        self.max_reply_bytes = max_reply_bytes
        self.max_request_bytes = max_request_bytes
        self._pending = {}  # correlation_id -> (token, service)

    def __len__(self):
        return len(self._pending)

    def new_call(self, service, method, args, kwargs, headers, token):
        """Register a call and return the request message to publish."""
        correlation_id = str(uuid.uuid4())  # RPC-CORR-9, RPC-CORR-13
        message = codec.encode_request(self.exchange, names.rpc_routing_key(service, method), args, kwargs,
                                       self.reply_to, correlation_id, headers)
        if len(message.body) > self.max_request_bytes:  # CONN-14: refused before anything is sent
            raise RequestTooLarge(f"the request encodes to {len(message.body)} bytes, more than the limit of "
                                  f"{self.max_request_bytes}")
        self._pending[correlation_id] = (token, service)
        return message

    def on_reply(self, message):
        correlation_id = message.properties.get("correlation_id")  # RPC-REPLY-11: never arrival order
        if not isinstance(correlation_id, (str, bytes)):
            return Ignored(f"reply without a usable correlation_id ({type(correlation_id).__name__})")
        entry = self._pending.pop(correlation_id, None)
        if entry is None:
            # RPC-CORR-8, RPC-CALL-3, RPC-CALL-4: unknown, late or duplicate.
            return Ignored(f"reply with unknown correlation_id {correlation_id!r}")
        try:
            value, error = outcome_of_reply(message, self.max_reply_bytes)
        except Exception as exc:  # CONN-10: the call is already taken off the table, so it must settle here
            value, error = None, ProtocolError(f"reply cannot be read: {type(exc).__name__}: {exc}")
        return Settled(entry[0], value, error)

    def on_return(self, message):
        """A request the broker returned as unroutable (RPC-CALL-1)."""
        entry = self._pending.pop(message.properties.get("correlation_id"), None)
        if entry is None:
            return Ignored("returned message of no outstanding call")
        return Settled(entry[0], error=UnknownService(entry[1]))

    def on_nack(self, correlation_id):
        entry = self._pending.pop(correlation_id, None)
        if entry is None:
            return Ignored("nack for no outstanding call")
        return Settled(entry[0], error=ProtocolError("the broker did not accept the request (basic.nack)"))

    def on_lost(self, correlation_id, error):
        """The request could not be sent, or its connection broke (CONN-6)."""
        entry = self._pending.pop(correlation_id, None)
        if entry is None:
            return Ignored("connection loss for no outstanding call")
        return Settled(entry[0], error=error)

    def on_timeout(self, correlation_id):
        """The call's time is up; None when it was settled in the meantime (RPC-CALL-6)."""
        entry = self._pending.pop(correlation_id, None)
        if entry is None:
            return None
        return Settled(entry[0], error=RpcTimeout(f"no reply within the timeout (correlation_id {correlation_id})"))

    def fail_all(self, error):
        """Settle every outstanding call with `error`, e.g. when the connection is gone."""
        settled = []
        for correlation_id in list(self._pending):
            entry = self._pending.pop(correlation_id, None)
            if entry is not None:
                settled.append(Settled(entry[0], error=error))
        return settled
