"""The benchmark's echo service on the reference implementation (name from $BENCH_SERVICE)."""

import os

from nameko_reference import rpc


class BenchService:
    name = os.environ["BENCH_SERVICE"]

    @rpc
    def echo(self, *args, **kwargs):
        return [list(args), kwargs]
