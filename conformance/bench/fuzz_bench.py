#!/usr/bin/env python
"""Fuzz throughput: echo round-trip examples per second through the broker against the reference testee.

Runs the kit's echo property (Hypothesis generation, one request plus its pipelined sentinel echo, typed
comparison) for a number of examples and prints examples/s; `--no-sentinel` and `--no-hypothesis` isolate the
cost of the sentinel and of generation. The broker is NAMEKO_CONFORMANCE_AMQP_URI or 127.0.0.1.
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--target-cmd", help="service to fuzz (default: the reference testee)")
    parser.add_argument("--no-sentinel", action="store_true", help="skip the sentinel echo after each example")
    options = parser.parse_args(argv)

    from hypothesis import strategies as st

    from nameko_conformance.fuzz import properties, strategies
    from nameko_conformance.fuzz.link import FuzzLink
    from nameko_conformance.fuzz.runner import FuzzOptions, run_property
    from nameko_conformance.session import KitSession

    if options.no_sentinel:
        def send_without_sentinel(link, context, out, liveness):
            context.sent = link.send(out)
            return link.take(out.correlation_id, properties.REPLY_TIMEOUT)
        properties.send_with_sentinel = send_without_sentinel

    kit = SimpleNamespace(target_uri=None, target_cmd=options.target_cmd, capabilities=None,
                          amqp_uri=os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI"), broker_mode="auto", observer="spy")
    session = KitSession.start(kit)
    results = {}
    try:
        target = session.target
        link = FuzzLink(target.connection_parameters(), target.rpc_exchange, target.service)
        bodies = strategies.echo_request_bodies()
        for label, strategy in (("hazard-rich bodies (the fuzz suite's strategy)", bodies),
                                ("small bodies", st.fixed_dictionaries({"args": st.lists(st.integers(), max_size=3),
                                                                        "kwargs": st.just({})}))):
            report = run_property(label, st.tuples(strategy, st.booleans()),
                                  lambda ex, ctx: properties.check_echo(link, ex[0], ex[1], ctx),
                                  FuzzOptions(options.examples, None, "derandomize"),
                                  Path(tempfile.gettempdir()) / f"fuzz-bench-{uuid.uuid4().hex[:6]}", [])
            results[label] = {"examples": report.examples, "seconds": round(report.seconds, 2),
                              "examples_per_second": round(report.examples / report.seconds, 1)}
        link.close()
    finally:
        session.stop()
    print(json.dumps({"sentinel": not options.no_sentinel, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
