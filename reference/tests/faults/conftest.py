"""Fault tests: brokers that restart, crash or refuse, on private nodes only (never the shared broker)."""

import pytest

from nameko_conformance.capture.private_node import PrivateNode

if not PrivateNode.available():  # pragma: no cover - the CI machine has RabbitMQ
    pytest.fail("fault tests need rabbitmq-server for private nodes (set NAMEKO_CONFORMANCE_RABBITMQ_BIN)",
                pytrace=False)
