"""The language-neutral model of one AMQP publish, and its fixture form.

A `WireMessage` is what a broker-side observer saw: exchange, routing key, the basic properties that were set, the
application headers table and the exact body bytes. It converts to and from the fixture "message" object and is
built from pika deliveries (spy queues) or from firehose trace deliveries (`capture.firehose`).
"""

from __future__ import annotations

import base64
import datetime
import decimal
import json
from dataclasses import dataclass

DEFAULT_RPC_EXCHANGE = "nameko-rpc"
EVENTS_EXCHANGE_SUFFIX = ".events"
ROLES = ("request", "reply", "event")

# The AMQP 0-9-1 basic properties other than `headers`, in the order of their property flags.
BASIC_PROPERTY_NAMES = (
    "content_type",
    "content_encoding",
    "delivery_mode",
    "priority",
    "correlation_id",
    "reply_to",
    "expiration",
    "message_id",
    "timestamp",
    "type",
    "user_id",
    "app_id",
    "cluster_id",
)

_SUMMARY_PROPERTIES = ("content_type", "correlation_id", "reply_to", "delivery_mode")
_SUMMARY_BODY_CHARS = 120


def jsonable(value):
    """Turn a decoded AMQP field value (as pika gives it) into plain JSON data.

    Field tables become objects and arrays lists; timestamps become epoch seconds. Byte strings that are UTF-8
    become text (pika hands out undecodable long strings as bytes); other bytes become `{"base64": "…"}`,
    which is never mistaken for text. Decimals become JSON numbers.
    """
    if isinstance(value, dict):
        return {str(jsonable_key(key)): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def jsonable_key(key):
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).decode("utf-8", errors="backslashreplace")
    return key


def properties_to_dict(properties) -> dict:
    """The basic properties that were set on a pika `BasicProperties`, as JSON data, without `headers`."""
    found = {}
    for name in BASIC_PROPERTY_NAMES:
        value = getattr(properties, name, None)
        if value is not None:
            found[name] = jsonable(value)
    return found


def infer_role(exchange: str, routing_key: str, rpc_exchange: str = DEFAULT_RPC_EXCHANGE) -> str | None:
    """Tell requests, replies and events apart by where they were published.

    On the RPC exchange a request's routing key is `S.m` and a reply's is the caller's `reply_to`, which never
    contains a dot (RPC-CORR-3); events go to `S.events`. The routing pattern decides rather than the properties,
    so that malformed requests (no `reply_to`, no `correlation_id`) are still recognised as requests.
    """
    if exchange == rpc_exchange:
        return "request" if "." in routing_key else "reply"
    if exchange.endswith(EVENTS_EXCHANGE_SUFFIX):
        return "event"
    return None


@dataclass(frozen=True)
class WireMessage:
    exchange: str
    routing_key: str
    properties: dict
    headers: dict | None
    body: bytes
    routed_queues: tuple[str, ...] | None = None
    role: str | None = None
    mandatory: bool | None = None   # the publish's mandatory flag, when known (the firehose does not show it)

    def __post_init__(self):
        if self.role is not None and self.role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, not {self.role!r}")
        if "headers" in self.properties:
            raise ValueError("properties must not hold 'headers'; pass them as headers")
        if not isinstance(self.body, bytes):
            raise TypeError(f"body must be bytes, not {type(self.body).__name__}")
        if self.routed_queues is not None and not isinstance(self.routed_queues, tuple):
            object.__setattr__(self, "routed_queues", tuple(self.routed_queues))

    # -- body -------------------------------------------------------------------------------------------------

    def body_text(self) -> str | None:
        """The body as text when it is valid UTF-8, else None."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def json_body(self):
        """The parsed JSON body; raises ValueError when the body is not UTF-8 JSON."""
        text = self.body_text()
        if text is None:
            raise ValueError("body is not valid UTF-8")
        return json.loads(text)

    def with_role(self, role: str | None) -> "WireMessage":
        return WireMessage(self.exchange, self.routing_key, self.properties, self.headers, self.body,
                           self.routed_queues, role, self.mandatory)

    # -- fixture form -----------------------------------------------------------------------------------------

    def to_fixture(self) -> dict:
        data = {}
        if self.role is not None:
            data["role"] = self.role
        data["exchange"] = self.exchange
        data["routing_key"] = self.routing_key
        data["properties"] = dict(self.properties)
        if self.headers is not None:
            data["headers"] = self.headers
        text = self.body_text()
        if text is None:
            data["body_base64"] = base64.b64encode(self.body).decode("ascii")
        else:
            data["body_text"] = text
            try:
                data["body"] = json.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested deeper than a parser goes: text only
                pass
        if self.routed_queues is not None:
            data["routed_queues"] = list(self.routed_queues)
        if self.mandatory is not None:
            data["mandatory"] = self.mandatory
        return data

    @classmethod
    def from_fixture(cls, data: dict) -> "WireMessage":
        has_text, has_base64 = "body_text" in data, "body_base64" in data
        if has_text == has_base64:
            raise ValueError("a fixture message holds exactly one of body_text and body_base64")
        body = data["body_text"].encode("utf-8") if has_text else base64.b64decode(data["body_base64"], validate=True)
        routed = data.get("routed_queues")
        return cls(
            exchange=data["exchange"],
            routing_key=data["routing_key"],
            properties=dict(data.get("properties", {})),
            headers=data.get("headers"),
            body=body,
            routed_queues=None if routed is None else tuple(routed),
            role=data.get("role"),
            mandatory=data.get("mandatory"),
        )

    # -- from the broker --------------------------------------------------------------------------------------

    @classmethod
    def from_pika(cls, method, properties, body, *, role=None) -> "WireMessage":
        """A delivery seen by a consumer (`Basic.Deliver` or `Basic.GetOk`, `BasicProperties`, body)."""
        headers = properties.headers
        return cls(
            exchange=method.exchange,
            routing_key=method.routing_key,
            properties=properties_to_dict(properties),
            headers=None if headers is None else jsonable(headers),
            body=bytes(body),
            role=role,
        )

    # -- reporting --------------------------------------------------------------------------------------------

    def summary(self) -> str:
        parts = [self.role or "message", f"exchange={self.exchange!r}", f"routing_key={self.routing_key!r}"]
        parts += [f"{name}={self.properties[name]!r}" for name in _SUMMARY_PROPERTIES if name in self.properties]
        if self.headers:
            parts.append(f"headers={json.dumps(self.headers, ensure_ascii=False, sort_keys=True)}")
        if self.routed_queues is not None:
            parts.append(f"routed_queues={list(self.routed_queues)}")
        text = self.body_text()
        excerpt = repr(self.body[:_SUMMARY_BODY_CHARS]) if text is None else text[:_SUMMARY_BODY_CHARS]
        if len(self.body) > _SUMMARY_BODY_CHARS:
            excerpt += f"… ({len(self.body)} bytes)"
        parts.append(f"body={excerpt}")
        return " ".join(parts)
