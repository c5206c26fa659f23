"""The capture tools on a real, private RabbitMQ node (started here, thrown away afterwards; ~10 s).

Needs the rabbitmq-server scripts (Debian: /usr/lib/rabbitmq/bin); it never touches the shared broker.
"""

import json
import os
import shutil
import socket
import sys
import uuid
from pathlib import Path

import pika
import pytest

from nameko_conformance.capture.firehose import Firehose
from nameko_conformance.capture.private_node import PrivateNode
from nameko_conformance.capture.recorder import Recording, main as record_main, recorded_source
from nameko_conformance.capture.spy import SpyQueue

def _require_rabbitmq():
    if PrivateNode.available():
        return
    if shutil.which("rabbitmq-server") is None and not Path("/usr/lib/rabbitmq").exists():
        # CI installs rabbitmq-server (.ci/ensure-rabbitmq), so there a missing binary is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail("rabbitmq-server is not installed; CI must have it for the live capture tests")
        pytest.skip("rabbitmq-server is not installed on this machine; the live capture tests need it")
    pytest.fail("rabbitmq-server is installed but its scripts directory was not found; "
                "set NAMEKO_CONFORMANCE_RABBITMQ_BIN to the directory holding rabbitmq-server and rabbitmqctl")


@pytest.fixture(scope="module")
def node():
    _require_rabbitmq()
    with PrivateNode(name_prefix="nameko-kit-test") as started:
        print(f"private node {started.nodename} up in {started.startup_seconds:.1f} s")
        yield started


@pytest.fixture
def channel(node):
    connection = pika.BlockingConnection(pika.URLParameters(node.amqp_url))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.exchange_declare("nameko-rpc", "topic", durable=True)
    yield channel
    connection.close()


@pytest.fixture
def service_queue(node, channel):
    name = f"rpc-svc{uuid.uuid4().hex[:8]}"
    channel.queue_declare(f"rpc-{name}", auto_delete=True)
    channel.queue_bind(f"rpc-{name}", "nameko-rpc", f"{name}.*")
    yield name
    channel.queue_delete(f"rpc-{name}")


def test_private_node_answers_amqp_on_loopback_and_runs_its_own_ctl(node):
    """The node completes an AMQP handshake on 127.0.0.1 and rabbitmqctl reaches it by its own name."""
    assert node.amqp_url.startswith("amqp://guest:guest@127.0.0.1:")
    assert node.version.startswith("3.")
    assert node.nodename in node.ctl("status")
    assert node.amqp_port != 5672


def test_firehose_reports_routed_and_unroutable_publishes(node, channel, service_queue):
    """The firehose shows each publish with the queues it reached, and [] for an unroutable one."""
    with Firehose(node) as firehose:
        properties = pika.BasicProperties(content_type="application/json", correlation_id="c-1", reply_to="r-1",
                                          headers={"nameko.call_id_stack": ["test.call.1"], "nameko.user_id": 7})
        channel.basic_publish("nameko-rpc", f"{service_queue}.hello", b'{"args": [], "kwargs": {}}', properties)
        with pytest.raises(pika.exceptions.UnroutableError):
            channel.basic_publish("nameko-rpc", "nobody_serves_this.hello", b"\xff", pika.BasicProperties(),
                                  mandatory=True)
        unroutable = firehose.wait_for(lambda message: message.routing_key.startswith("nobody"), timeout=10)
        seen = firehose.drain()
    routed = next(message for message in seen if message.routing_key == f"{service_queue}.hello")
    assert routed.routed_queues == (f"rpc-{service_queue}",)
    assert routed.properties == {"content_type": "application/json", "correlation_id": "c-1", "reply_to": "r-1"}
    assert routed.headers == {"nameko.call_id_stack": ["test.call.1"], "nameko.user_id": 7}
    assert routed.role == "request"
    assert unroutable is not None and unroutable.routed_queues == ()
    assert unroutable.body == b"\xff" and unroutable.headers is None
    assert [message.routing_key for message in seen] == [f"{service_queue}.hello", "nobody_serves_this.hello"]


def test_firehose_switches_tracing_off_at_the_end(node, channel):
    """After the firehose stops, the node no longer traces the vhost."""
    with Firehose(node):
        assert "true" in node.ctl("list_vhosts", "name", "tracing")
    assert "true" not in node.ctl("list_vhosts", "name", "tracing")


