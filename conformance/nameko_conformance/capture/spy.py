"""Narrowly bound observer queues for brokers the kit does not own (no firehose there).

A spy queue is exclusive and auto-delete with a unique name, so the broker removes it with the spy's connection.
Its bindings are exact: a wildcard key on the RPC exchange would make unknown services routable and defeat the
`mandatory` return that clients rely on (TOPO-7), so such keys are refused.
"""

from __future__ import annotations

import uuid

import pika

from .polled_queue import PolledQueue
from .wire import DEFAULT_RPC_EXCHANGE, WireMessage, infer_role


class UnsafeBindingError(ValueError):
    pass


def check_binding_keys(exchange: str, binding_keys, rpc_exchange: str = DEFAULT_RPC_EXCHANGE) -> None:
    """Raise UnsafeBindingError for a key that would change routing for others."""
    if not binding_keys:
        raise UnsafeBindingError("a spy queue needs at least one binding key")
    for key in binding_keys:
        if key == "#":
            raise UnsafeBindingError(f"binding key '#' on {exchange!r} would capture everything; bind exact keys")
        if exchange == rpc_exchange and ("#" in key or "*" in key):
            raise UnsafeBindingError(
                f"wildcard binding key {key!r} on the RPC exchange {exchange!r} would make unknown services "
                "routable (TOPO-7); bind the exact reply_to or S.m keys instead")


def connection_parameters(connection_params) -> pika.connection.Parameters:
    if isinstance(connection_params, str):
        params = pika.URLParameters(connection_params)
    else:
        params = connection_params
    return params


class SpyQueue(PolledQueue):
    """An exclusive auto-delete queue bound with exact keys; a context manager."""

    _what = "spy queue"

    def __init__(self, connection_params, exchange: str, binding_keys: list[str], *,
                 rpc_exchange: str = DEFAULT_RPC_EXCHANGE, name_prefix: str = "nameko-kit-spy"):
        super().__init__()
        check_binding_keys(exchange, binding_keys, rpc_exchange)
        self.params = connection_parameters(connection_params)
        self.exchange = exchange
        self.binding_keys = list(binding_keys)
        self.rpc_exchange = rpc_exchange
        self.queue = f"{name_prefix}-{uuid.uuid4().hex[:12]}"

    def start(self) -> "SpyQueue":
        self._connection = pika.BlockingConnection(self.params)
        try:
            self._channel = self._connection.channel()
            self._channel.queue_declare(self.queue, exclusive=True, auto_delete=True)
            for key in self.binding_keys:
                self._channel.queue_bind(self.queue, self.exchange, key)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            channel = connection.channel()
            channel.queue_delete(self.queue)
            connection.close()

    def _decode(self, method, properties, body) -> WireMessage:
        role = infer_role(method.exchange, method.routing_key, self.rpc_exchange)
        return WireMessage.from_pika(method, properties, body, role=role)
