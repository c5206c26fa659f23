"""The broker resolution ladder: explicit URI → the target's broker → local default → Docker → private node.

``probe`` tells why a broker cannot be used (nothing listening, no AMQP handshake, a refused login, a refused
vhost), so a mistake gets one message that names it. ``prepare`` resolves once before any test runs and hands
the result to the next ``resolve`` with the same arguments (the session's), so the ladder never runs twice.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

import pika
import pika.exceptions

from nameko_conformance import progress
from nameko_conformance.outcomes import KitFault
from nameko_conformance.uri import mask

LOCAL_DEFAULT = "amqp://guest:guest@127.0.0.1:5672/%2F"
ENV_URI = "NAMEKO_CONFORMANCE_AMQP_URI"
TESTCONTAINERS_IMAGE = "rabbitmq:3.10"


@dataclass
class Broker:
    uri: str
    provider: str  # explicit | target | local | testcontainers | private-node
    version: str = "unknown"
    tried: list[str] = field(default_factory=list)
    node: Any = None  # a PrivateNode or container the kit owns and stops
    stop: Callable[[], None] | None = None

    @property
    def description(self) -> str:
        return f"{self.provider} RabbitMQ {self.version} at {mask(self.uri)}"


class BrokerRefused(KitFault):
    """The broker answered but refused the connection: a wrong user name or password, or a refused vhost."""


@dataclass(frozen=True)
class Probe:
    version: str | None  # the broker's version when the handshake completed
    problem: str = ""    # why it did not, in a few words
    refused: bool = False  # the broker answered and refused the login or the vhost


def probe(uri: str, timeout: float = 2.0) -> Probe:
    """Tries a real AMQP handshake and says how it went."""
    params = pika.URLParameters(uri)
    params.socket_timeout = timeout
    params.blocked_connection_timeout = timeout
    params.connection_attempts = 1
    where = f"{params.host}:{params.port}"
    try:
        with socket.create_connection((params.host, params.port), timeout=timeout):
            pass
    except OSError as exc:
        return Probe(None, f"nothing accepts connections at {where} ({exc.strerror or exc})")
    try:
        connection = pika.BlockingConnection(params)
    except pika.exceptions.ProbableAuthenticationError:
        user = unquote(urlsplit(uri).username or "guest")
        return Probe(None, f"the broker at {where} refused the login of user {user!r} (ACCESS_REFUSED): "
                           f"wrong user name or password", refused=True)
    except pika.exceptions.ProbableAccessDeniedError as exc:
        return Probe(None, f"the broker at {where} refused the virtual host {params.virtual_host!r} "
                           f"({_broker_reason(exc)})", refused=True)
    except pika.exceptions.AMQPError as exc:
        return Probe(None, f"{where} accepts TCP connections but gives no AMQP handshake ({type(exc).__name__})")
    version = connection._impl.server_properties.get("version", b"unknown")
    connection.close()
    return Probe(version.decode() if isinstance(version, bytes) else str(version))


def _broker_reason(exc: BaseException) -> str:
    """The broker's own words from a pika connection error, e.g. "NOT_ALLOWED - vhost x not found"."""
    text = str(exc)
    start, end = text.find("'"), text.rfind("'")
    return text[start + 1:end] if 0 <= start < end else text


def handshake(uri: str, timeout: float = 2.0) -> str | None:
    """The broker's version when a real AMQP handshake succeeds, else None."""
    return probe(uri, timeout).version


def testcontainers_rung() -> tuple[Broker | None, str]:
    """A RabbitMQ container, or None and which of "package missing" / "no engine" stopped it."""
    with warnings.catch_warnings():
        # testcontainers 4 warns about its own deprecated decorators on import and start; the warnings are
        # about its internals, not about anything the user can change.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import docker  # type: ignore
            from testcontainers.rabbitmq import RabbitMqContainer  # type: ignore
        except ImportError:
            return None, "package missing (testcontainers is not installed: pip install 'nameko-wire-kit[docker]')"
        try:
            docker.from_env(timeout=2).ping()
        except Exception as exc:  # any failure here means no engine answers
            return None, f"no engine (the Docker engine does not answer: {type(exc).__name__})"
        progress.note(f"starting a RabbitMQ container ({TESTCONTAINERS_IMAGE}) …")
        container = RabbitMqContainer(TESTCONTAINERS_IMAGE)
        container.start()
    params = container.get_connection_params()
    uri = f"amqp://guest:guest@{params.host}:{params.port}/%2F"
    return Broker(uri, "testcontainers", stop=container.stop), ""


