"""The runner on the shared broker: it stops cleanly even when its queues vanished beneath it."""

import os
import threading
import uuid

import pika
import pytest

from nameko_reference import ServiceRunner, rpc

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F")


def make_service(name):
    class Service:
        @rpc
        def ping(self):
            return "pong"

    Service.name = name
    return Service


@pytest.fixture
def service_name():
    name = f"ref_live_{uuid.uuid4().hex[:10]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    channel.queue_delete(f"rpc-{name}")
    connection.close()


def delete_queue(name):
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    connection.channel().queue_delete(name)
    connection.close()


def test_stop_returns_when_the_broker_already_cancelled_the_consumer(service_name):
    """Deleting the service queue cancels the consumer at the broker; stop() still finishes instead of waiting."""
    runner = ServiceRunner(AMQP_URI).add_service(make_service(service_name))
    runner.start()
    delete_queue(f"rpc-{service_name}")
    errors = []

    def stop():
        try:
            runner.stop()
        except Exception as exc:  # reported below, with the thread's verdict
            errors.append(exc)

    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    # A hang detector, not a timing check: the cancel that used to hang waited 30 s for a confirmation.
    stopper.join(20)
    assert not stopper.is_alive(), "stop() hangs after the broker cancelled the consumer"
    assert errors == []
