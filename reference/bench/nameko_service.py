"""The benchmark's echo service on nameko (name from $BENCH_SERVICE); run with `nameko run`."""

import os

from nameko.rpc import rpc


class BenchService:
    name = os.environ["BENCH_SERVICE"]

    @rpc
    def echo(self, *args, **kwargs):
        return [list(args), kwargs]
