"""What the broker says about a client's reply queue while the client waits on it (RPC-CORR-4, -5, -6).

The queue is found by the name the broker routed a reply to (the firehose; the caller passes it as ``known``), else
by the name RPC-CORR-4 recommends under each client name the kit can guess, else by the bindings in the broker's
own list (``queue_list``): the queue bound to the RPC exchange with the client's ``reply_to``, whatever it is
called. Its flags come from equivalent re-declares (a declare with exactly the queue's flags succeeds, any other is
refused with 406 without changing the queue), else from the broker's own list (any arguments).
``find`` does no I/O of its own: the caller gives it a ``declare`` (on the probe's connection, or a test's peer);
``oracle.client.reply_queue`` judges what it saw.
"""

from __future__ import annotations

from typing import Any, Callable

import pika
import pika.exceptions

from nameko_conformance.oracle import names
from nameko_conformance.oracle.client import REPLY_QUEUE_FLAGS, ReplyQueueView

RESOURCE_LOCKED = 405

# declare(name, passive=False, durable=..., auto_delete=..., arguments=...) -> None when accepted, else reply code
Declare = Callable[..., "int | None"]


def find(reply_to: str, guessed: tuple[str, ...], declare: Declare, lister: Any = None,
         rpc_exchange: str | None = None, own_binding: tuple[str, str] | None = None,
         known: str | None = None) -> ReplyQueueView:
    # Declares cost a round trip; the broker's lists (rabbitmqctl) half a second each: they are read only when the
    # declares cannot find the queue or identify its flags.
    view = _by_declares((known,) if known else guessed, declare)
    if view.name is not None and (view.exclusive or view.flags is not None):
        return view
    if lister is None or own_binding is None:
        return view
    candidates = (view.name,) if view.name else ()
    if not known and view.name is None:
        candidates = tuple(lister.bound_queues(rpc_exchange, reply_to, own_binding) or ())
    listed = lister.flags(own_binding[0]) if candidates else None
    for name in candidates:
        if listed is not None and name in listed:
            return _from_listing(name, candidates, listed[name])
    return view if view.name is not None or not candidates else _by_declares(candidates, declare)


def _by_declares(candidates: tuple[str, ...], declare: Declare) -> ReplyQueueView:
    for name in candidates:
        code = declare(name, passive=True)
        if code == RESOURCE_LOCKED:
            return ReplyQueueView(name, candidates, exclusive=True)
        if code is None:
            for durable, auto_delete, arguments in REPLY_QUEUE_FLAGS:
                if declare(name, durable=durable, auto_delete=auto_delete, arguments=arguments) is None:
                    return ReplyQueueView(name, candidates, flags=(durable, auto_delete, arguments))
            return ReplyQueueView(name, candidates)
    return ReplyQueueView(None, candidates)


def _from_listing(name: str, candidates: tuple[str, ...], info: dict) -> ReplyQueueView:
    if info.get("exclusive"):
        return ReplyQueueView(name, candidates, exclusive=True)
    return ReplyQueueView(name, candidates, flags=(bool(info.get("durable")), bool(info.get("auto_delete")),
                                                   info.get("arguments") or None))


def inspect(amqp_uri: str, reply_to: str, client_names: list[str], lister: Any = None,
            rpc_exchange: str | None = None, own_binding: tuple[str, str] | None = None) -> ReplyQueueView:
    """``find`` on a connection of its own (it runs on the probe's thread, before the probe replies, so the client is
    alive and waiting)."""
    guessed = tuple(names.reply_queue(name, reply_to) for name in client_names)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    except pika.exceptions.AMQPError as exc:
        return ReplyQueueView(None, guessed, error=repr(exc))
    try:
        return find(reply_to, guessed, lambda name, **flags: _declare(connection, name, **flags), lister,
                    rpc_exchange, own_binding)
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
