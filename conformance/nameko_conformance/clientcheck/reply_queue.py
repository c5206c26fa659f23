"""What the broker says about a client's reply queue while the client waits on it (RPC-CORR-4, -5, -6).

The kit has no management API, so it finds the queue by the name RPC-CORR-4 recommends, under each client name
it can guess, and learns the flags by equivalent re-declares: a declare with exactly the queue's flags succeeds,
any other is refused (406) without changing the queue. `inspect` does the I/O on its own connection (it runs on
the probe's thread, before the probe replies, so the client is alive and waiting); `judge` is pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import pika
import pika.exceptions

SPEC_ARGUMENTS = {"x-expires": 300000}
RESOURCE_LOCKED = 405
# Flag sets tried after the recommended one, most likely first; each is (durable, auto_delete, arguments).
OTHER_FLAGS = ((True, False, None), (False, False, SPEC_ARGUMENTS), (False, False, None), (True, True, None),
               (False, True, None), (True, True, SPEC_ARGUMENTS), (False, True, SPEC_ARGUMENTS))


@dataclass(frozen=True)
class ReplyQueueView:
    name: str | None                 # the queue found, None when no candidate name exists
    candidates: tuple[str, ...]
    exclusive: bool = False          # the broker refused a passive declare with 405: exclusive to the client
    flags: tuple | None = None       # (durable, auto_delete, arguments) when identified
    error: str | None = None


def inspect(amqp_uri: str, reply_to: str, client_names: list[str]) -> ReplyQueueView:
    candidates = tuple(f"rpc.reply-{name}-{reply_to}" for name in client_names)
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
                for durable, auto_delete, arguments in ((True, False, SPEC_ARGUMENTS),) + OTHER_FLAGS:
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


def judge(view: ReplyQueueView) -> tuple[list[tuple[str, str]], str | None]:
    """(failures as (requirement, explanation), reason it is inconclusive or None)."""
    if view.name is None:
        reason = (f"no queue under the recommended names {list(view.candidates)}"
                  + (f" ({view.error})" if view.error else "") + "; the reply queue's flags are not observable")
        return [], reason
    if view.exclusive:
        return [("RPC-CORR-5", f"expected {view.name} durable, not exclusive, x-expires 300000; saw it exclusive to "
                               f"the client's connection")], None
    if view.flags is None:
        return [], f"{view.name} has flags the kit cannot identify without the management API"
    durable, auto_delete, arguments = view.flags
    failures = []
    if (durable, auto_delete, arguments) != (True, False, SPEC_ARGUMENTS):
        failures.append(("RPC-CORR-5", f"expected {view.name} durable, not auto-delete, x-expires 300000; saw "
                                       f"durable={durable} auto_delete={auto_delete} arguments={arguments}"))
    if not auto_delete and not arguments:
        failures.insert(0, ("RPC-CORR-6", f"expected {view.name} removed when the client goes (x-expires, "
                                          f"auto-delete or exclusive), saw durable={durable} with none of them"))
    return failures, None
