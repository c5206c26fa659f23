"""The kit's raw pika caller (``KitPeer``); the service the target's client calls is ``clientcheck.probe_service``.

Everything here records what it sends and sees into a ``Trace``. Every queue the kit declares is exclusive, so
the broker removes it when the kit's connection closes, even after a crash; a peer on the session's shared
connection also deletes its queues when it closes.

What a peer keeps is bounded, whatever the target sends: at most ``MAX_REPLIES_PER_CORRELATION`` messages per
correlation id the kit sent and ``MAX_STRAYS`` others, and whole bodies up to ``MAX_BODY_BYTES_KEPT`` per test; past
that, a message is counted (``overflow``) or kept with its first bytes only (``Seen.truncated``, with its size and
digest), and the trace says so.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, Callable

import pika
import pika.exceptions

from nameko_conformance.messages import MessageFactory, Outgoing
from nameko_conformance.oracle import reply as reply_checks
from nameko_conformance.oracle.evidence import Evidence, ObservationMissing
from nameko_conformance.oracle.session import STRAY_CATCHER, Liveness
from nameko_conformance.outcomes import KitFault
from nameko_conformance.trace import MAX_TRACE_BODY, Seen, Trace

REPLY_TIMEOUT = 10.0
NO_REPLY_GRACE = 0.15
# A wait at least this long expects an answer (a reply, a sentinel, an event): its timing out tells the session's
# liveness that the target did not answer. Shorter waits are the kit's "nothing more comes" checks.
ANSWER_WAIT = 2.0
UNRESPONSIVE_WAIT = 0.5  # once the target is unresponsive, a wait only collects what already came
STRAY_GRACE = 0.5  # after a reply with a foreign correlation id, how long the right one may still come
PREFETCH = 4
MAX_REPLIES_PER_CORRELATION = 50
MAX_STRAYS = 200
MAX_BODY_BYTES_KEPT = 64 * 1024 * 1024


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


def _shrink(seen: Seen) -> None:
    """``seen`` keeps only its first bytes from now on (with its size and digest), in place."""
    if len(seen.body) > MAX_TRACE_BODY:
        shrunk = seen.bounded()
        seen.body, seen.size, seen.digest = shrunk.body, shrunk.size, shrunk.digest


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

    def __init__(self, params: pika.ConnectionParameters, rpc_exchange: str, service: str, trace: Trace,
                 connection: pika.BlockingConnection | None = None, liveness: Liveness | None = None,
                 on_unresponsive: Callable[[str], None] | None = None, stray_binding: str | None = None,
                 declare_exchange: bool = True):
        """``connection``: the session's shared connection (the peer then opens channels on it and deletes its own
        queues when it closes), or None for a connection of its own. ``liveness``: the session's record of whether
        the target still answers (``on_unresponsive`` is called once when it stops). ``stray_binding``: also
        catch what the RPC exchange routes with this key (``{reply_key}`` stands for the peer's own): the key a
        target known to misroute its replies uses, so that its replies are judged instead of missed."""
        self.params, self.rpc_exchange, self.service, self.trace = params, rpc_exchange, service, trace
        self.owns_connection = connection is None
        self.connection = connect(params) if connection is None else connection
        self.channel = self.connection.channel()
        self.reply_key = str(uuid.uuid4())
        self.reply_queue = f"conformance-kit.reply-{self.reply_key}"
        self.factory = MessageFactory(service, rpc_exchange, self.reply_key)
        self._received: list[Seen] = []
        self.sent: list[Outgoing] = []
        self.carried: list[Any] = []  # judgements made before the test began (start-up), for its evidence
        self.evidence = Evidence()  # the suite's fixture replaces it with the test's own
        self.liveness = liveness
        self.on_unresponsive = on_unresponsive
        self.exchange_refused: str | None = None  # the broker's answer when it refused the kit's declare
        self._confirm_channel = None
        self._channels = [self.channel]
        self._queues: list[str] = []
        self._settle_until = 0.0
        self._sent_ids: set[str] = set()
        self._sent_keys: set[tuple[str | None, str]] = set()
        self._per_correlation: dict[str | None, int] = {}
        self._strays = 0
        self._handed_out: list[Seen] = []  # messages a wait returned to the test (judged by the time of the next)
        self.overflow = 0  # messages received but not kept (a flood)
        self._overflow_digest = hashlib.sha256()
        if declare_exchange:
            self._declare_rpc_exchange()
        catchers = [(self.reply_queue, "reply queue"), (self.reply_key, "default-exchange catcher")]
        if stray_binding is not None:  # "" declares the catcher without binding it yet
            catchers.append((f"conformance-kit.strays-{self.reply_key}", STRAY_CATCHER))
        # Acknowledged one by one with a small prefetch: the broker holds back what the kit has not read yet, so a
        # burst of 50 MiB replies costs a few messages of memory, not the whole burst.
        self.channel.basic_qos(prefetch_count=PREFETCH)
        for queue, via in catchers:
            self.channel.queue_declare(queue, exclusive=True, auto_delete=True)
            self._queues.append(queue)
            self.channel.basic_consume(queue, self._collector(via))
        self.channel.queue_bind(self.reply_queue, rpc_exchange, routing_key=self.reply_key)
        if stray_binding:
            self.bind_stray_catcher(stray_binding)

    def bind_stray_catcher(self, binding: str) -> None:
        """Binds the stray-reply catcher (declared when the peer was made with a ``stray_binding``). A wildcard
        makes other keys routable while it is bound (TOPO-7): only the readiness check uses one, briefly, after
        its echo went unanswered."""
        self.channel.queue_bind(f"conformance-kit.strays-{self.reply_key}", self.rpc_exchange,
                                routing_key=binding.replace("{reply_key}", self.reply_key))

    def unbind_stray_catcher(self, binding: str) -> None:
        self.channel.queue_unbind(f"conformance-kit.strays-{self.reply_key}", self.rpc_exchange,
                                  routing_key=binding.replace("{reply_key}", self.reply_key))

    def _declare_rpc_exchange(self) -> None:
        # The kit takes part in the deployment, so it declares the exchange as TOPO-2 says every participant does.
        # A refusal means the exchange exists with other flags: that is judged by the topology test (TOPO-1/2,
        # an equivalent declare) and, at start-up, from the target's own refusal; the peer goes on using it.
        try:
            self.channel.exchange_declare(self.rpc_exchange, "topic", durable=True)
        except pika.exceptions.ChannelClosedByBroker as exc:
            self.exchange_refused = f"{exc.reply_code} {exc.reply_text}"
            self.trace.note(f"the broker refused the kit's declare of {self.rpc_exchange!r}: {self.exchange_refused}")
            self.channel = self.connection.channel()
            self._channels.append(self.channel)

    @property
    def evidence(self) -> Evidence:
        return self._evidence

    @evidence.setter
    def evidence(self, evidence: Evidence) -> None:
        """The test's evidence; judgements the peer carries (made at start-up) go into it."""
        self._evidence = evidence
        for judgement in self.carried:
            evidence.apply(judgement)

    @property
    def received(self) -> list[Seen]:
        """What the kit's queues received so far, once replies still in flight after a sentinel had their grace."""
        self.settle()
        return self._received

    def _collector(self, via: str) -> Callable:
        def on_message(channel: Any, method: Any, properties: Any, body: bytes) -> None:
            channel.basic_ack(method.delivery_tag)
            correlation_id = properties.correlation_id
            if via == STRAY_CATCHER and (correlation_id, method.routing_key) in self._sent_keys:
                return  # the kit's own request, seen through the catch-all binding
            known = correlation_id in self._sent_ids
            count = self._per_correlation.get(correlation_id, 0) if known else self._strays
            if count >= (MAX_REPLIES_PER_CORRELATION if known else MAX_STRAYS):
                self.overflow += 1
                self._overflow_digest.update(hashlib.sha256(body).digest())
                if self.overflow == 1:
                    self.trace.note("the target sends more than the kit keeps: further messages are only counted")
                return
            if known:
                self._per_correlation[correlation_id] = count + 1
            else:
                self._strays += 1
            seen = seen_from_delivery("received", method, properties, body, via)
            if self.trace.body_bytes_kept + len(body) > MAX_BODY_BYTES_KEPT:
                self._shrink_handed_out()
            if self.trace.body_bytes_kept + len(body) > MAX_BODY_BYTES_KEPT:
                seen = seen.bounded()
                self.trace.note(f"a {len(body)}-byte body kept truncated: this test's messages exceed "
                                f"{MAX_BODY_BYTES_KEPT} bytes")
            self.trace.body_bytes_kept += len(seen.body)
            if self.liveness is not None and via != STRAY_CATCHER:
                self.liveness.answered()  # whatever it sent, the target is not silent
            self.trace.add(seen)
            self._received.append(seen)
        return on_message

    def _shrink_handed_out(self) -> None:
        """Makes room in the test's body budget: the big bodies of messages earlier waits handed to the test (which
        judged them on the spot) keep only their first bytes. So the reply a wait is about to hand out is kept
        whole, as its checks need, even after several huge ones."""
        for seen in self._handed_out:
            if len(seen.body) > MAX_TRACE_BODY:
                before = len(seen.body)
                _shrink(seen)
                self.trace.body_bytes_kept -= before - len(seen.body)
        self._handed_out.clear()

    def overflow_note(self) -> str:
        return (f"{self.overflow} further messages received and not kept (sha256 of their bodies "
                f"{self._overflow_digest.hexdigest()[:16]}…)") if self.overflow else ""

    # -- publishing ----------------------------------------------------------------------------------------------

    def _remember(self, out: Outgoing) -> None:
        correlation_id = out.properties.get("correlation_id")
        if correlation_id is not None:
            self._sent_ids.add(correlation_id)
        self._sent_keys.add((correlation_id, out.routing_key))

    def sent_correlation_ids(self) -> set[str]:
        return set(self._sent_ids)

    def publish(self, out: Outgoing) -> Outgoing:
        self._remember(out)
        self.channel.basic_publish(out.exchange, out.routing_key, out.body, _basic_properties(out))
        self.sent.append(out)
        self.trace.add(Seen("sent", out.exchange, out.routing_key, dict(out.properties), out.headers, out.body))
        return out

    def is_routable(self, out: Outgoing) -> bool:
        """Publishes mandatory on a confirm channel: True when some queue took it, False when it came back."""
        if self._confirm_channel is None or not self._confirm_channel.is_open:
            self._confirm_channel = self.connection.channel()
            self._channels.append(self._confirm_channel)
            self._confirm_channel.confirm_delivery()
        self._remember(out)
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

    def settle(self) -> None:
        """Waits out what is left of the grace after a sentinel: the grace overlaps whatever the test did since,
        and a test that never looks at later arrivals does not pay it at all."""
        left = self._settle_until - time.monotonic()
        self._settle_until = 0.0
        if left > 0:
            self.pump(left)

    def wait_for(self, predicate: Callable[[Seen], bool], timeout: float, what: str = "an answer",
                 give_up: Callable[[], bool] | None = None) -> Seen | None:
        """The first message received that satisfies ``predicate``, waiting up to ``timeout`` seconds. A wait of at
        least ``ANSWER_WAIT`` that times out tells the session's liveness; once the target is unresponsive, waits
        are cut short so the test ends at once (its verdicts then read what was and was not observed)."""
        if self.liveness is not None and not self.liveness.responsive:
            timeout = min(timeout, UNRESPONSIVE_WAIT)
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for message in self._received[checked:]:
                if predicate(message):
                    if self.liveness is not None:
                        self.liveness.answered()
                    self._handed_out.append(message)
                    return message
            checked = len(self._received)
            if give_up is not None and give_up():
                return None
            if time.monotonic() >= deadline:
                self._unanswered(what, timeout)
                return None
            self.connection.process_data_events(time_limit=0.02)

    def _unanswered(self, what: str, timeout: float) -> None:
        if self.liveness is None or timeout < ANSWER_WAIT:
            return
        reason = self.liveness.timed_out(what, timeout)
        if reason is not None:
            self.trace.note(reason)
            if self.on_unresponsive is not None:
                self.on_unresponsive(reason)

    def wait_reply(self, correlation_id: str | None, timeout: float = REPLY_TIMEOUT,
                   requirement: str | tuple = "RPC-REPLY-9", what: str = "the request") -> Seen:
        """The reply carrying ``correlation_id``. When none comes, what did arrive is judged (a reply with another
        correlation id, one through the default exchange) and the test ends there."""
        reply = self._await_reply(correlation_id, timeout, what)
        if reply is None:
            self._judge_missing_reply(correlation_id, requirement, what, f"within {timeout:.0f} s")
        return reply

    def _await_reply(self, correlation_id: str | None, timeout: float, what: str) -> Seen | None:
        """The reply carrying ``correlation_id``, or None. Once a reply this peer never asked for reached its own
        queues, the target answers, under a wrong correlation id: the wait ends ``STRAY_GRACE`` later instead
        of running out its timeout (the caller judges the strays)."""
        stray_at: list[float] = []

        def answered(message: Seen) -> bool:
            if message.properties.get("correlation_id") == correlation_id:
                return True
            if not stray_at and self._is_stray(message):
                stray_at.append(time.monotonic())
            return False

        return self.wait_for(answered, timeout, what,
                             give_up=lambda: bool(stray_at) and time.monotonic() - stray_at[0] >= STRAY_GRACE)

    def _is_stray(self, message: Seen) -> bool:
        return (message.direction == "received" and message.via in ("reply queue", reply_checks.DEFAULT_CATCHER)
                and message.properties.get("correlation_id") not in self._sent_ids)

    def _judge_missing_reply(self, correlation_id: str | None, requirement: str | tuple, what: str,
                             when: str) -> None:
        requirement = requirement if isinstance(requirement, str) else requirement[0]
        known = {o.correlation_id for o in self.sent}
        strays = [m for m in self._received if m.direction == "received" and m.via in ("reply queue",
                  reply_checks.DEFAULT_CATCHER) and m.properties.get("correlation_id") not in known]
        if self.liveness is not None and not self.liveness.responsive and not strays:
            # The run ends here: the missing reply is the target's silence, said once, not judged per test.
            raise ObservationMissing(f"a reply to {what} ({self.liveness.reason})")
        self.evidence.apply(reply_checks.missing_reply(correlation_id, what, when, strays, requirement))
        raise ObservationMissing(f"a reply to {what}")

    def reply_before_sentinel(self, out: Outgoing, requirement: str | tuple, what: str) -> Seen:
        """The reply to ``out``, expected no later than a sentinel echo published after it (fast negative cases)."""
        served = self.sentinel("MAL-9", stop=False)
        reply = self.wait_for(lambda m: m.properties.get("correlation_id") == out.correlation_id, 0)
        if reply is None:
            self.settle()  # a reply published before the sentinel's may still be on its way
            reply = self.wait_for(lambda m: m.properties.get("correlation_id") == out.correlation_id, 0)
        if reply is None:
            self._judge_missing_reply(out.correlation_id, requirement, what,
                                      "before the reply to a later echo" if served else "within the sentinel's wait")
        return reply

    def replies_for(self, correlation_id: str | None) -> list[Seen]:
        return [m for m in self.received if m.properties.get("correlation_id") == correlation_id]

    def reply_count(self, correlation_id: str | None) -> int:
        """How many replies carried ``correlation_id``, those past the kit's cap included (a flood)."""
        kept = len(self.replies_for(correlation_id))
        return kept + (self.overflow if kept >= MAX_REPLIES_PER_CORRELATION else 0)

    def sentinel(self, requirement: str | tuple = "TESTEE-2", stop: bool = True) -> Seen | None:
        """An echo with a fresh token; its correct reply proves the target still serves and bounds earlier
        traffic. A missing or wrong reply is a finding under ``requirement`` and ends the test."""
        requirement = requirement if isinstance(requirement, str) else requirement[0]
        token = str(uuid.uuid4())
        out = self.request("echo", [token])
        reply = self._await_reply(out.correlation_id, REPLY_TIMEOUT, f"the sentinel echo({token})")
        if reply is None and self.liveness is not None and not self.liveness.responsive:
            raise ObservationMissing(f"a reply to the sentinel echo ({self.liveness.reason})")
        strays = [m for m in self._received if self._is_stray(m)] if reply is None else []
        if strays:
            # It answered under another correlation id: that is RPC-REPLY-2, not a target that stopped serving.
            self.evidence.apply(reply_checks.missing_reply(out.correlation_id, f"the sentinel echo({token})",
                                                           "", strays, requirement))
        else:
            self.evidence.apply(reply_checks.still_serving(reply, token, requirement))
        if stop:
            self.evidence.need(reply, f"a reply to the sentinel echo({token})")
        # Replies published before the sentinel's may still be in flight on another channel of the target: whoever
        # looks at what arrived next (``received``, ``replies_for``, a topology probe) first waits out this grace.
        self._settle_until = time.monotonic() + NO_REPLY_GRACE
        return reply

    # -- topology probes (each on a fresh channel: a refusal closes the channel) ---------------------------------

    def _on_fresh_channel(self, action: Callable[[Any], Any]) -> DeclareResult:
        self.settle()
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

    def delete_exchange(self, name: str) -> DeclareResult:
        """Deletes an exchange the kit made for a test alone (whatever is still bound to it goes with it)."""
        return self._on_fresh_channel(lambda ch: ch.exchange_delete(name))

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
        self._queues.append(name)
        for key in binding_keys:
            self.channel.queue_bind(name, exchange, routing_key=key)
        self.channel.basic_consume(name, self._collector(f"spy:{exchange}"))
        self.trace.note(f"spy queue on {exchange!r} bound with {binding_keys}")
        return name

    def close(self) -> None:
        if self.overflow:
            self.trace.note(self.overflow_note())
        # The test is over and nothing judges its messages any more, but a failed test's traceback may keep them
        # alive until the next failure: each keeps only its first bytes (with its size and digest) from now on.
        for seen in self._received:
            _shrink(seen)
        try:
            if self.owns_connection:
                if self.connection.is_open:
                    self.connection.close()
                return
            # On the session's connection the exclusive queues would outlive the test, but every one of them is
            # auto-delete and consumed on this peer's channel: closing the channel cancels the consumers, and the
            # broker deletes the queues with them.
            if self.connection.is_open:
                for ch in self._channels:
                    if ch.is_open:
                        ch.close()
        except pika.exceptions.AMQPError:
            pass
