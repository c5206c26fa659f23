"""The ``--target`` URI: broker, vhost and the kit's query parameters; masking of passwords for output."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pika

KIT_QUERY_KEYS = ("service", "rpc_exchange", "capabilities")
CAPABILITIES = ("server", "client", "events-dispatch", "events-handle", "unserializable")
# Any scheme: a password typed into an http:// or a misspelt URI is just as secret.
_USERINFO_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)([^@\s/]*)(@)")


def mask(text: str) -> str:
    """Replaces the password of every URI in ``text`` (amqp://, amqps://, or any other scheme) with ``***``."""
    return _USERINFO_PASSWORD.sub(r"\1***\3", text)


@dataclass(frozen=True)
class Target:
    broker_uri: str  # without the kit's query keys
    service: str = "conformance"
    rpc_exchange: str = "nameko-rpc"
    capabilities: frozenset[str] = field(default_factory=lambda: frozenset(CAPABILITIES))

    @property
    def password(self) -> str | None:
        return urlsplit(self.broker_uri).password

    def connection_parameters(self) -> pika.URLParameters:
        return pika.URLParameters(self.broker_uri)

    @property
    def masked(self) -> str:
        return mask(self.uri)

    @property
    def uri(self) -> str:
        parts = urlsplit(self.broker_uri)
        query = parse_qsl(parts.query) + [("service", self.service)]
        if self.rpc_exchange != "nameko-rpc":
            query.append(("rpc_exchange", self.rpc_exchange))
        if set(self.capabilities) != set(CAPABILITIES):
            query.append(("capabilities", ",".join(sorted(self.capabilities))))
        return urlunsplit(parts._replace(query=urlencode(query, safe="/,")))


def parse_capabilities(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset(CAPABILITIES)
    chosen = {c.strip() for c in text.split(",") if c.strip()}
    unknown = chosen - set(CAPABILITIES)
    if unknown:
        raise ValueError(f"unknown capabilities {sorted(unknown)}; known: {', '.join(CAPABILITIES)}")
    return frozenset(chosen)


def parse_target(uri: str, capabilities: str | None = None) -> Target:
    parts = urlsplit(uri)
    if parts.scheme not in ("amqp", "amqps"):
        raise ValueError(f"a target URI starts with amqp:// or amqps://, got {mask(uri)!r}")
    kit = {k: v for k, v in parse_qsl(parts.query) if k in KIT_QUERY_KEYS}
    broker_query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k not in KIT_QUERY_KEYS])
    broker_uri = urlunsplit(parts._replace(query=broker_query))
    return Target(
        broker_uri=broker_uri,
        service=kit.get("service", "conformance"),
        rpc_exchange=kit.get("rpc_exchange", "nameko-rpc"),
        capabilities=parse_capabilities(capabilities or kit.get("capabilities")),
    )
