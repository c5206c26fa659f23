"""The broker resolution ladder: explicit URI → the target's broker → local default → Docker → private node."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from typing import Any, Callable

import pika
import pika.exceptions

from nameko_conformance.outcomes import KitFault
from nameko_conformance.uri import mask

LOCAL_DEFAULT = "amqp://guest:guest@127.0.0.1:5672/%2F"
ENV_URI = "NAMEKO_CONFORMANCE_AMQP_URI"


@dataclass
class Broker:
    uri: str
    provider: str  # explicit | target | local | testcontainers | private-node
    version: str = "unknown"
    tried: list[str] = field(default_factory=list)
    node: Any = None  # a PrivateNode or container the kit owns and stops
    stop: Callable[[], None] | None = None


def handshake(uri: str, timeout: float = 2.0) -> str | None:
    """The broker's version when a real AMQP handshake succeeds, else None."""
    params = pika.URLParameters(uri)
    params.socket_timeout = timeout
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    try:
        with socket.create_connection((params.host, params.port), timeout=timeout):
            pass
        connection = pika.BlockingConnection(params)
    except (OSError, pika.exceptions.AMQPError):
        return None
    version = connection._impl.server_properties.get("version", b"unknown")
    connection.close()
    return version.decode() if isinstance(version, bytes) else str(version)


def _testcontainers() -> Broker | None:
    try:
        import docker  # type: ignore
        from testcontainers.rabbitmq import RabbitMqContainer  # type: ignore
    except ImportError:
        return None
    try:
        docker.from_env(timeout=2).ping()
    except Exception:  # any failure means "no engine"
        return None
    container = RabbitMqContainer("rabbitmq:3.10")
    container.start()
    params = container.get_connection_params()
    uri = f"amqp://guest:guest@{params.host}:{params.port}/%2F"
    return Broker(uri, "testcontainers", stop=container.stop)


def private_node_broker() -> Broker | None:
    try:
        from nameko_conformance.capture.private_node import PrivateNode
    except ImportError:
        return None
    if not PrivateNode.available():
        return None
    node = PrivateNode()
    node.start()
    return Broker(node.amqp_url, "private-node", version=str(getattr(node, "version", "unknown")), node=node,
                  stop=node.stop)


def resolve(explicit: str | None, target_broker: str | None, allow_start: bool = True,
            force_private: bool = False) -> Broker:
    tried: list[str] = []
    if force_private:
        broker = private_node_broker()
        if broker is None:
            raise KitFault("--broker private: no rabbitmq-server binary found (install the rabbitmq-server package)")
        broker.version = handshake(broker.uri) or broker.version
        return broker
    explicit = explicit or os.environ.get(ENV_URI)
    for uri, provider in ((explicit, "explicit"), (target_broker, "target")):
        if uri:
            version = handshake(uri, timeout=5)
            if version is None:
                raise KitFault(f"the broker {mask(uri)} ({provider}) does not answer an AMQP handshake")
            return Broker(uri, provider, version, tried)
    tried.append(f"--amqp-uri / ${ENV_URI}: not given")
    version = handshake(LOCAL_DEFAULT)
    if version is not None:
        return Broker(LOCAL_DEFAULT, "local", version, tried)
    tried.append(f"local default {mask(LOCAL_DEFAULT)}: no AMQP handshake")
    if allow_start:
        for rung, start in (("testcontainers (Docker)", _testcontainers), ("private node", private_node_broker)):
            try:
                broker = start()
            except Exception as exc:  # a rung that breaks is reported, and the ladder goes on
                tried.append(f"{rung}: failed ({exc!r})")
                continue
            if broker is None:
                tried.append(f"{rung}: not available")
                continue
            broker.version = handshake(broker.uri) or broker.version
            broker.tried = tried
            return broker
    raise KitFault(
        "no RabbitMQ broker found. Tried:\n  " + "\n  ".join(tried)
        + "\nFix: start RabbitMQ on 127.0.0.1:5672, or pass --amqp-uri amqp://user:pass@host:5672/%2F, or install"
          " the 'docker' extra with a running Docker engine, or the rabbitmq-server package."
    )
