"""The kit's raw pika caller (``KitPeer``); the service the target's client calls is ``clientcheck.probe_service``.

Everything here records what it sends and sees into a ``Trace``. Every queue the kit declares is exclusive, so
the broker removes it when the kit's connection closes, even after a crash.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable

import pika
import pika.exceptions

from nameko_conformance.messages import MessageFactory, Outgoing
from nameko_conformance.oracle import reply as reply_checks
from nameko_conformance.oracle.evidence import Evidence
from nameko_conformance.outcomes import ConformanceFailure, KitFault
from nameko_conformance.trace import Seen, Trace

REPLY_TIMEOUT = 10.0
NO_REPLY_GRACE = 0.15


def connect(params: pika.ConnectionParameters) -> pika.BlockingConnection:
    try:
        return pika.BlockingConnection(params)
    except pika.exceptions.AMQPError as exc:
        raise KitFault(f"the kit cannot connect to the broker at {params.host}:{params.port}: {exc!r}") from exc


def _props_dict(properties: pika.BasicProperties) -> dict[str, Any]:
    names = ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id", "reply_to",
             "expiration", "message_id", "timestamp", "type", "user_id", "app_id")
    return {name: getattr(properties, name) for name in names if getattr(properties, name) is not None}


def seen_from_delivery(direction: str, method: Any, properties: pika.BasicProperties, body: bytes, via: str) -> Seen:
    return Seen(direction, method.exchange, method.routing_key, _props_dict(properties), properties.headers,
                bytes(body), via)


def _basic_properties(out: Outgoing) -> pika.BasicProperties:
    return pika.BasicProperties(headers=out.headers, **out.properties)


class DeclareResult:
    """Outcome of a passive or equivalent declare: ok, or the broker's channel-close code and text."""

    def __init__(self, ok: bool, code: int | None = None, text: str = "", message_count: int | None = None,
                 consumer_count: int | None = None):
        self.ok, self.code, self.text = ok, code, text
        self.message_count, self.consumer_count = message_count, consumer_count

    def __repr__(self) -> str:
        if self.ok:
            return f"ok(messages={self.message_count}, consumers={self.consumer_count})"
        return f"{self.code} {self.text}"


