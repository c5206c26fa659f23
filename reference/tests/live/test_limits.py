"""Size limits on both sides, on the shared broker (CONN-12, CONN-14, CONN-17)."""

import os
import uuid

import pika
import pytest

from nameko_reference import ClusterClient, ProtocolError, RemoteError, ServiceRunner, rpc
from nameko_reference.errors import RequestTooLarge
from nameko_reference.server_core import Limits

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F")
MIB = 1024 * 1024


def make_service(name):
    class Sizes:
        @rpc
        def big(self, size):
            return "x" * size

        @rpc
        def length(self, text):
            return len(text)

    Sizes.name = name
    return Sizes


@pytest.fixture
def sizes():
    name = f"ref_limits_{uuid.uuid4().hex[:8]}"
    runner = ServiceRunner(AMQP_URI, limits=Limits(max_request_bytes=2 * MIB, max_reply_bytes=4 * MIB))
    runner.add_service(make_service(name)).start()
    client = ClusterClient(AMQP_URI, timeout=30, max_reply_bytes=1 * MIB, max_request_bytes=3 * MIB).start()
    yield client[name]
    client.stop()
    runner.stop()
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    connection.channel().queue_delete(f"rpc-{name}")
    connection.close()


def test_the_client_refuses_a_reply_above_its_limit(sizes):
    with pytest.raises(ProtocolError, match="exceeds the client's limit"):
        sizes.big(2 * MIB)
    assert sizes.big(10) == "x" * 10  # the client goes on


def test_the_server_answers_a_result_above_its_limit_with_reply_too_large(sizes):
    with pytest.raises(RemoteError) as error:
        sizes.big(5 * MIB)
    assert error.value.exc_type == "ReplyTooLarge"


def test_the_server_answers_a_request_above_its_limit_with_malformed_request(sizes):
    with pytest.raises(Exception) as error:
        sizes.length("y" * (int(2.5 * MIB)))
    assert type(error.value).__name__ == "MalformedRequest"


def test_the_client_refuses_to_send_a_request_above_its_limit(sizes):
    with pytest.raises(RequestTooLarge):
        sizes.length("y" * (4 * MIB))
    assert sizes.length("ok") == 2
