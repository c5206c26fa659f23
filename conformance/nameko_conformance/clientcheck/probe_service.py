"""A kit-hosted service on raw pika that records each request as the broker delivered it and answers on purpose.

The kit's one probe: the client suite points a port's driver at it, and the server suite hosts `<service>_probe`
on it for the target's nested calls (its default behaviour, `normal`, echoes `{"args", "kwargs"}`).

The probe declares `rpc-<service>` and binds it with `<service>.*` on the RPC exchange like a server (TOPO-3,
TOPO-5), and runs its own connection on its own thread. Replies go to the RPC exchange with the request's
`reply_to` as routing key (RPC-REPLY-1), published mandatory on a confirm channel so that a `reply_to` which no
queue is bound to is seen as an unroutable reply (RPC-REQ-3, RPC-CORR-1) instead of vanishing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pika
import pika.exceptions

from nameko_conformance.capture.wire import DEFAULT_RPC_EXCHANGE, WireMessage
from nameko_conformance.clientcheck.behaviours import Behaviour, PlannedReply, plan_replies
from nameko_conformance.outcomes import KitFault
from nameko_conformance.trace import Seen

_POLL_SECONDS = 0.05
BehaviourChoice = str | Behaviour | Sequence[str | Behaviour]


@dataclass(frozen=True)
class RecordedRequest:
    index: int                 # arrival order, from 0
    method: str                # the routing key's part after "<service>."
    behaviour: Behaviour
    wire: WireMessage
    received_at: float         # time.monotonic()

    @property
    def fixture(self) -> dict:
        return self.wire.to_fixture()


@dataclass(frozen=True)
class SentReply:
    request_index: int
    routing_key: str | None
    correlation_id: str | None
    body: bytes
    note: str
    routed: bool               # False when the broker returned it: no queue is bound with that reply_to
    sent_at: float


class ProbeStartError(RuntimeError):
    pass


class ProbeDied(KitFault):
    """The probe's thread ended while the run still needs it: a kit error, never the target's fault."""


class ProbeService:
    """Start with `start()` (or a `with` block); `stop()` deletes the queue and closes the connection.

    `behaviours` maps a method name to a behaviour, or to a sequence of behaviours used for successive calls of
    that method (the last one repeats). `choose`, when given, decides per request instead:
    `choose(method, call_index_of_that_method, wire_message) -> behaviour`.
    """

    def __init__(self, amqp_uri: str, service: str, *, exchange: str = DEFAULT_RPC_EXCHANGE,
                 behaviours: Mapping[str, BehaviourChoice] | None = None, default: str | Behaviour = "normal",
                 choose: Callable[[str, int, WireMessage], str | Behaviour] | None = None,
                 declare_exchange: bool = True, queue_arguments: dict | None = None):
        self.amqp_uri = amqp_uri
        self.service = service
        self.exchange = exchange
        self.queue = f"rpc-{service}"
        self._behaviours = {method: _as_sequence(choice) for method, choice in (behaviours or {}).items()}
        self._default = _as_behaviour(default)
        self._choose = choose
        self._declare_exchange = declare_exchange
        self._queue_arguments = queue_arguments
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._replies: list[SentReply] = []
        self._calls_per_method: dict[str, int] = {}
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> "ProbeService":
        if self._thread is not None:
            raise ProbeStartError("the probe was started already")
        self._thread = threading.Thread(target=self._run, name=f"probe-{self.service}", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self._stopping.set()
            raise ProbeStartError(f"the probe for {self.service!r} was not consuming after {timeout} s")
        if self._failure is not None:
            raise ProbeStartError(f"the probe for {self.service!r} failed to start: {self._failure!r}")
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise RuntimeError(f"the probe for {self.service!r} did not stop within {timeout} s")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- what was seen ----------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def replies(self) -> list[SentReply]:
        with self._lock:
            return list(self._replies)

    def problem(self) -> str | None:
        """Why the probe no longer serves (its thread ended, with the error that ended it), or None."""
        if self._thread is None or self._stopping.is_set():
            return None
        if self._failure is not None:
            return f"the probe service {self.service!r} stopped: {self._failure!r}"
        if not self._thread.is_alive():
            return f"the probe service {self.service!r} stopped: its thread ended"
        return None

    def check_alive(self) -> None:
        """Raises ProbeDied when the probe stopped serving: a test that needs it then reads kit error with the
        reason, instead of blaming the target for calls nobody answered."""
        problem = self.problem()
        if problem is not None:
            raise ProbeDied(problem)

    def mark(self) -> int:
        """A place in the record of requests; `requests_since(mark)` gives what arrived after it."""
        self.check_alive()
        with self._lock:
            return len(self._requests)

    def requests_since(self, mark: int) -> list[RecordedRequest]:
        self.check_alive()
        with self._lock:
            return list(self._requests[mark:])

    def trace_entry(self, request: RecordedRequest) -> Seen:
        """A recorded request as failure reports show it: received by this probe, exactly as delivered."""
        wire = request.wire
        return Seen("received", wire.exchange, wire.routing_key, dict(wire.properties), wire.headers, wire.body,
                    via=f"probe {self.service} ({request.behaviour})", at=request.received_at)

    def wait_for_requests(self, count: int, timeout: float) -> list[RecordedRequest]:
        """The first `count` requests, waiting up to `timeout` seconds; fewer when they do not come."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.requests) < count:
            self.check_alive()
            time.sleep(_POLL_SECONDS)
        self.check_alive()
        return self.requests[:count]

    def wait_for_replies(self, count: int, timeout: float) -> list[SentReply]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.replies) < count:
            self.check_alive()
            time.sleep(_POLL_SECONDS)
        self.check_alive()
        return self.replies[:count]

    # -- the probe's thread -----------------------------------------------------------------------------------

    def _run(self):
        connection = None
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
            consume_channel = connection.channel()
            reply_channel = connection.channel()
            reply_channel.confirm_delivery()
            if self._declare_exchange:
                consume_channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            consume_channel.queue_declare(self.queue, durable=True, arguments=self._queue_arguments)
            consume_channel.queue_bind(self.queue, self.exchange, routing_key=f"{self.service}.*")
            consume_channel.basic_consume(
                self.queue, lambda ch, method, props, body: self._on_request(connection, reply_channel, ch, method,
                                                                              props, body))
        except BaseException as exc:  # noqa: BLE001 - reported to start()
            self._failure = exc
            self._ready.set()
            _close_quietly(connection)
            return
        self._ready.set()
        try:
            while not self._stopping.is_set():
                connection.process_data_events(time_limit=_POLL_SECONDS)
        except BaseException as exc:  # noqa: BLE001
            self._failure = exc
        finally:
            try:
                if connection.is_open:
                    cleanup = connection.channel()
                    cleanup.queue_delete(self.queue)
            finally:
                _close_quietly(connection)

    def _behaviour_for(self, method: str, wire: WireMessage) -> Behaviour:
        call_index = self._calls_per_method.get(method, 0)
        self._calls_per_method[method] = call_index + 1
        if self._choose is not None:
            return _as_behaviour(self._choose(method, call_index, wire))
        sequence = self._behaviours.get(method)
        if not sequence:
            return self._default
        return sequence[min(call_index, len(sequence) - 1)]

    def _on_request(self, connection, reply_channel, channel, method, properties, body):
        wire = WireMessage.from_pika(method, properties, body, role="request")
        prefix = f"{self.service}."
        method_name = method.routing_key[len(prefix):] if method.routing_key.startswith(prefix) else ""
        behaviour = self._behaviour_for(method_name, wire)
        with self._lock:
            index = len(self._requests)
            self._requests.append(RecordedRequest(index, method_name, behaviour, wire, time.monotonic()))
        channel.basic_ack(method.delivery_tag)
        reply_to = properties.reply_to
        for planned in plan_replies(behaviour, method_name, properties.correlation_id, body):
            if reply_to is None:
                self._record_reply(index, None, planned, routed=False)
            elif planned.delay > 0:
                connection.call_later(planned.delay, lambda p=planned: self._publish(reply_channel, index,
                                                                                     reply_to, p))
            else:
                self._publish(reply_channel, index, reply_to, planned)

    def _publish(self, reply_channel, index: int, reply_to: str, planned: PlannedReply):
        if self._stopping.is_set():
            return
        properties = pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                          delivery_mode=2, correlation_id=planned.correlation_id,
                                          headers=dict(planned.headers), **planned.extra_properties)
        try:
            reply_channel.basic_publish(self.exchange, reply_to, planned.body, properties, mandatory=True)
            routed = True
        except pika.exceptions.UnroutableError:
            routed = False
        self._record_reply(index, reply_to, planned, routed)

    def _record_reply(self, index, routing_key, planned: PlannedReply, routed: bool):
        with self._lock:
            self._replies.append(SentReply(index, routing_key, planned.correlation_id, planned.body, planned.note,
                                           routed, time.monotonic()))


def _as_behaviour(choice) -> Behaviour:
    return choice if isinstance(choice, Behaviour) else Behaviour.parse(choice)


def _as_sequence(choice: BehaviourChoice) -> tuple[Behaviour, ...]:
    if isinstance(choice, (str, Behaviour)):
        return (_as_behaviour(choice),)
    return tuple(_as_behaviour(item) for item in choice)


def _close_quietly(connection):
    if connection is not None and connection.is_open:
        try:
            connection.close()
        except pika.exceptions.AMQPError:
            pass
