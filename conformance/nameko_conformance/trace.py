"""The per-test record of every AMQP message the kit sent and saw, rendered for failure reports.

When the kit owns the broker, the record also holds what the broker saw (the firehose: every publish with the
queues it was routed to), narrowed to the test's own traffic; otherwise it says that the kit only saw what reached
its own reply queues and narrow spy queues.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Protocol

from nameko_conformance.capture.wire import WireMessage, jsonable, jsonable_key

_MAX_BODY_SHOWN = 300
_BROKER_POLL_INTERVAL = 0.02
_MAX_BROKER_KEPT = 200  # broker-side publishes kept in a test's report entry (the newest)
# A hostile target must not blow up the kit's memory or its report: a test's record keeps the first and the last
# messages of its traffic (the rest are counted and digested), and of each message at most this many body bytes.
MAX_TRACE_BODY = 4096
MAX_TRACE_HEAD = 300
MAX_TRACE_TAIL = 100
MAX_BROKER_PUBLISHES = 20000  # what the firehose saw during one test
MAX_BROKER_BODY = 1024 * 1024
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
    size: int | None = None  # the body's real size when ``body`` keeps only its first bytes
    digest: str = ""  # sha256 of the whole body when ``body`` keeps only its first bytes

    def __post_init__(self) -> None:
        # A target (or a hostile test) may put anything in names and values: invalid UTF-8 as bytes, odd AMQP
        # types. Kept as plain JSON data from here on, so no report or rendering can trip over them.
        if isinstance(self.exchange, (bytes, bytearray)):
            self.exchange = jsonable_key(self.exchange)
        if isinstance(self.routing_key, (bytes, bytearray)):
            self.routing_key = jsonable_key(self.routing_key)
        # Basic properties are short strings or numbers: bad bytes become escaped text, so ids stay comparable.
        self.properties = {name: jsonable_key(value) if isinstance(value, (bytes, bytearray)) else jsonable(value)
                           for name, value in (self.properties or {}).items()}
        if self.headers is not None:
            self.headers = jsonable(self.headers)

    @property
    def body_size(self) -> int:
        return len(self.body) if self.size is None else self.size

    @property
    def truncated(self) -> bool:
        return self.size is not None and self.size > len(self.body)

    def bounded(self, limit: int = MAX_TRACE_BODY) -> "Seen":
        """This message with at most ``limit`` body bytes; the real size and a digest of the whole body say what
        was cut (a record of a 50 MiB reply costs 4 KiB)."""
        if len(self.body) <= limit:
            return self
        return replace(self, body=self.body[:limit], size=len(self.body),
                       digest=hashlib.sha256(self.body).hexdigest())

    def json_body(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def summary(self) -> str:
        props = {k: v for k, v in self.properties.items() if v is not None}
        text = _short_body(self.body, self.body_size)
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
        kept = self.body[:MAX_TRACE_BODY]
        try:
            out["body_text"] = kept.decode("utf-8")
        except UnicodeDecodeError:
            out["body_base64"] = base64.b64encode(kept).decode("ascii")
        if self.body_size > len(kept):
            out["body_truncated"] = f"{self.body_size} bytes, first {len(kept)} kept" + (
                f", sha256 {self.digest}" if self.digest else "")
        return out


def _short_body(body: bytes, size: int | None = None) -> str:
    size = len(body) if size is None else size
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        if size > len(body):  # cut inside a multi-byte character, or not UTF-8 at all
            text = body.decode("utf-8", "replace")
        else:
            return f"<{size} bytes, not UTF-8: {body[:40]!r}>"
    if len(text) > _MAX_BODY_SHOWN or size > len(body):
        return f"{text[:_MAX_BODY_SHOWN]!r}… ({size} bytes)"
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
        self.omitted = 0  # publishes past MAX_BROKER_PUBLISHES, counted only

    def poll(self) -> list[WireMessage]:
        # Bounded like the kit's own queues: a flood is counted past MAX_BROKER_PUBLISHES, and a huge body is kept
        # to its first MAX_BROKER_BODY bytes (the broker-side checks read routing, properties and small bodies).
        for message in self.source.drain():
            if len(self.publishes) >= MAX_BROKER_PUBLISHES:
                self.omitted += 1
                continue
            if len(message.body) > MAX_BROKER_BODY:
                message = replace(message, body=message.body[:MAX_BROKER_BODY])
            self.publishes.append(message)
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
        self.messages: list[Seen] = []  # the first MAX_TRACE_HEAD messages (bodies bounded)
        self.tail: deque[Seen] = deque(maxlen=MAX_TRACE_TAIL)  # the newest after those
        self.omitted = 0  # messages neither in ``messages`` nor in ``tail``
        self._omitted_digest = hashlib.sha256()
        self.notes: list[str] = []
        self.body_bytes_kept = 0  # whole bodies the test's peers keep, all peers together (amqp.MAX_BODY_BYTES_KEPT)
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
        return relevant_publishes(publishes, self.broker.service, tie_tokens(self.kept()))

    def render_broker(self, limit: int = 40) -> str:
        if self.broker is None:
            return SPY_OBSERVER_NOTE
        publishes = self.at_broker()
        lines = [broker_line(m) for m in publishes[-limit:]]
        if len(publishes) > limit:
            lines.insert(0, f"… {len(publishes) - limit} earlier publishes omitted")
        return "\n".join(lines) if lines else "(the broker saw no publish of this test's traffic)"

    def kept(self) -> list[Seen]:
        return list(self.messages) + list(self.tail)

    def omitted_note(self) -> str:
        return (f"{self.omitted} messages omitted from this record (sha256 of their bodies "
                f"{self._omitted_digest.hexdigest()[:16]}…)") if self.omitted else ""

    def to_dicts(self) -> list[dict[str, Any]]:
        head = [m.to_dict() for m in self.messages]
        if self.omitted:
            head.append({"direction": "omitted", "note": self.omitted_note()})
        return head + [m.to_dict() for m in self.tail] + [broker_dict(m)
                                                          for m in self.at_broker()[-_MAX_BROKER_KEPT:]]

    def add(self, seen: Seen) -> Seen:
        """Records a bounded copy of ``seen`` (the caller keeps the message itself) and hands ``seen`` back."""
        if len(self.messages) < MAX_TRACE_HEAD:
            self.messages.append(seen.bounded())
            return seen
        if len(self.tail) == self.tail.maxlen:
            dropped = self.tail[0]
            self.omitted += 1
            self._omitted_digest.update(dropped.digest.encode() or hashlib.sha256(dropped.body).digest())
        self.tail.append(seen.bounded())
        return seen

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self, limit: int = 40) -> str:
        kept = self.kept()
        lines = [m.summary() for m in kept[-limit:]]
        if len(kept) + self.omitted > limit:
            lines.insert(0, f"… {len(kept) + self.omitted - limit} earlier messages omitted")
        lines += [f"note     {n}" for n in self.notes]
        return "\n".join(lines) if lines else "(no AMQP messages)"
