"""Every port adapter builds (from the cache when warm) and makes one round trip on the shared broker.

A port's testee answers one ``echo`` called through the reference client; a port's driver completes one ``echo``
call against the reference testee. This keeps a broken adapter (or a port version the registries no longer
serve) from landing; how well a port follows the spec is the matrix's business, not this test's.
"""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pika
import pytest

PORTS_DIR = Path(__file__).resolve().parents[1]
REPO = PORTS_DIR.parent
BROKER = os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI") or "amqp://guest:guest@127.0.0.1:5672/%2F"
REFERENCE_DRIVER = f"{sys.executable} {REPO / 'conformance' / 'drivers' / 'reference_driver.py'}"
REFERENCE_TESTEE = f"{sys.executable} -m nameko_reference.testee"


def _builder():
    spec = importlib.util.spec_from_file_location("ports_build_under_test", PORTS_DIR / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


BUILD = _builder()
PORTS = BUILD.load_ports()


@pytest.fixture(scope="module")
def built():
    cache = {}

    def get(port):
        if port.name not in cache:
            cache[port.name] = BUILD.build(port)  # raises BuildError with the build log's tail
        return cache[port.name]
    return get


def environment(service):
    return dict(os.environ, NAMEKO_CONFORMANCE_AMQP_URI=BROKER, NAMEKO_CONFORMANCE_SERVICE=service,
                NAMEKO_CONFORMANCE_RPC_EXCHANGE="nameko-rpc", PYTHONUNBUFFERED="1")


def drive(command, service, calls, limit=60):
    done = subprocess.run(command, shell=True, env=environment(service), input=json.dumps({"calls": calls}),
                          capture_output=True, text=True, timeout=limit)
    assert done.returncode == 0, f"driver exited with {done.returncode}:\n{done.stderr[-2000:]}"
    return json.loads(done.stdout)["outcomes"]


def echo_call(service, *args, timeout=5):
    return {"service": service, "method": "echo", "args": list(args), "kwargs": {}, "timeout": timeout,
            "context": {}}


class RunningService:
    """A testee process under a fresh service name; stopped and its topology removed afterwards."""

    def __init__(self, command, log_path):
        self.service = f"smoke_{uuid.uuid4().hex[:10]}"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(command, shell=True, env=environment(self.service), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def wait_ready(self, limit=60.0):
        """Until the reference client gets an answer to echo (it fails fast with UnknownService before)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"testee exited early:\n{self.log_path.read_text()[-2000:]}"
            outcome = drive(REFERENCE_DRIVER, self.service, [echo_call(self.service, "ready?", timeout=2)])[0]
            if "result" in outcome:
                return outcome
            time.sleep(0.5)
        raise AssertionError(f"testee never answered echo:\n{self.log_path.read_text()[-2000:]}")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        source = f"{self.service}_src"
        connection = pika.BlockingConnection(pika.URLParameters(BROKER))
        for queue in (f"rpc-{self.service}", f"evt-{source}-ping", f"evt-{source}-ping--{self.service}",
                      f"evt-{source}-ping--{self.service}.on_ping_pool"):
            connection.channel().queue_delete(queue)
        for exchange in (f"{self.service}.events", f"{source}.events"):
            connection.channel().exchange_delete(exchange)
        connection.close()


@pytest.mark.parametrize("port", [p for p in PORTS if p.manifest.get("testee")], ids=lambda p: p.name)
def test_port_testee_answers_echo(port, built, tmp_path):
    testee = RunningService(built(port).testee, tmp_path / "testee.log")
    try:
        assert testee.wait_ready() == {"result": {"args": ["ready?"], "kwargs": {}}}
    finally:
        testee.stop()


@pytest.mark.parametrize("port", [p for p in PORTS if p.manifest.get("driver")], ids=lambda p: p.name)
def test_port_driver_completes_a_call(port, built, tmp_path):
    testee = RunningService(REFERENCE_TESTEE, tmp_path / "reference.log")
    try:
        testee.wait_ready()
        outcomes = drive(built(port).driver, testee.service, [echo_call(testee.service, "smoke", 1)])
        assert outcomes == [{"result": {"args": ["smoke", 1], "kwargs": {}}}]
    finally:
        testee.stop()
