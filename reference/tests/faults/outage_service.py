"""Served by `nameko-reference serve` in the outage test."""

import os
import time

from nameko_reference import rpc


class Outage:
    name = os.environ["OUTAGE_SERVICE"]

    @rpc
    def slow(self, seconds):
        time.sleep(seconds)
        return seconds

    @rpc
    def ping(self):
        return "pong"
