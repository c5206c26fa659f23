"""Small stand-ins for what the oracle's checks are handed: a message (kit-side or broker-side) and a declare
outcome. No broker, no pika."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Msg:
    exchange: str = "nameko-rpc"
    routing_key: str = "reply-key"
    properties: dict = field(default_factory=dict)
    headers: dict | None = None
    body: Any = b""
    via: str = "reply queue"
    direction: str = "received"
    routed_queues: tuple = ()


@dataclass(repr=False)
class Declared:
    """Like the kit's DeclareResult: ok, or the broker's close code and text; shown as the kit shows it."""

    ok: bool
    code: int | None = None
    text: str = ""
    message_count: int | None = None
    consumer_count: int | None = None

    def __repr__(self) -> str:
        return f"ok({self.message_count}, {self.consumer_count})" if self.ok else f"{self.code} {self.text}"


REPLY_PROPS = {"correlation_id": "c1", "content_type": "application/json", "content_encoding": "utf-8",
               "delivery_mode": 2}


def reply(body: Any = None, raw: bytes | None = None, **props) -> Msg:
    """A well-formed reply (success ``{"result": 1, "error": null}`` unless ``body``/``raw`` says otherwise)."""
    data = raw if raw is not None else json.dumps({"result": 1, "error": None} if body is None else body).encode()
    return Msg(properties=dict(REPLY_PROPS, **props), body=data)


def summary(judgement) -> tuple:
    """(examined, finding codes, inconclusive requirements): what a test pins exactly."""
    return (sorted(judgement.examined), judgement.codes(), [r for r, _ in judgement.inconclusive])
