"""The per-test record of every AMQP message the kit sent and saw, rendered for failure reports.

When the kit owns the broker, the record also holds what the broker saw (the firehose: every publish with the
queues it was routed to), narrowed to the test's own traffic; otherwise it says that the kit only saw what reached
its own reply queues and narrow spy queues.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from nameko_conformance.capture.wire import WireMessage

_MAX_BODY_SHOWN = 300
_BROKER_POLL_INTERVAL = 0.02
_MAX_BROKER_KEPT = 200  # broker-side publishes kept in a test's report entry (the newest)
FIREHOSE_OBSERVER = "firehose"
SPY_OBSERVER = "spy"
SPY_OBSERVER_NOTE = ("observed through the kit's own reply queues and narrow spy queues only (no firehose: the kit "
                     "does not own this broker; run with --broker private to see every publish at the broker)")
FIREHOSE_ONLY = "needs a broker the kit owns: --broker private"


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


class PublishSource(Protocol):
    def drain(self) -> list[WireMessage]: ...


def tie_tokens(messages: Iterable[Seen]) -> set[str]:
    """The correlation ids and reply_to keys of the kit's own messages: what ties a broker-side publish to a test."""
    tokens: set[str] = set()
    for message in messages:
        for name in ("correlation_id", "reply_to"):
            value = message.properties.get(name)
            if isinstance(value, str) and value:
                tokens.add(value)
    return tokens


def relevant_publishes(publishes: Iterable[WireMessage], service: str, tokens: Iterable[str]) -> list[WireMessage]:
    """The publishes that belong to one test: those naming the run's services (``<service>``, ``<service>_probe``,
    ``<service>_src``, ``<service>_nosuch``; exchange or routing key) or carrying one of ``tokens`` (correlation id,
    reply_to, or a reply's routing key), widened once by the tokens of those found, so that a nested call's reply
    (keyed by the target client's own reply_to) comes along with its request."""
    publishes = list(publishes)
    known = set(tokens)

    def tied(message: WireMessage) -> bool:
        return (message.exchange.startswith(service) or message.routing_key.startswith(service)
                or message.routing_key in known or message.properties.get("correlation_id") in known
                or message.properties.get("reply_to") in known)

    for message in [m for m in publishes if tied(m)]:
        known |= {v for v in (message.properties.get("correlation_id"), message.properties.get("reply_to"))
                  if isinstance(v, str) and v}
    return [m for m in publishes if tied(m)]


class BrokerWitness:
    """What the broker saw during one test, from the firehose; every publish since the test began, kept in order."""

    def __init__(self, source: PublishSource, service: str):
        self.source, self.service = source, service
        self.source.drain()  # what earlier tests left in flight is not this test's
        self.publishes: list[WireMessage] = []

    def poll(self) -> list[WireMessage]:
        self.publishes.extend(self.source.drain())
        return self.publishes

    def wait_for(self, predicate: Callable[[WireMessage], bool], timeout: float = 2.0) -> WireMessage | None:
        """The first publish of this test satisfying ``predicate``, waiting up to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.poll():
                if predicate(message):
                    return message
            if time.monotonic() >= deadline:
                return None
            time.sleep(_BROKER_POLL_INTERVAL)


def broker_line(message: WireMessage) -> str:
    props = json.dumps(message.properties, default=str)
    hdrs = "" if message.headers is None else f" headers={json.dumps(message.headers, default=str)}"
    exchange = repr(message.exchange) + (" (default exchange)" if message.exchange == "" else "")
    routed = "not recorded" if message.routed_queues is None else json.dumps(list(message.routed_queues))
    return (f"published exchange={exchange} key={message.routing_key!r} routed_queues={routed} props={props}"
            f"{hdrs} body={_short_body(message.body)}")


def broker_dict(message: WireMessage) -> dict[str, Any]:
    out = {"direction": "at broker", **message.to_fixture()}
    out.pop("body", None)
    if len(out.get("body_text", "")) > 4096:
        out["body_text"] = out["body_text"][:4096] + f"… ({len(message.body)} bytes)"
    return out


class Trace:
    """Collects what one test sent and saw; shared by every peer the test uses."""

    def __init__(self) -> None:
        self.messages: list[Seen] = []
        self.notes: list[str] = []
        self.broker: BrokerWitness | None = None
        self.firehose_evidence: set[str] = set()  # requirement IDs this test judged from what the broker saw

    @property
    def observer(self) -> str:
        return FIREHOSE_OBSERVER if self.broker is not None else SPY_OBSERVER

    def watch(self, source: PublishSource, service: str) -> None:
        """Starts recording what the broker sees (once per test; later peers of the test share it)."""
        if self.broker is None:
            self.broker = BrokerWitness(source, service)

    def seen_by_broker(self, requirements: Iterable[str] | str) -> None:
        """Records that the verdict on ``requirements`` rests on broker-side evidence."""
        self.firehose_evidence |= {requirements} if isinstance(requirements, str) else set(requirements)

    def at_broker(self) -> list[WireMessage]:
        """The broker-side publishes of this test's traffic (empty without a firehose)."""
        if self.broker is None:
            return []
        try:
            publishes = self.broker.poll()
        except Exception as exc:  # a late failure to read the firehose must not hide the test's own outcome
            self.note(f"the firehose could not be read: {exc!r}")
            publishes = self.broker.publishes
        return relevant_publishes(publishes, self.broker.service, tie_tokens(self.messages))

    def render_broker(self, limit: int = 40) -> str:
        if self.broker is None:
            return SPY_OBSERVER_NOTE
        publishes = self.at_broker()
        lines = [broker_line(m) for m in publishes[-limit:]]
        if len(publishes) > limit:
            lines.insert(0, f"… {len(publishes) - limit} earlier publishes omitted")
        return "\n".join(lines) if lines else "(the broker saw no publish of this test's traffic)"

    def to_dicts(self) -> list[dict[str, Any]]:
        return [m.to_dict() for m in self.messages] + [broker_dict(m) for m in self.at_broker()[-_MAX_BROKER_KEPT:]]

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
