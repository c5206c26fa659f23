"""Broker restarts and refusals on one private node (spec chapter 17).

The server and the client connect again after the node restarts; calls in flight fail at once with
ConnectionLost instead of waiting for their timeout; a request delivered but not acknowledged when the link
broke is delivered again (at-least-once, CONN-3); a reply the broker refuses becomes an error reply (CONN-12).
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from nameko_conformance.capture.private_node import PrivateNode
from nameko_reference import ClusterClient, RemoteError, ServiceRunner, event_handler, rpc
from nameko_reference.errors import ConnectionLost
from nameko_reference.server_core import Limits

BROKER_LIMIT = 1024 * 1024  # the node's max_message_size


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}")


def once_reconnected(call, timeout=60):
    """The result of `call()`, retried while the client is still reconnecting (ConnectionLost)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except ConnectionLost:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def make_service(name, started):
    class Service:
        executions = []
        events = []

        @event_handler(f"{name}_src", "ping", handler_type="broadcast", reliable_delivery=False)
        def on_ping(self, payload):
            Service.events.append(payload)

        @rpc
        def echo(self, value):
            return value

        @rpc
        def big(self, size):
            return "x" * size

        @rpc
        def slow(self, token, seconds):
            Service.executions.append(token)
            started.set()
            time.sleep(seconds)
            return token

    Service.name = name
    return Service


@pytest.fixture(scope="module")
def node():
    with PrivateNode(name_prefix="ref-faults", extra_config=[f"max_message_size = {BROKER_LIMIT}"]) as private:
        yield private


@pytest.fixture
def served(node):
    started = threading.Event()
    service = make_service(f"faults_{uuid.uuid4().hex[:8]}", started)
    # The server's own limit is above the broker's, so that the broker is the one to refuse.
    runner = ServiceRunner(node.amqp_url, limits=Limits(max_reply_bytes=4 * BROKER_LIMIT)).add_service(service)
    runner.start()
    client = ClusterClient(node.amqp_url, timeout=60).start()
    yield node, runner, client, service, started
    client.stop()
    runner.stop(timeout=10)


def test_a_reply_the_broker_refuses_becomes_an_error_reply(served):
    node, runner, client, service, _ = served
    generation = runner._transport.generation
    with pytest.raises(RemoteError) as refused:
        client[service.name].big(2 * BROKER_LIMIT)
    assert refused.value.exc_type == "ReplyTooLarge"
    assert "refused" in refused.value.value
    # The server kept its connection and goes on serving; the request was not requeued (no poison loop).
    assert client[service.name].echo("after") == "after"
    assert runner._transport.generation == generation
    assert service.executions == []


def run_load(client, service_name, stop, outcomes, lock):
    index = 0
    while not stop.is_set():
        index += 1
        value = f"{threading.get_ident()}-{index}"
        try:
            result = client[service_name].echo(value)
            outcome = "ok" if result == value else f"wrong result {result!r}"
        except ConnectionLost:
            outcome = "ConnectionLost"
            time.sleep(0.05)
        except Exception as exc:
            outcome = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append((time.monotonic(), outcome))


def test_server_and_client_reconnect_after_a_broker_restart_under_load(served):
    node, runner, client, service, _ = served
    stop, outcomes, lock = threading.Event(), [], threading.Lock()
    threads = [threading.Thread(target=run_load, args=(client, service.name, stop, outcomes, lock), daemon=True)
               for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(outcomes) > 200, 30, "load before the restart")
    killed_at = time.monotonic()
    node.restart(hard=True)
    restarted_at = time.monotonic()
    wait_until(lambda: any(at > restarted_at and outcome == "ok" for at, outcome in list(outcomes)), 60,
               "a successful call after the restart")
    wait_until(lambda: sum(1 for at, outcome in list(outcomes) if at > restarted_at and outcome == "ok") > 100, 60,
               "sustained service after the restart")
    stop.set()
    for thread in threads:
        thread.join(90)
        assert not thread.is_alive(), "a call never settled"
    kinds = {outcome for _, outcome in outcomes}
    # Every call got its result or a clear error: no wrong result, no timeout (calls wait up to 60 s), nothing else.
    assert kinds <= {"ok", "ConnectionLost"}, kinds
    assert "ConnectionLost" in kinds  # the calls in flight were failed, not left to time out
    assert runner._transport.generation == 2 and client._transport.generation == 2
    print(f"restart: {len(outcomes)} calls, {sum(o == 'ok' for _, o in outcomes)} ok; "
          f"node down and up again in {restarted_at - killed_at:.1f} s")


def test_a_request_delivered_but_not_acknowledged_is_delivered_again(served):
    """CONN-3: the broker requeues the unacknowledged request when the link breaks; the server runs it again."""
    node, runner, client, service, started = served
    token = uuid.uuid4().hex
    pending = client[service.name].slow.call_async(token, 2)
    assert started.wait(30)
    node.restart(hard=True)
    with pytest.raises(ConnectionLost):
        pending.result()
    wait_until(lambda: service.executions.count(token) >= 2, 60, "the redelivered request runs again")
    assert once_reconnected(lambda: client[service.name].echo("again")) == "again"
    # The handler's exclusive queue went with the old connection and was declared again.
    client.dispatch(f"{service.name}_src", "ping", token)
    wait_until(lambda: token in service.events, 30, "an event reaches the handler after the restart")


def test_stop_returns_while_the_broker_is_down(node):
    runner = ServiceRunner(node.amqp_url).add_service(make_service(f"down_{uuid.uuid4().hex[:8]}",
                                                                   threading.Event()))
    runner.start()
    node.kill()
    try:
        stopper = threading.Thread(target=runner.stop, kwargs={"timeout": 10}, daemon=True)
        stopper.start()
        stopper.join(60)  # a hang detector, not a timing check
        assert not stopper.is_alive(), "stop() hangs while the broker is down"
    finally:
        node.restart()


def test_the_server_process_outlives_a_long_outage_with_a_call_in_flight(node, tmp_path):
    """Where nameko exits (DEV-28): the broker stays away longer than any publish retry while a method runs."""
    name = f"outage_{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "server.log"
    env = dict(os.environ, OUTAGE_SERVICE=name, PYTHONUNBUFFERED="1")
    with open(log_path, "wb") as log_file:
        server = subprocess.Popen([sys.executable, "-m", "nameko_reference.cli", "--amqp-uri", node.amqp_url,
                                   "serve", "outage_service:Outage"],
                                  cwd=Path(__file__).parent, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: b"serving" in log_path.read_bytes() or server.poll() is not None, 60, "server start")
        with ClusterClient(node.amqp_url, timeout=60) as client:
            pending = client[name].slow.call_async(2)
            time.sleep(0.5)
            node.restart(hard=True, down_seconds=12)
            with pytest.raises(ConnectionLost):
                pending.result()
        assert server.poll() is None, log_path.read_text(errors="replace")[-3000:]
        with ClusterClient(node.amqp_url, timeout=60) as client:
            assert once_reconnected(lambda: client[name].ping()) == "pong"
        assert server.poll() is None
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    assert server.returncode == 0
    assert "Traceback" not in log_path.read_text(errors="replace")
