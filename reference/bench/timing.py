"""Shared measurement: sequential round trips and batches of N calls in flight."""

import statistics
import time

ARGS = ("hello", 42)
KWARGS = {"flag": True, "items": [1, 2, 3]}
EXPECTED = [list(ARGS), KWARGS]
WARMUP = 50


def measure(call, call_async, calls, in_flight=(10, 100)):
    """call() -> result; call_async() -> handle with .result(). Returns the figures of one rep."""
    for _ in range(WARMUP):
        assert call() == EXPECTED
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    figures = {"seq_median_ms": statistics.median(latencies) * 1000,
               "seq_p99_ms": sorted(latencies)[int(len(latencies) * 0.99) - 1] * 1000,
               "seq_calls_per_s": len(latencies) / sum(latencies)}
    for batch in in_flight:
        started = time.perf_counter()
        done = 0
        while done < calls:
            handles = [call_async() for _ in range(batch)]
            for handle in handles:
                assert handle.result() == EXPECTED
            done += batch
        figures[f"in_flight_{batch}_calls_per_s"] = done / (time.perf_counter() - started)
    return figures