def private_node_rung() -> tuple[Broker | None, str]:
    from nameko_conformance.capture.private_node import PrivateNode

    if not PrivateNode.available():
        return None, "no rabbitmq-server binary found (install the rabbitmq-server package)"
    node = PrivateNode()
    progress.note("starting a private RabbitMQ node (about 5 s) …")
    started = time.monotonic()
    node.start()
    progress.note(f"private RabbitMQ {node.version} node {node.nodename} ready in {time.monotonic() - started:.1f}s")
    return Broker(node.amqp_url, "private-node", version=str(node.version or "unknown"), node=node,
                  stop=node.stop), ""


def private_node_broker() -> Broker | None:
    return private_node_rung()[0]


_prepared: dict[tuple, Broker] = {}


def prepare(explicit: str | None, target_broker: str | None, allow_start: bool = True,
            force_private: bool = False) -> Broker:
    """Resolves now and keeps the broker for the next ``resolve`` with the same arguments."""
    key = _key(explicit, target_broker, allow_start, force_private)
    if key not in _prepared:
        _prepared[key] = resolve(explicit, target_broker, allow_start, force_private)
    return _prepared[key]


def release_prepared() -> None:
    """Stops what ``prepare`` started and nobody took (e.g. every test was deselected)."""
    while _prepared:
        _, broker = _prepared.popitem()
        if broker.stop is not None:
            broker.stop()


def _key(explicit, target_broker, allow_start, force_private) -> tuple:
    return (explicit or os.environ.get(ENV_URI), target_broker, allow_start, force_private)


def resolve(explicit: str | None, target_broker: str | None, allow_start: bool = True,
            force_private: bool = False) -> Broker:
    prepared = _prepared.pop(_key(explicit, target_broker, allow_start, force_private), None)
    if prepared is not None:
        return prepared
    tried: list[str] = []
    if force_private:
        broker, problem = private_node_rung()
        if broker is None:
            raise KitFault(f"--broker private: {problem}")
        broker.version = handshake(broker.uri) or broker.version
        return broker
    explicit = explicit or os.environ.get(ENV_URI)
    for uri, provider in ((explicit, "explicit"), (target_broker, "target")):
        if uri:
            result = probe(uri, timeout=5)
            if result.version is None:
                given = "--amqp-uri / $" + ENV_URI if provider == "explicit" else "the --target URI"
                fault = BrokerRefused if result.refused else KitFault
                raise fault(f"the broker {mask(uri)} ({given}) cannot be used: {result.problem}")
            return Broker(uri, provider, result.version, tried)
    tried.append(f"--amqp-uri / ${ENV_URI}: not given")
    local = probe(LOCAL_DEFAULT)
    if local.version is not None:
        return Broker(LOCAL_DEFAULT, "local", local.version, tried)
    tried.append(f"local default {mask(LOCAL_DEFAULT)}: {local.problem}")
    if allow_start:
        for rung, start in (("testcontainers (Docker)", testcontainers_rung), ("private node", private_node_rung)):
            try:
                broker, problem = start()
            except Exception as exc:  # a rung that breaks is reported, and the ladder goes on
                tried.append(f"{rung}: failed ({mask(repr(exc))})")
                continue
            if broker is None:
                tried.append(f"{rung}: {problem}")
                continue
            broker.version = handshake(broker.uri) or broker.version
            broker.tried = tried
            return broker
    raise KitFault(
        "no RabbitMQ broker found. Tried:\n  " + "\n  ".join(tried)
        + "\nFix: start RabbitMQ on 127.0.0.1:5672, or pass --amqp-uri amqp://user:pass@host:5672/%2F, or install"
          " the 'docker' extra with a running Docker engine, or the rabbitmq-server package."
    )
