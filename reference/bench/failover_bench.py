"""Time to reconnect and time to fail over, on private nodes only (spec chapter 17).

    python reference/bench/failover_bench.py --reps 3 [--freeze]

- restart: one node, server and client on it. The node is killed (SIGKILL) and started again. Figures: how long
  after the kill an in-flight call fails (ConnectionLost), and how long after the node accepts AMQP again the
  first call succeeds.
- failover: a 3-node cluster, a quorum service queue, server on node A, client on node B. Node A is killed under
  a steady stream of calls. Figure: the longest gap between two successful calls around the kill.
- freeze (optional, slow): the node is SIGSTOPped; figure: how long until the transport gives the connection up
  (heartbeat; CONN-8).
"""

import argparse
import statistics
import threading
import time
import uuid

from nameko_conformance.capture.private_node import PrivateCluster, PrivateNode
from nameko_reference import ClusterClient, ServiceRunner, rpc
from nameko_reference.errors import ConnectionLost


def make_service():
    class Bench:
        @rpc
        def echo(self, value):
            return value

        @rpc
        def slow(self, seconds):
            time.sleep(seconds)
            return seconds

    Bench.name = f"failover_bench_{uuid.uuid4().hex[:6]}"
    return Bench


def first_success(call, timeout=120):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            call()
            return time.monotonic()
        except ConnectionLost:
            time.sleep(0.01)
    raise RuntimeError("no successful call")


def bench_restart(reps):
    detect, recover = [], []
    with PrivateNode(name_prefix="bench-restart") as node:
        service = make_service()
        runner = ServiceRunner(node.amqp_url).add_service(service).start()
        client = ClusterClient(node.amqp_url, timeout=60).start()
        proxy = client[service.name]
        for _ in range(reps):
            proxy.echo(1)
            pending = proxy.slow.call_async(5)
            time.sleep(0.3)
            killed = time.monotonic()
            node.kill()
            try:
                pending.result()
            except ConnectionLost:
                detect.append(time.monotonic() - killed)
            node.restart()
            up = time.monotonic()
            recover.append(first_success(lambda: proxy.echo(2)) - up)
        client.stop()
        runner.stop(timeout=10)
    return {"in-flight call fails after kill (s)": detect, "first call after node is up (s)": recover}


def bench_failover(reps):
    gaps = []
    for _ in range(reps):
        with PrivateCluster(3, name_prefix="bench-cluster") as cluster:
            node_a, node_b, node_c = cluster.nodes
            service = make_service()
            runner = ServiceRunner(cluster.amqp_urls, queue_type="quorum").add_service(service).start()
            client = ClusterClient([node_b.amqp_url, node_c.amqp_url], timeout=60).start()
            proxy = client[service.name]
            successes, stop = [], threading.Event()

            def load():
                while not stop.is_set():
                    try:
                        proxy.echo(1)
                        successes.append(time.monotonic())
                    except ConnectionLost:
                        time.sleep(0.01)
            thread = threading.Thread(target=load, daemon=True)
            thread.start()
            time.sleep(1.0)
            killed = time.monotonic()
            node_a.kill()
            while not any(at > killed + 0.5 for at in successes[-50:]):
                time.sleep(0.05)
            time.sleep(1.0)
            stop.set()
            thread.join(60)
            around = [at for at in successes if at > killed - 1.0]
            gaps.append(max(later - earlier for earlier, later in zip(around, around[1:])))
            client.stop()
            runner.stop(timeout=10)
    return {"longest gap between successful calls across the kill (s)": gaps}


def bench_freeze():
    with PrivateNode(name_prefix="bench-freeze") as node:
        runner = ServiceRunner(node.amqp_url).add_service(make_service()).start()
        lost = threading.Event()
        runner._transport.on_connection_lost(lambda error: lost.set())
        frozen = time.monotonic()
        node.freeze()
        lost.wait(120)
        noticed = time.monotonic() - frozen
        node.thaw()
        runner.stop(timeout=10)
    return {"frozen broker noticed after (s)": [noticed]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--freeze", action="store_true", help="also measure heartbeat detection (up to 20 s)")
    options = parser.parse_args()
    figures = {}
    figures.update(bench_restart(options.reps))
    figures.update(bench_failover(options.reps))
    if options.freeze:
        figures.update(bench_freeze())
    for name, values in figures.items():
        print(f"{name:60s} median {statistics.median(values):6.2f}  max {max(values):6.2f}  "
              f"({', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
