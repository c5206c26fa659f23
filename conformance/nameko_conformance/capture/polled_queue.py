"""What the firehose and the spy queues share: a private queue polled with basic.get into a pending list.

Polling keeps the observer on the caller's thread (pika connections are not thread-safe), and the pending list
lets a caller wait for one message without losing the others it has not drained yet.
"""

from __future__ import annotations

import time

from .wire import WireMessage

POLL_INTERVAL = 0.02


class PolledQueue:
    """Base of the observers: subclasses set `_channel` and `queue` in `start()` and decode in `_decode()`."""

    queue: str
    _what = "observer"

    def __init__(self) -> None:
        self._connection = None
        self._channel = None
        self._pending: list[WireMessage] = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def _decode(self, method, properties, body) -> WireMessage:
        raise NotImplementedError

    def _fetch(self) -> int:
        """Move every message waiting in the queue into the pending list; return how many arrived."""
        if self._channel is None:
            raise RuntimeError(f"{self._what} not started")
        count = 0
        while True:
            method, properties, body = self._channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return count
            self._pending.append(self._decode(method, properties, body))
            count += 1

    def drain(self) -> list[WireMessage]:
        """The messages seen since the last drain, oldest first."""
        self._fetch()
        drained, self._pending = self._pending, []
        return drained

    def wait_for(self, predicate, timeout: float) -> WireMessage | None:
        """The first not yet drained message that satisfies `predicate`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            self._fetch()
            for message in self._pending[checked:]:
                if predicate(message):
                    return message
            checked = len(self._pending)
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL_INTERVAL)

    def wait_for_count(self, count: int, timeout: float) -> bool:
        """Wait up to `timeout` seconds until at least `count` messages are waiting to be drained."""
        deadline = time.monotonic() + timeout
        while True:
            self._fetch()
            if len(self._pending) >= count:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_INTERVAL)

    def wait_quiet(self, quiet_period: float, max_wait: float) -> None:
        """Return once no message has arrived for `quiet_period` seconds, or after `max_wait` seconds at most."""
        deadline = time.monotonic() + max_wait
        last_arrival = time.monotonic()
        while time.monotonic() < deadline:
            if self._fetch():
                last_arrival = time.monotonic()
            elif time.monotonic() - last_arrival >= quiet_period:
                return
            time.sleep(POLL_INTERVAL)