class KitPeer:
    """A raw AMQP caller: publishes requests, collects replies on its own reply queue, inspects topology.

    Its reply queue has a name different from its ``reply_to`` key, and a second queue named exactly like the
    key catches replies wrongly sent to the default exchange.
    """

    def __init__(self, params: pika.ConnectionParameters, rpc_exchange: str, service: str, trace: Trace):
        self.params, self.rpc_exchange, self.service, self.trace = params, rpc_exchange, service, trace
        self.connection = connect(params)
        self.channel = self.connection.channel()
        self.reply_key = str(uuid.uuid4())
        self.reply_queue = f"conformance-kit.reply-{self.reply_key}"
        self.factory = MessageFactory(service, rpc_exchange, self.reply_key)
        self.received: list[Seen] = []
        self.sent: list[Outgoing] = []
        self.evidence = Evidence()  # the suite's fixture replaces it with the test's own
        self._confirm_channel = None
        self._declare_rpc_exchange()
        for queue, via in ((self.reply_queue, "reply queue"), (self.reply_key, "default-exchange catcher")):
            self.channel.queue_declare(queue, exclusive=True, auto_delete=True)
            self.channel.basic_consume(queue, self._collector(via), auto_ack=True)
        self.channel.queue_bind(self.reply_queue, rpc_exchange, routing_key=self.reply_key)

    def _declare_rpc_exchange(self) -> None:
        # The kit takes part in the deployment, so it declares the exchange as TOPO-2 says every participant does.
        try:
            self.channel.exchange_declare(self.rpc_exchange, "topic", durable=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            self.channel = self.connection.channel()
            raise ConformanceFailure(
                f"expected exchange {self.rpc_exchange!r} (topic, durable), the broker refused an equivalent "
                f"declare: {exc.reply_code} {exc.reply_text}", ("TOPO-1", "TOPO-2")) from exc

    def _collector(self, via: str) -> Callable:
        def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None:
            seen = seen_from_delivery("received", method, properties, body, via)
            self.received.append(self.trace.add(seen))
        return on_message

    # -- publishing ----------------------------------------------------------------------------------------------

    def publish(self, out: Outgoing) -> Outgoing:
        self.channel.basic_publish(out.exchange, out.routing_key, out.body, _basic_properties(out))
        self.sent.append(out)
        self.trace.add(Seen("sent", out.exchange, out.routing_key, dict(out.properties), out.headers, out.body))
        return out

    def is_routable(self, out: Outgoing) -> bool:
        """Publishes mandatory on a confirm channel: True when some queue took it, False when it came back."""
        if self._confirm_channel is None or not self._confirm_channel.is_open:
            self._confirm_channel = self.connection.channel()
            self._confirm_channel.confirm_delivery()
        self.trace.add(Seen("sent", out.exchange, out.routing_key, dict(out.properties), out.headers, out.body,
                            via="mandatory"))
        try:
            self._confirm_channel.basic_publish(out.exchange, out.routing_key, out.body, _basic_properties(out),
                                                mandatory=True)
        except pika.exceptions.UnroutableError:
            self.trace.note(f"broker returned {out.routing_key!r} as unroutable")
            return False
        return True

    def request(self, method: str, args: list | tuple = (), kwargs: dict | None = None, **overrides: Any) -> Outgoing:
        return self.publish(self.factory.request(method, args, kwargs, **overrides))

    def call(self, method: str, *args: Any, _requirement: str | tuple = "RPC-REPLY-9", _timeout: float = REPLY_TIMEOUT,
             **kwargs: Any) -> Seen:
        out = self.request(method, args, kwargs)
        return self.wait_reply(out.correlation_id, timeout=_timeout, requirement=_requirement,
                               what=f"{self.service}.{method}")

    # -- receiving -----------------------------------------------------------------------------------------------

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.connection.process_data_events(time_limit=min(left, 0.05))

    def wait_for(self, predicate: Callable[[Seen], bool], timeout: float) -> Seen | None:
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for message in self.received[checked:]:
                if predicate(message):
                    return message
            checked = len(self.received)
            if time.monotonic() >= deadline:
                return None
            self.connection.process_data_events(time_limit=0.02)

    def wait_reply(self, correlation_id: str | None, timeout: float = REPLY_TIMEOUT,
                   requirement: str | tuple = "RPC-REPLY-9", what: str = "the request") -> Seen:
        """The reply carrying ``correlation_id``. When none comes, what did arrive is judged (a reply with another
        correlation id, one through the default exchange) and the test ends there."""
        reply = self.wait_for(lambda m: m.properties.get("correlation_id") == correlation_id, timeout)
        if reply is None:
            self._judge_missing_reply(correlation_id, requirement, what, f"within {timeout:.0f} s")
        return reply

    def _judge_missing_reply(self, correlation_id: str | None, requirement: str | tuple, what: str,
                             when: str) -> None:
        requirement = requirement if isinstance(requirement, str) else requirement[0]
        known = {o.correlation_id for o in self.sent}
        strays = [m for m in self.received if m.direction == "received" and m.via in ("reply queue",
                  reply_checks.DEFAULT_CATCHER) and m.properties.get("correlation_id") not in known]
        self.evidence.apply(reply_checks.missing_reply(correlation_id, what, when, strays, requirement))
        from nameko_conformance.oracle.evidence import ObservationMissing
        raise ObservationMissing(f"a reply to {what}")

    def reply_before_sentinel(self, out: Outgoing, requirement: str | tuple, what: str) -> Seen:
        """The reply to ``out``, expected no later than a sentinel echo published after it (fast negative cases)."""
        self.sentinel("MAL-9")
        reply = self.wait_for(lambda m: m.properties.get("correlation_id") == out.correlation_id, NO_REPLY_GRACE)
        if reply is None:
            self._judge_missing_reply(out.correlation_id, requirement, what, "before the reply to a later echo")
        return reply

    def replies_for(self, correlation_id: str | None) -> list[Seen]:
        return [m for m in self.received if m.properties.get("correlation_id") == correlation_id]

    def sentinel(self, requirement: str | tuple = "TESTEE-2") -> Seen:
        """An echo with a fresh token; its correct reply proves the target still serves and bounds earlier
        traffic. A missing or wrong reply is a finding under ``requirement`` and ends the test."""
        requirement = requirement if isinstance(requirement, str) else requirement[0]
        token = str(uuid.uuid4())
        out = self.request("echo", [token])
        reply = self.wait_for(lambda m: m.properties.get("correlation_id") == out.correlation_id, REPLY_TIMEOUT)
        self.evidence.apply(reply_checks.still_serving(reply, token, requirement))
        self.evidence.need(reply, f"a reply to the sentinel echo({token})")
        # Replies published before the sentinel's may still be in flight on another channel of the target.
        self.pump(NO_REPLY_GRACE)
        return reply

    # -- topology probes (each on a fresh channel: a refusal closes the channel) ---------------------------------

    def _on_fresh_channel(self, action: Callable[[Any], Any]) -> DeclareResult:
        channel = self.connection.channel()
        try:
            frame = action(channel)
        except pika.exceptions.ChannelClosedByBroker as exc:
            return DeclareResult(False, exc.reply_code, exc.reply_text)
        try:
            channel.close()
        except pika.exceptions.AMQPError:
            pass
        method = getattr(frame, "method", None)
        return DeclareResult(True, message_count=getattr(method, "message_count", None),
                             consumer_count=getattr(method, "consumer_count", None))

    def passive_queue(self, name: str) -> DeclareResult:
        return self._on_fresh_channel(lambda ch: ch.queue_declare(name, passive=True))

    def equivalent_queue(self, name: str, durable: bool, exclusive: bool = False, auto_delete: bool = False,
                         arguments: dict | None = None) -> DeclareResult:
        return self._on_fresh_channel(lambda ch: ch.queue_declare(
            name, durable=durable, exclusive=exclusive, auto_delete=auto_delete, arguments=arguments))

    def passive_exchange(self, name: str) -> DeclareResult:
        return self._on_fresh_channel(lambda ch: ch.exchange_declare(name, passive=True))

    def equivalent_exchange(self, name: str, exchange_type: str, durable: bool, auto_delete: bool = False,
                            internal: bool = False) -> DeclareResult:
        return self._on_fresh_channel(lambda ch: ch.exchange_declare(
            name, exchange_type, durable=durable, auto_delete=auto_delete, internal=internal))

    def spy(self, exchange: str, binding_keys: list[str]) -> str:
        """A narrow exclusive queue on ``exchange``; what it receives lands in ``received`` via ``spy:<exchange>``."""
        name = f"conformance-kit.spy-{uuid.uuid4()}"
        self.channel.queue_declare(name, exclusive=True, auto_delete=True)
        for key in binding_keys:
            self.channel.queue_bind(name, exchange, routing_key=key)
        self.channel.basic_consume(name, self._collector(f"spy:{exchange}"), auto_ack=True)
        self.trace.note(f"spy queue on {exchange!r} bound with {binding_keys}")
        return name

    def close(self) -> None:
        try:
            if self.connection.is_open:
                self.connection.close()
        except pika.exceptions.AMQPError:
            pass
