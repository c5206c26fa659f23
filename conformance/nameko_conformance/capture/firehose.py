"""RabbitMQ's firehose tracer on a node the kit owns: every publish on a vhost, routable or not, with the queues
it reached, and without adding a single binding to the exchanges under observation (so routing, and with it
`mandatory` returns, stays exactly as it was; TOPO-7).

The broker republishes each publish to `amq.rabbitmq.trace` with the routing key `publish.<exchange>`, the
original body, and headers `exchange_name`, `routing_keys`, `properties` (which holds the original `headers`
table) and `routed_queues`. `decode_trace` turns that into a `WireMessage`.
"""

from __future__ import annotations

import uuid

import pika

from .polled_queue import PolledQueue
from .wire import BASIC_PROPERTY_NAMES, DEFAULT_RPC_EXCHANGE, WireMessage, infer_role, jsonable, jsonable_key

TRACE_EXCHANGE = "amq.rabbitmq.trace"
PUBLISH_TRACE_KEY = "publish.#"


class TraceDecodeError(ValueError):
    pass


def decode_trace(trace_headers: dict, body: bytes, *, rpc_exchange: str = DEFAULT_RPC_EXCHANGE) -> WireMessage:
    """The original publish described by one firehose trace delivery (its headers table and body)."""
    try:
        # Names are AMQP short strings; one that is not UTF-8 (a hostile publisher's) is kept as text with its
        # bad bytes escaped, so every name stays a str.
        exchange = jsonable_key(trace_headers["exchange_name"])
        routing_keys = [jsonable_key(key) for key in trace_headers["routing_keys"]]
        original = trace_headers.get("properties") or {}
    except (KeyError, TypeError) as error:
        raise TraceDecodeError(f"not a firehose publish trace: {trace_headers!r}") from error
    if not routing_keys:
        raise TraceDecodeError(f"trace without routing keys: {trace_headers!r}")
    # routing_keys holds the publish's routing key first, then any CC/BCC keys; the publish itself used the first.
    routing_key = routing_keys[0]
    properties = {name: jsonable(original[name]) for name in BASIC_PROPERTY_NAMES if name in original}
    headers = original.get("headers")
    routed = trace_headers.get("routed_queues")
    return WireMessage(
        exchange=exchange,
        routing_key=routing_key,
        properties=properties,
        headers=None if headers is None else jsonable(headers),
        body=bytes(body),
        routed_queues=None if routed is None else tuple(jsonable(queue) for queue in routed),
        role=infer_role(exchange, routing_key, rpc_exchange),
    )


class Firehose(PolledQueue):
    """Observes every publish on one vhost of a node the kit owns; a context manager (trace_on … trace_off)."""

    _what = "firehose"

    def __init__(self, node, vhost="/", *, rpc_exchange: str = DEFAULT_RPC_EXCHANGE):
        super().__init__()
        self.node = node
        self.vhost = vhost
        self.rpc_exchange = rpc_exchange
        self.queue = f"nameko-kit-firehose-{uuid.uuid4().hex[:12]}"

    def start(self) -> "Firehose":
        self.node.ctl("trace_on", "-p", self.vhost)
        params = pika.URLParameters(self.node.url_for_vhost(self.vhost))
        # The observer may sit idle while a scenario runs; no heartbeats, so the broker never drops it.
        params.heartbeat = 0
        self._connection = pika.BlockingConnection(params)
        self._channel = self._connection.channel()
        self._channel.queue_declare(self.queue, exclusive=True, auto_delete=True)
        self._channel.queue_bind(self.queue, TRACE_EXCHANGE, PUBLISH_TRACE_KEY)
        return self

    def stop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            connection.close()
        if getattr(self.node, "running", True):
            self.node.ctl("trace_off", "-p", self.vhost)

    def _decode(self, method, properties, body) -> WireMessage:
        return decode_trace(properties.headers or {}, body, rpc_exchange=self.rpc_exchange)
