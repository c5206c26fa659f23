"""Sans-I/O construction of the messages the kit sends.

``MessageFactory.request`` builds a valid request and overrides only what a test varies; ``OMIT`` removes a
property the factory would otherwise set.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from nameko_conformance.oracle import names


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Any = _Omit()

JSON = names.JSON_CONTENT_TYPE


@dataclass
class Outgoing:
    """One message the kit publishes: where, with which properties and headers, and the exact body bytes."""

    exchange: str
    routing_key: str
    body: bytes
    properties: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] | None = None
    mandatory: bool = False

    @property
    def correlation_id(self) -> str | None:
        return self.properties.get("correlation_id")


def encode_json(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8")


def new_id() -> str:
    return str(uuid.uuid4())


class MessageFactory:
    """Builds requests and events for one target service, replying to one reply key."""

    def __init__(self, service: str, rpc_exchange: str, reply_key: str):
        self.service = service
        self.rpc_exchange = rpc_exchange
        self.reply_key = reply_key

    def request(
        self,
        method: str,
        args: list | tuple = (),
        kwargs: dict | None = None,
        *,
        body: bytes | None = None,
        headers: dict[str, Any] | None | _Omit = None,
        routing_key: str | None = None,
        **properties: Any,
    ) -> Outgoing:
        """A valid request for ``service.method``; keyword properties override (``OMIT`` removes one)."""
        props: dict[str, Any] = {
            "content_type": JSON,
            "content_encoding": "utf-8",
            "delivery_mode": 2,
            "correlation_id": new_id(),
            "reply_to": self.reply_key,
        }
        props.update(properties)
        props = {k: v for k, v in props.items() if v is not OMIT}
        if body is None:
            body = encode_json({"args": list(args), "kwargs": dict(kwargs or {})})
        return Outgoing(
            exchange=self.rpc_exchange,
            routing_key=routing_key if routing_key is not None else f"{self.service}.{method}",
            body=body,
            properties=props,
            headers=None if headers is OMIT else (
                # What a nameko client sends: a call id stack. A request without headers is the business of the
                # tests that say so (CTX-8, RPC-REQ-13), so that a target failing it fails only there.
                {names.CALL_ID_STACK_HEADER: [f"conformance_kit.call.{props.get('correlation_id') or new_id()}"]}
                if headers is None else headers),
        )

    @staticmethod
    def event(source_service: str, event_type: str, payload: Any, headers: dict | None = None,
              body: bytes | None = None) -> Outgoing:
        return Outgoing(
            exchange=f"{source_service}.events",
            routing_key=event_type,
            body=encode_json(payload) if body is None else body,
            properties={"content_type": JSON, "content_encoding": "utf-8", "delivery_mode": 2},
            headers=headers or {},
        )
