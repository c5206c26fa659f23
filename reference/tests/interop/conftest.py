"""Real nameko processes and a reference runner on the shared broker, isolated by a random token."""

import os
import subprocess
import sys
import tempfile
import time
import uuid

import pika
import pika.exceptions
import pytest

from nameko_reference import ClusterClient, RpcError, ServiceRunner

HERE = os.path.dirname(os.path.abspath(__file__))
AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F")


def list_queues():
    """Queue names on the broker (read-only rabbitmqctl)."""
    output = subprocess.run(["rabbitmqctl", "list_queues", "name", "-q", "--no-table-headers"],
                            capture_output=True, text=True, timeout=60).stdout
    return {line.strip() for line in output.splitlines() if line.strip()}


class Cleanup:
    def __init__(self, token):
        self.token = token
        self.queues = set()
        self.exchanges = set()
        self.before = list_queues()

    def run(self):
        # Everything this run declared carries the token, except the reply queues of nameko's standalone
        # clients, which the client scripts report by name.
        leftovers = {q for q in list_queues() - self.before if self.token in q} | self.queues
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
        channel = connection.channel()
        for queue in sorted(leftovers):
            channel.queue_delete(queue)
        for exchange in sorted(self.exchanges):
            channel.exchange_delete(exchange)
        try:  # shared with every service on the broker: removed only when nothing is bound to it any more
            channel.exchange_delete("nameko-rpc", if_unused=True)
        except pika.exceptions.ChannelClosedByBroker:
            pass
        connection.close()
        return leftovers


@pytest.fixture(scope="session")
def token():
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def cleanup(token):
    janitor = Cleanup(token)
    janitor.exchanges |= {f"ref_{token}.events", f"nk_{token}.events"}
    yield janitor
    janitor.run()


def wait_until_served(service, method="echo", timeout=60):
    deadline = time.monotonic() + timeout
    with ClusterClient(AMQP_URI) as client:
        while True:
            try:
                return client.call(service, method, timeout=1)
            except RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


@pytest.fixture(scope="session")
def nameko_service(token, cleanup, reference_runner):
    """`nameko run` of nameko_services.py with the current interpreter's nameko; yields the service name."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as config:
        config.write(f"AMQP_URI: '{AMQP_URI}'\n")
    nameko = os.path.join(os.path.dirname(sys.executable), "nameko")
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([nameko, "run", "--config", config.name, "nameko_services:NamekoService"],
                               cwd=HERE, env=dict(os.environ, INTEROP_TOKEN=token), stdout=log, stderr=log)
    try:
        wait_until_served(f"nk_{token}", "received")
        yield f"nk_{token}"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.unlink(config.name)


@pytest.fixture(scope="session")
def reference_runner(token, cleanup):
    """A reference ServiceRunner in this process serving ref_<token> (see reference_services.py)."""
    from . import reference_services
    runner = ServiceRunner(AMQP_URI, max_workers=4)
    runner.add_service(reference_services.make_reference_service(token))
    runner.start()
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def client(cleanup):
    # Asking for `cleanup` makes the client close (and delete its reply queue) before the janitor runs.
    with ClusterClient(AMQP_URI, context_data={"language": "en"}) as client:
        yield client


def run_nameko_client(service, cleanup):
    """Run nameko_client.py with the current interpreter; its outcomes as a dict."""
    import json
    completed = subprocess.run([sys.executable, os.path.join(HERE, "nameko_client.py"), AMQP_URI, service],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    if answer["reply_queue"]:
        cleanup.queues.add(answer["reply_queue"])
    return answer["outcomes"]
