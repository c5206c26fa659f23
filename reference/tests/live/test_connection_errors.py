"""Connection failures at start-up are reported for what they are (spec chapter 17)."""

import os
import socket
from urllib.parse import urlsplit

import pytest

from nameko_reference import ClusterClient
from nameko_reference.transport import Transport, TransportError

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F")


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_login_fails_at_once_and_says_so():
    parts = urlsplit(AMQP_URI)
    wrong = AMQP_URI.replace(f"{parts.username}:{parts.password}@", f"{parts.username}:not-the-password@", 1)
    with pytest.raises(TransportError, match="refused the login") as error:
        ClusterClient(wrong).start()
    assert "not-the-password" not in str(error.value)  # the password stays out of messages


def test_no_broker_at_any_uri_fails_at_the_start_timeout_with_the_last_error():
    uris = [f"amqp://guest:guest@127.0.0.1:{closed_port()}/%2F" for _ in range(2)]
    with pytest.raises(TransportError, match=r"cannot connect to .* within 2 s .*Connection refused"):
        Transport(uris).start(timeout=2)