def test_spy_queue_sees_exact_keys_and_leaves_nothing_behind(node, channel):
    """A spy bound to one reply_to key receives that reply only, and its queue is gone afterwards."""
    reply_to = str(uuid.uuid4())
    with SpyQueue(node.amqp_url, "nameko-rpc", [reply_to]) as spy:
        channel.basic_publish("nameko-rpc", "someone-else", b"{}", pika.BasicProperties())
        channel.basic_publish("nameko-rpc", reply_to, b'{"result": 1, "error": null}',
                              pika.BasicProperties(correlation_id="c-9", headers={}))
        reply = spy.wait_for(lambda message: True, timeout=10)
        queue = spy.queue
        assert [message.routing_key for message in spy.drain()] == [reply_to]
    assert reply.role == "reply" and reply.headers == {} and reply.properties == {"correlation_id": "c-9"}
    assert queue not in node.ctl("list_queues", "name")


def test_recording_files_each_case_and_keeps_routing_unchanged(node, channel, service_queue, tmp_path):
    """Each case holds the publishes of its block; an unknown service stays unroutable while recording."""
    with Recording(node, quiet_period=0.2) as rec:
        with rec.case("routed-call", "A request reaches the service queue", ["RPC-REQ-1"], min_messages=1):
            channel.basic_publish("nameko-rpc", f"{service_queue}.hello", b'{"args": [], "kwargs": {}}',
                                  pika.BasicProperties(content_type="application/json", correlation_id="a",
                                                       reply_to="r"))
        with rec.case("unknown-service", "A request for an unknown service reaches no queue", ["RPC-CALL-1"],
                      min_messages=1):
            with pytest.raises(pika.exceptions.UnroutableError):
                channel.basic_publish("nameko-rpc", "unknown_service.hello", b'{"args": [], "kwargs": {}}',
                                      pika.BasicProperties(content_type="application/json", correlation_id="b",
                                                           reply_to="r"), mandatory=True)
        path = rec.write(tmp_path / "recorded.json", "Requests recorded by the kit's own test",
                         recorded_source("test", "0", node.version))
    document = json.loads(path.read_text())
    assert [case["id"] for case in document["cases"]] == ["routed-call", "unknown-service"]
    first, second = (case["messages"] for case in document["cases"])
    assert [m["properties"]["correlation_id"] for m in first] == ["a"]
    assert first[0]["routed_queues"] == [f"rpc-{service_queue}"]
    assert [m["properties"]["correlation_id"] for m in second] == ["b"]
    assert second[0]["routed_queues"] == []
    assert document["source"]["broker"] == f"RabbitMQ {node.version}"


def test_record_cli_writes_one_case_per_call_from_a_command(tmp_path):
    """`record -- <command>` runs the command against a private node and writes one case per correlation id."""
    _require_rabbitmq()
    script = tmp_path / "publisher.py"
    script.write_text(
        "import os, pika\n"
        "connection = pika.BlockingConnection(pika.URLParameters(os.environ['NAMEKO_CONFORMANCE_AMQP_URI']))\n"
        "channel = connection.channel()\n"
        "channel.exchange_declare('nameko-rpc', 'topic', durable=True)\n"
        "channel.exchange_declare('src.events', 'topic', durable=True)\n"
        "for n in (1, 2):\n"
        "    channel.basic_publish('nameko-rpc', 'svc.method', b'{\"args\": [], \"kwargs\": {}}',\n"
        "        pika.BasicProperties(content_type='application/json', correlation_id=f'c-{n}', reply_to='r'))\n"
        "channel.basic_publish('nameko-rpc', 'r', b'{\"result\": 1, \"error\": null}',\n"
        "    pika.BasicProperties(content_type='application/json', correlation_id='c-1', headers={}))\n"
        "channel.basic_publish('src.events', 'happened', b'{}',\n"
        "    pika.BasicProperties(content_type='application/json'))\n"
        "connection.close()\n")
    out = tmp_path / "out.json"
    returncode = record_main(["--out", str(out), "--implementation", "test-port", "--impl-version", "0.1",
                              "--settle", "0.3", "--", sys.executable, str(script)])
    assert returncode == 0
    document = json.loads(out.read_text())
    cases = {case["id"]: case for case in document["cases"]}
    assert list(cases) == ["call-1-svc-method", "call-2-svc-method", "event-1-src-happened"]
    assert [m["role"] for m in cases["call-1-svc-method"]["messages"]] == ["request", "reply"]
    assert [m["role"] for m in cases["call-2-svc-method"]["messages"]] == ["request"]
    assert cases["event-1-src-happened"]["messages"][0]["exchange"] == "src.events"
    assert document["source"]["implementation"] == "test-port"


def test_stopped_node_removes_its_directories(tmp_path):
    """Stopping a node ends its processes and deletes its data and log directories."""
    _require_rabbitmq()
    started = PrivateNode(name_prefix="nameko-kit-stop").start()
    directory, port = started._dir, started.amqp_port
    assert directory.exists()
    started.stop()
    assert not directory.exists()
    assert not started.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
