"""The testee contract methods the other chapters rely on (chapter 13)."""

import time

import pytest

from nameko_conformance.oracle import values
from nameko_conformance.suite._steps import call_ok

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("TESTEE-4")
def test_sleep_waits_and_returns_seconds(peer):
    """sleep(s) returns s after at least s seconds."""
    started = time.monotonic()
    result = call_ok(peer, "sleep", 0.2)
    elapsed = time.monotonic() - started
    peer.evidence.apply(values.equal("TESTEE-4", "sleep-result", "sleep(0.2) returning", 0.2, result))
    peer.evidence.apply(values.holds("TESTEE-4", "sleep-too-short", "the reply after at least 0.2 s",
                                     round(elapsed, 3), lambda e: e >= 0.19))
