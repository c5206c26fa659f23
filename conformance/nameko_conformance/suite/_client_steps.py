"""Fixtures and steps shared by the client suite (chapters 02, 03, 04, 05, 06, 07 and 16 seen from a client)."""

from __future__ import annotations

from typing import Iterator

import pytest

from nameko_conformance.clientcheck.checks import ClientCheck
from nameko_conformance.trace import Trace


@pytest.fixture
def client_check(client_session, trace: Trace) -> Iterator[ClientCheck]:
    check = ClientCheck(client_session, trace)
    yield check
    check.close()


def echoed(args, kwargs=None) -> dict:
    """What the probe's normal reply returns for a call."""
    return {"args": list(args), "kwargs": dict(kwargs or {})}
