"""Fixtures of the conformance suite: the session (broker, target, probe service) and per-test peers."""

from __future__ import annotations

from typing import Iterator

import pytest

from nameko_conformance.amqp import KitPeer
from nameko_conformance.oracle.evidence import Evidence
from nameko_conformance.plugin import EVIDENCE_KEY, KIT_KEY, TRACE_KEY
from nameko_conformance.session import ClientSession, KitSession
from nameko_conformance.suite._client_steps import client_check  # noqa: F401 - the client suite's fixture
from nameko_conformance.trace import Trace


@pytest.fixture(scope="session")
def conformance_session(request: pytest.FixtureRequest) -> Iterator[KitSession]:
    kit = request.config.stash[KIT_KEY]
    session = KitSession.start(kit)
    kit.session_state = session
    yield session
    session.stop()


@pytest.fixture(autouse=True)
def _capability_gate(request: pytest.FixtureRequest) -> None:
    # The session is asked for only by tests that need the target, so client-only runs never start one.
    markers = list(request.node.iter_markers("capability"))
    if not markers:
        return
    conformance_session: KitSession = request.getfixturevalue("conformance_session")
    for marker in markers:
        for name in marker.args:
            if name not in conformance_session.target.capabilities:
                pytest.skip(f"capability absent: the target declares no '{name}'")


@pytest.fixture(scope="session")
def client_session(request: pytest.FixtureRequest) -> Iterator[ClientSession]:
    """The broker and a private RPC exchange for the client suite; the target's broker when there is a target."""
    kit = request.config.stash[KIT_KEY]
    server = None if kit.client_only else request.getfixturevalue("conformance_session")
    session = ClientSession.start(kit, server)
    yield session
    session.stop()


@pytest.fixture
def trace(request: pytest.FixtureRequest) -> Trace:
    trace = Trace()
    request.node.stash[TRACE_KEY] = trace
    return trace


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Evidence:
    """What this test's checks examined and found; the plugin turns it into the test's verdicts."""
    return request.node.stash[EVIDENCE_KEY]


@pytest.fixture
def peer(conformance_session: KitSession, trace: Trace, evidence: Evidence) -> Iterator[KitPeer]:
    peer = conformance_session.peer(trace)
    peer.evidence = evidence
    yield peer
    peer.close()


@pytest.fixture
def make_peer(conformance_session: KitSession, trace: Trace, evidence: Evidence) -> Iterator:
    peers: list[KitPeer] = []

    def make() -> KitPeer:
        peers.append(conformance_session.peer(trace))
        peers[-1].evidence = evidence
        return peers[-1]
    yield make
    for p in peers:
        p.close()


@pytest.fixture
def service(conformance_session: KitSession) -> str:
    return conformance_session.target.service


@pytest.fixture
def probe(conformance_session: KitSession):
    return conformance_session.probe
