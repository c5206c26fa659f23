"""What the broker says about a client's reply queue while the client waits on it (RPC-CORR-4, -5, -6).

The kit has no management API, so it finds the queue by the name RPC-CORR-4 recommends, under each client name
it can guess, and learns the flags by equivalent re-declares: a declare with exactly the queue's flags succeeds,
any other is refused (406) without changing the queue. `inspect` does the I/O on its own connection (it runs on
the probe's thread, before the probe replies, so the client is alive and waiting); `oracle.client.reply_queue`
judges what it saw.
"""

from __future__ import annotations

import pika
import pika.exceptions

from nameko_conformance.oracle import names
from nameko_conformance.oracle.client import REPLY_QUEUE_FLAGS, ReplyQueueView

RESOURCE_LOCKED = 405


def inspect(amqp_uri: str, reply_to: str, client_names: list[str]) -> ReplyQueueView:
    candidates = tuple(names.reply_queue(name, reply_to) for name in client_names)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    except pika.exceptions.AMQPError as exc:
        return ReplyQueueView(None, candidates, error=repr(exc))
    try:
        for name in candidates:
            code = _declare(connection, name, passive=True)
            if code == RESOURCE_LOCKED:
                return ReplyQueueView(name, candidates, exclusive=True)
            if code is None:
                for durable, auto_delete, arguments in REPLY_QUEUE_FLAGS:
                    if _declare(connection, name, durable=durable, auto_delete=auto_delete,
                                arguments=arguments) is None:
                        return ReplyQueueView(name, candidates, flags=(durable, auto_delete, arguments))
                return ReplyQueueView(name, candidates)
        return ReplyQueueView(None, candidates)
    finally:
        try:
            connection.close()
        except pika.exceptions.AMQPError:
            pass


def _declare(connection, name: str, passive: bool = False, **flags) -> int | None:
    """None when the broker accepts the declare, else its reply code."""
    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=passive, **flags)
    except pika.exceptions.ChannelClosedByBroker as exc:
        return exc.reply_code
    channel.close()
    return None
