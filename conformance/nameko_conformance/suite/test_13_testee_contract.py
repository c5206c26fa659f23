"""The testee contract methods the other chapters rely on (chapter 13)."""

import time

import pytest

from nameko_conformance import verify
from nameko_conformance.suite._steps import call_ok

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("TESTEE-4")
def test_sleep_waits_and_returns_seconds(peer):
    """sleep(s) returns s after at least s seconds."""
    started = time.monotonic()
    result = call_ok(peer, "sleep", 0.2)
    elapsed = time.monotonic() - started
    if result != 0.2 or elapsed < 0.19:
        verify.fail(f"expected 0.2 after ≥0.2 s, saw {result!r} after {elapsed:.3f} s", "TESTEE-4")
