"""RPC benchmark: reference vs nameko 2.14.1 vs a raw-pika floor, interleaved in one run on one broker.

Each rep runs every contender once, in turn (round-robin), so that machine drift hits all alike. Per contender:
sequential round trips (median, p99) and throughput with 10 and 100 calls in flight (batches of N call_async,
then N results). The servers run as subprocesses; the nameko client runs in the nameko virtualenv.

    python reference/bench/rpc_bench.py --reps 5 --calls 1000 --json bench.json
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import pika

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from pika_floor import PikaClient  # noqa: E402
from timing import ARGS, KWARGS, measure  # noqa: E402

from nameko_reference import ClusterClient, RpcError  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
FIGURES = ("seq_median_ms", "seq_p99_ms", "seq_calls_per_s", "in_flight_10_calls_per_s", "in_flight_100_calls_per_s")


def _default_nameko_python():
    candidate = os.path.join(REPO, ".venvs", "nameko2", "bin", "python")
    return candidate if os.path.exists(candidate) else sys.executable


def wait_until_served(uri, service, timeout=60):
    deadline = time.monotonic() + timeout
    with ClusterClient(uri) as client:
        while True:
            try:
                client.call(service, "echo", ARGS, KWARGS, timeout=1)
                return
            except RpcError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


class Bench:
    def __init__(self, options):
        self.options = options
        self.suffix = uuid.uuid4().hex[:8]
        self.services = {name: f"bench_{name}_{self.suffix}" for name in ("reference", "nameko", "pika")}
        self.processes = []
        self.extra_queues = set()
        self.config = None

    def _spawn(self, argv, service, **kwargs):
        env = dict(os.environ, BENCH_SERVICE=service, PYTHONPATH=HERE + os.pathsep + os.environ.get("PYTHONPATH", ""))
        process = subprocess.Popen(argv, env=env, cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   **kwargs)
        self.processes.append(process)
        return process

    def start_servers(self):
        uri = self.options.amqp_uri
        self._spawn([sys.executable, "-m", "nameko_reference.cli", "serve", "reference_service:BenchService",
                     "--amqp-uri", uri], self.services["reference"])
        self._spawn([sys.executable, os.path.join(HERE, "pika_floor.py"), "serve", uri, self.services["pika"]],
                    self.services["pika"])
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as config:
            config.write(f"AMQP_URI: '{uri}'\n")
        self.config = config.name
        nameko = os.path.join(os.path.dirname(self.options.nameko_python), "nameko")
        self._spawn([nameko, "run", "--config", self.config, "nameko_service:BenchService"], self.services["nameko"])
        for service in self.services.values():
            wait_until_served(uri, service)

    def run_reference(self):
        with ClusterClient(self.options.amqp_uri) as client:
            method = client[self.services["reference"]].echo
            return measure(lambda: method(*ARGS, **KWARGS), lambda: method.call_async(*ARGS, **KWARGS),
                           self.options.calls)

    def run_nameko(self):
        output = subprocess.run([self.options.nameko_python, os.path.join(HERE, "nameko_client.py"),
                                 self.options.amqp_uri, self.services["nameko"], str(self.options.calls)],
                                capture_output=True, text=True, check=True).stdout
        answer = json.loads(output.strip().splitlines()[-1])
        if answer["reply_queue"]:
            self.extra_queues.add(answer["reply_queue"])
        return answer["figures"]

    def run_pika(self):
        client = PikaClient(self.options.amqp_uri, self.services["pika"])
        try:
            return measure(lambda: client.call(list(ARGS), KWARGS), lambda: client.send(list(ARGS), KWARGS),
                           self.options.calls)
        finally:
            client.close()

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT if process is self.processes[1] else signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.config:
            os.unlink(self.config)
        connection = pika.BlockingConnection(pika.URLParameters(self.options.amqp_uri))
        channel = connection.channel()
        for queue in [f"rpc-{service}" for service in self.services.values()] + sorted(self.extra_queues):
            channel.queue_delete(queue)
        connection.close()


def summarise(runs):
    summary = {}
    for contender, reps in runs.items():
        summary[contender] = {figure: {"median": statistics.median(r[figure] for r in reps),
                                       "min": min(r[figure] for r in reps), "max": max(r[figure] for r in reps)}
                              for figure in FIGURES}
    return summary


def print_table(summary):
    print(f"{'contender':<14}{'seq median ms':>22}{'seq p99 ms':>22}{'seq calls/s':>22}"
          f"{'10 in flight /s':>24}{'100 in flight /s':>24}")
    for contender, figures in summary.items():
        cells = []
        for figure in FIGURES:
            f = figures[figure]
            digits = 2 if figure.endswith("_ms") else 0
            cells.append(f"{f['median']:.{digits}f} [{f['min']:.{digits}f}..{f['max']:.{digits}f}]")
        print(f"{contender:<14}" + "".join(f"{c:>22}" if i < 3 else f"{c:>24}" for i, c in enumerate(cells)))
    reference, nameko, floor = summary["reference"], summary["nameko-2.14.1"], summary["raw-pika"]
    print(f"\nreference sequential latency / raw-pika floor: "
          f"{reference['seq_median_ms']['median'] / floor['seq_median_ms']['median']:.2f}x (target <= 1.3)")
    print(f"reference / nameko 2.14.1 throughput at 100 in flight: "
          f"{reference['in_flight_100_calls_per_s']['median'] / nameko['in_flight_100_calls_per_s']['median']:.2f}x "
          f"(target >= 2)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    parser.add_argument("--reps", type=int, default=5, help="round-robin repetitions (default: %(default)s)")
    parser.add_argument("--calls", type=int, default=1000,
                        help="calls per measurement, after 50 warm-up calls (default: %(default)s)")
    parser.add_argument("--nameko-python", default=_default_nameko_python(),
                        help="interpreter with nameko 2.14.1 installed (default: %(default)s)")
    parser.add_argument("--json", metavar="PATH", help="write the runs and the summary as JSON")
    options = parser.parse_args(argv)

    bench = Bench(options)
    contenders = {"reference": bench.run_reference, "nameko-2.14.1": bench.run_nameko, "raw-pika": bench.run_pika}
    runs = {name: [] for name in contenders}
    try:
        bench.start_servers()
        for rep in range(options.reps):
            for name, run in contenders.items():
                runs[name].append(run())
                print(f"rep {rep + 1}/{options.reps} {name}: "
                      + ", ".join(f"{k}={v:.2f}" for k, v in runs[name][-1].items()), file=sys.stderr, flush=True)
    finally:
        bench.stop()
    summary = summarise(runs)
    print_table(summary)
    if options.json:
        with open(options.json, "w") as output:
            json.dump({"reps": options.reps, "calls": options.calls, "runs": runs, "summary": summary}, output,
                      indent=2)


if __name__ == "__main__":
    main()
