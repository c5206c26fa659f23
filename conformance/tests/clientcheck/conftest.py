"""Live fixtures for the client checks: a unique RPC exchange and probe services on the shared broker.

Every test gets its own exchange `nameko-rpc-cc-<hex>`, so no other service's binding can make an unknown
service routable, and nothing here touches the shared `nameko-rpc`. Teardown deletes the exchange, the probe
queues and the reply queues the clients left behind (nameko's expire only after 5 minutes).
"""

import os
import sys
import uuid
from pathlib import Path

import pika
import pytest

from nameko_conformance.clientcheck.probe_service import ProbeService

DRIVERS = Path(__file__).resolve().parents[2] / "drivers"
LEAK_GUARD_ARGUMENTS = {"x-expires": 120000}   # a crashed run leaves no probe queue behind for long
REPLY_QUEUE_PATTERNS = ("rpc.reply-standalone_rpc_proxy-{}", "rpc.reply-standalone_rpc_client-{}")


def driver_command(name: str, *options: str) -> str:
    return " ".join([sys.executable, str(DRIVERS / name), *options])


@pytest.fixture(scope="session")
def amqp_uri():
    uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F")
    try:
        pika.BlockingConnection(pika.URLParameters(uri)).close()
    except pika.exceptions.AMQPError as exc:
        pytest.fail(f"the client checks need a RabbitMQ broker at {uri}: {exc!r}")
    return uri


@pytest.fixture
def rpc_exchange(amqp_uri):
    name = f"nameko-rpc-cc-{uuid.uuid4().hex[:12]}"
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    connection.channel().exchange_declare(name, exchange_type="topic", durable=True)
    connection.close()
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    connection.channel().exchange_delete(name)
    connection.close()


@pytest.fixture
def start_probe(amqp_uri, rpc_exchange):
    """Start a probe service with a unique name; it and the reply queues its callers declared are removed."""
    probes = []

    def start(**options):
        service = options.pop("service", f"probe_{uuid.uuid4().hex[:10]}")
        probe = ProbeService(amqp_uri, service, exchange=rpc_exchange, queue_arguments=LEAK_GUARD_ARGUMENTS,
                             **options)
        probes.append(probe)
        return probe.start()

    yield start
    reply_keys = set()
    for probe in probes:
        probe.stop()
        reply_keys |= {request.wire.properties.get("reply_to") for request in probe.requests}
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    for key in reply_keys - {None}:
        for pattern in REPLY_QUEUE_PATTERNS:
            channel.queue_delete(pattern.format(key))
    connection.close()
