"""A lean AMQP link for fuzzing: one connection, one reply queue, replies looked up by correlation id.

The suite's ``KitPeer`` keeps every message of a test for its trace; a fuzz run sends thousands, so this link
keeps only the replies not yet taken and a short history of the last messages for failure reports.

Like the suite's peers, it also holds a queue named like its reply_to: a reply the target publishes to the default
exchange lands there (marked ``DEFAULT_CATCHER``) instead of vanishing, so the oracle charges it to RPC-REPLY-1.
"""

from __future__ import annotations

import time
import uuid
from collections import deque
from typing import Callable

import pika
import pika.exceptions

from nameko_conformance.amqp import _basic_properties, connect, seen_from_delivery
from nameko_conformance.messages import MessageFactory, Outgoing
from nameko_conformance.oracle.reply import DEFAULT_CATCHER
from nameko_conformance.trace import Seen

HISTORY = 12
REPLY_QUEUE = "fuzz reply queue"
MAX_KEPT_REPLIES = 1000  # replies never taken (wrong correlation ids) are kept up to this many, oldest dropped


class FuzzLink:
    def __init__(self, params: pika.ConnectionParameters, rpc_exchange: str, service: str):
        self.rpc_exchange, self.service = rpc_exchange, service
        self.connection = connect(params)
        self.channel = self.connection.channel()
        self.channel.exchange_declare(rpc_exchange, "topic", durable=True)
        self.reply_key = str(uuid.uuid4())
        queue = f"conformance-kit.fuzz-{self.reply_key}"
        self.channel.queue_declare(queue, exclusive=True, auto_delete=True)
        self.channel.queue_bind(queue, rpc_exchange, routing_key=self.reply_key)
        self.channel.basic_consume(queue, self._collector(REPLY_QUEUE), auto_ack=True)
        self.channel.queue_declare(self.reply_key, exclusive=True, auto_delete=True)  # the default exchange's key
        self.channel.basic_consume(self.reply_key, self._collector(DEFAULT_CATCHER), auto_ack=True)
        self.factory = MessageFactory(service, rpc_exchange, self.reply_key)
        self.history: deque[Seen] = deque(maxlen=HISTORY)
        self._replies: dict[str | None, Seen] = {}
        self.sent_ids: set[str | None] = set()  # every correlation id sent: a reply carrying none of them is a stray

    def _collector(self, via: str):
        def collect(channel, method, properties, body) -> None:
            seen = seen_from_delivery("received", method, properties, body, via)
            if len(self._replies) >= MAX_KEPT_REPLIES:
                self._replies.pop(next(iter(self._replies)))
            self._replies.setdefault(seen.properties.get("correlation_id"), seen)
            self.history.append(seen)
        return collect

    def send(self, out: Outgoing) -> Outgoing:
        self.channel.basic_publish(out.exchange, out.routing_key, out.body, _basic_properties(out))
        self.sent_ids.add(out.properties.get("correlation_id"))
        self.history.append(Seen("sent", out.exchange, out.routing_key, dict(out.properties), out.headers, out.body))
        return out

    def take(self, correlation_id: str | None, timeout: float) -> Seen | None:
        """The reply carrying ``correlation_id``, waiting up to ``timeout`` seconds; None when none came."""
        deadline = time.monotonic() + timeout
        while correlation_id not in self._replies:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.connection.process_data_events(time_limit=min(left, 0.05))
        return self._replies.pop(correlation_id)

    def has_reply(self, correlation_id: str | None) -> bool:
        return correlation_id in self._replies

    def pop_reply(self, correlation_id: str | None) -> Seen | None:
        return self._replies.pop(correlation_id, None)

    def wait_until(self, settled: Callable[[], bool], timeout: float) -> bool:
        """Dispatches replies until ``settled()`` holds or ``timeout`` seconds passed; returns ``settled()``."""
        deadline = time.monotonic() + timeout
        while not settled():
            left = deadline - time.monotonic()
            if left <= 0:
                return settled()
            self.connection.process_data_events(time_limit=min(left, 0.05))
        return True

    def drain(self, seconds: float) -> None:
        self.connection.process_data_events(time_limit=seconds)

    def take_strays(self, known: set) -> list[Seen]:
        """Takes the replies whose correlation id is none of ``known``: replies with a correlation id the kit never
        sent (RPC-REPLY-2)."""
        stray_ids = [correlation_id for correlation_id in self._replies if correlation_id not in known]
        return [self._replies.pop(correlation_id) for correlation_id in stray_ids]

    def forget_replies(self) -> None:
        self._replies.clear()

    def close(self) -> None:
        try:
            if self.connection.is_open:
                self.connection.close()
        except pika.exceptions.AMQPError:
            pass
