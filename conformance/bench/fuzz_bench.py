#!/usr/bin/env python
"""Fuzz throughput against a target (default: the reference testee), with the fuzz suite's own echo strategy.

Measures, for `strategies.echo_batches()` (exactly what `suite/test_fuzz.py` runs):

- generation only: Hypothesis draws the examples, nothing is sent;
- the echo property through the broker, with the sentinel echo after each example (as the suite runs it) and
  without it (`send_batch_with_sentinel` swapped for a plain send, in this process only);
- the same with one request per example (`--batch 1` shape), to show what pipelining buys;
- the bare round trip of one small request with and without a sentinel (no Hypothesis), the floor per message.

Rates are given per request round-tripped ("messages/s": each request is one fuzz example sent to the target)
and per Hypothesis example. The load average before and after is printed: timings on a shared machine are noisy.
The broker is NAMEKO_CONFORMANCE_AMQP_URI or 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace


def _machine() -> dict:
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "load_average_1_5_15": [round(value, 2) for value in load]}


def _generation_only(strategy, examples: int) -> dict:
    from hypothesis import HealthCheck, Phase, given, settings

    sizes = []

    def body_count(example):
        sizes.append(len(example) if isinstance(example, list) else 1)

    test = settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))(
        given(strategy)(body_count))
    started = time.monotonic()
    test()
    return _rates(len(sizes), sum(sizes), time.monotonic() - started)


def _rates(examples: int, messages: int, seconds: float) -> dict:
    return {"examples": examples, "messages": messages, "seconds": round(seconds, 2),
            "examples_per_second": round(examples / seconds, 1), "messages_per_second": round(messages / seconds, 1),
            "ms_per_message": round(1000 * seconds / messages, 2)}


def _property(link, strategy, examples: int, properties, run_property, FuzzOptions) -> dict:
    messages = 0

    def check(batch, context):
        nonlocal messages
        messages += len(batch)
        properties.check_echo_batch(link, batch, context)

    save_dir = Path(tempfile.gettempdir()) / f"fuzz-bench-{uuid.uuid4().hex[:6]}"
    report = run_property("bench", strategy, check, FuzzOptions(examples, None, "derandomize"), save_dir, [])
    return _rates(report.examples, messages, report.seconds)


def _bare_round_trip(link, properties, count: int, sentinel: bool) -> dict:
    from nameko_conformance.fuzz.runner import ExampleContext

    started = time.monotonic()
    for index in range(count):
        out = link.factory.request("echo", body=json.dumps({"args": [index], "kwargs": {}}).encode())
        if sentinel:
            properties.send_with_sentinel(link, ExampleContext(), out, "MAL-12")
        else:
            link.send(out)
            link.take(out.correlation_id, properties.REPLY_TIMEOUT)
    return _rates(count, count, time.monotonic() - started)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=500, help="Hypothesis examples per measurement")
    parser.add_argument("--target-cmd", help="service to fuzz (default: the reference testee)")
    options = parser.parse_args(argv)

    from hypothesis import strategies as st

    from nameko_conformance.fuzz import properties, strategies
    from nameko_conformance.fuzz.link import FuzzLink
    from nameko_conformance.fuzz.runner import FuzzOptions, run_property
    from nameko_conformance.session import KitSession

    suite_strategy = strategies.echo_batches()
    single_strategy = st.lists(strategies.echo_examples(), min_size=1, max_size=1)
    results = {"machine_before": _machine(),
               "generation_only": _generation_only(suite_strategy, options.examples),
               "generation_only_one_request_per_example": _generation_only(single_strategy, options.examples)}

    kit = SimpleNamespace(target_uri=None, target_cmd=options.target_cmd, capabilities=None,
                          amqp_uri=os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI"), broker_mode="auto", observer="spy")
    with_sentinel = properties.send_batch_with_sentinel

    def without_sentinel(link, context, outs, liveness):
        for out in outs:
            context.sent = link.send(out)
        return [link.take(out.correlation_id, properties.REPLY_TIMEOUT) for out in outs]

    session = KitSession.start(kit)
    try:
        target = session.target
        link = FuzzLink(target.connection_parameters(), target.rpc_exchange, target.service)
        try:
            for sentinel, send in (("with_sentinel", with_sentinel), ("without_sentinel", without_sentinel)):
                properties.send_batch_with_sentinel = send
                results[f"suite_strategy_{sentinel}"] = _property(link, suite_strategy, options.examples,
                                                                  properties, run_property, FuzzOptions)
                results[f"one_request_per_example_{sentinel}"] = _property(
                    link, single_strategy, options.examples, properties, run_property, FuzzOptions)
            properties.send_batch_with_sentinel = with_sentinel
            results["bare_round_trip_with_sentinel"] = _bare_round_trip(link, properties, options.examples, True)
            results["bare_round_trip_without_sentinel"] = _bare_round_trip(link, properties, options.examples, False)
        finally:
            properties.send_batch_with_sentinel = with_sentinel
            link.close()
    finally:
        session.stop()
    results["machine_after"] = _machine()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
