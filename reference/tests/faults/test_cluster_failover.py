"""A 3-node cluster of private nodes: the service's node is killed under load (spec chapter 17, TOPO-9).

The service (quorum queue) and the client connect to different nodes. When the service's node dies, the
service connects to another node, declares its topology again and keeps serving. Every call gets its
reply or a clear error; none is lost silently.
"""

import threading
import time
import uuid

import pytest

from nameko_conformance.capture.private_node import PrivateCluster
from nameko_reference import ClusterClient, ServiceRunner, rpc
from nameko_reference.errors import ConnectionLost, RpcTimeout


def make_service(name):
    class Service:
        @rpc
        def echo(self, value):
            return value

    Service.name = name
    return Service


@pytest.fixture(scope="module")
def cluster():
    with PrivateCluster(3, name_prefix="ref-cluster") as private:
        yield private


def test_killing_the_service_node_under_load_fails_over(cluster):
    node_a, node_b, node_c = cluster.nodes
    service = make_service(f"failover_{uuid.uuid4().hex[:8]}")
    runner = ServiceRunner([node_a.amqp_url, node_b.amqp_url, node_c.amqp_url], queue_type="quorum")
    runner.add_service(service).start()
    assert runner._transport.connected_uri == node_a.amqp_url
    client = ClusterClient([node_b.amqp_url, node_c.amqp_url], timeout=45).start()

    stop, outcomes, lock = threading.Event(), [], threading.Lock()

    def load():
        index = 0
        while not stop.is_set():
            index += 1
            value = f"{threading.get_ident()}-{index}"
            try:
                result = client[service.name].echo(value)
                outcome = "ok" if result == value else f"wrong result {result!r}"
            except (ConnectionLost, RpcTimeout) as exc:
                outcome = type(exc).__name__
            except Exception as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            with lock:
                outcomes.append((time.monotonic(), outcome))

    threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(outcomes) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(outcomes) >= 200, "no load before the kill"
        killed_at = time.monotonic()
        node_a.kill()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            served_after = sum(1 for at, outcome in list(outcomes) if at > killed_at and outcome == "ok")
            if served_after > 200 and runner._transport.connected:
                break
            time.sleep(0.1)
        stop.set()
        for thread in threads:
            thread.join(90)
            assert not thread.is_alive(), "a call never settled"
        served_from = runner._transport.connected_uri
    finally:
        stop.set()
        client.stop()
        runner.stop(timeout=10)

    kinds = {outcome for _, outcome in outcomes}
    after = [outcome for at, outcome in outcomes if at > killed_at]
    # The service moved to a surviving node and went on serving.
    assert served_from in (node_b.amqp_url, node_c.amqp_url)
    assert after.count("ok") > 200, f"{after.count('ok')} calls served after the kill"
    # The client's node lived: every call got its reply; requests in flight on the dead node were redelivered.
    assert kinds <= {"ok"}, {kind: [o for _, o in outcomes].count(kind) for kind in kinds}
    print(f"failover: {len(outcomes)} calls, {len(after)} after the kill, all answered")
