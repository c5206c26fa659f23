"""The service the hostile-corpus test serves with `nameko-reference serve` (its name comes from the environment)."""

import os

from nameko_reference import rpc


class BadStr:
    def __str__(self):
        raise RuntimeError("no text")


class Hostile:
    name = os.environ["HOSTILE_SERVICE"]

    @rpc
    def echo(self, *args, **kwargs):
        return {"args": list(args), "kwargs": kwargs}

    @rpc
    def fail(self, text):
        raise ValueError(text)

    @rpc
    def fail_surrogate(self):
        raise ValueError("lone \ud800 surrogate")

    @rpc
    def fail_surrogate_args(self):
        raise ValueError("lone \ud800 surrogate", "\udfff", BadStr())

    @rpc
    def fail_unprintable(self):
        raise ValueError(BadStr())

    @rpc
    def big(self, size):
        return "x" * size

    @rpc
    def nan(self):
        return float("nan")

    @rpc
    def deep(self, depth):
        value = []
        for _ in range(depth):
            value = [value]
        return value

    @rpc
    def surrogate_result(self):
        return "\udc80"
