"""The per-test record of every AMQP message the kit sent and saw, rendered for failure reports."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

_MAX_BODY_SHOWN = 300


@dataclass
class Seen:
    """One message as the broker delivered it to the kit (or as the kit published it)."""

    direction: str  # "sent" | "received" | "returned" | "observed"
    exchange: str
    routing_key: str
    properties: dict[str, Any]
    headers: dict[str, Any] | None
    body: bytes
    via: str = ""  # the kit queue (or observer) it arrived through
    at: float = field(default_factory=time.monotonic)

    def json_body(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def summary(self) -> str:
        props = {k: v for k, v in self.properties.items() if v is not None}
        text = _short_body(self.body)
        via = f" via {self.via}" if self.via else ""
        hdrs = "" if self.headers is None else f" headers={json.dumps(self.headers, default=str)}"
        exchange = self.exchange if self.exchange else "(default exchange)"
        return f"{self.direction:<8} {exchange} key={self.routing_key!r}{via} props={json.dumps(props, default=str)}{hdrs} body={text}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "direction": self.direction,
            "exchange": self.exchange,
            "routing_key": self.routing_key,
            "properties": {k: v for k, v in self.properties.items() if v is not None},
            "via": self.via,
        }
        if self.headers is not None:
            out["headers"] = self.headers
        try:
            out["body_text"] = self.body.decode("utf-8")
            if len(out["body_text"]) > 4096:
                out["body_text"] = out["body_text"][:4096] + f"… ({len(self.body)} bytes)"
        except UnicodeDecodeError:
            out["body_base64"] = base64.b64encode(self.body[:4096]).decode("ascii")
        return out


def _short_body(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes, not UTF-8: {body[:40]!r}>"
    if len(text) > _MAX_BODY_SHOWN:
        return f"{text[:_MAX_BODY_SHOWN]!r}… ({len(body)} bytes)"
    return repr(text)


class Trace:
    """Collects what one test sent and saw; shared by every peer the test uses."""

    def __init__(self) -> None:
        self.messages: list[Seen] = []
        self.notes: list[str] = []

    def add(self, seen: Seen) -> Seen:
        self.messages.append(seen)
        return seen

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self, limit: int = 40) -> str:
        lines = [m.summary() for m in self.messages[-limit:]]
        if len(self.messages) > limit:
            lines.insert(0, f"… {len(self.messages) - limit} earlier messages omitted")
        lines += [f"note     {n}" for n in self.notes]
        return "\n".join(lines) if lines else "(no AMQP messages)"
