"""Fixtures and steps shared by the client suite (chapters 02, 03, 04, 05, 06, 07 and 16 seen from a client).

Probe → act → verify: a test starts a probe service that answers as asked, runs the port's driver with one job,
and hands what it observed (the requests the probe recorded, the replies it sent, the driver's run and outcomes)
to the checks of ``oracle.client`` and ``oracle.driver``.

Before the first test the driver is asked which optional features its client lacks (the describe job of spec
16); a test that needs one of them is ``capability absent``. A client that cannot use another RPC exchange than
``nameko-rpc`` is tested on ``nameko-rpc``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest

from nameko_conformance.clientcheck.checks import ClientCheck
from nameko_conformance.clientcheck.driver import DriverResult, describe
from nameko_conformance.clientcheck.unroutable import remove_if_unused
from nameko_conformance.oracle import client as clients, driver as oracle_driver, names
from nameko_conformance.oracle.evidence import Evidence
from nameko_conformance.plugin import KIT_KEY
from nameko_conformance.trace import Trace

_SETUP_ATTRIBUTE = "_client_driver_setup"


@dataclass
class DriverSetup:
    """Where the client suite runs: the client session's broker and driver, on its private exchange, or on
    ``nameko-rpc`` for a client that lacks a configurable exchange; and what the client lacks."""

    session: Any
    rpc_exchange: str
    lacks: frozenset[str] = frozenset()
    note: str = ""
    described: Any = None  # the oracle's judgement of the answer to the describe job
    client_name: str | None = None  # the client name the describe answer gives (its reply queue's <client>)
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def amqp_uri(self) -> str:
        return self.session.amqp_uri

    @property
    def client_cmd(self) -> str:
        return self.session.client_cmd

    @property
    def on_default_exchange(self) -> bool:
        return self.rpc_exchange == names.DEFAULT_RPC_EXCHANGE

    def has(self, feature: str) -> bool:
        return feature not in self.lacks

    def note_request(self, reply_to: str | None, headers: dict | None) -> None:
        """Remembers the reply queues the client may leave behind, under its declared name too (removed at stop)."""
        self.session.note_request(reply_to, headers)
        if reply_to and self.client_name:
            self.session.reply_queues.add(names.reply_queue(self.client_name, reply_to))

    def close(self) -> None:
        """On a shared exchange (``nameko-rpc``, or one named by the user) the exchange goes only when nothing is
        bound to it; the client session removes its private one itself."""
        if self.rpc_exchange == self.session.rpc_exchange:
            return
        remove_if_unused(self.amqp_uri, self.rpc_exchange)


def driver_setup(request: pytest.FixtureRequest) -> DriverSetup:
    """The run's DriverSetup, made once per client session (the describe job runs once)."""
    client_session = request.getfixturevalue("client_session")
    setup = getattr(client_session, _SETUP_ATTRIBUTE, None)
    if setup is None:
        described, run = describe(client_session.client_cmd, amqp_uri=client_session.amqp_uri,
                                  rpc_exchange=client_session.rpc_exchange)
        lacks = described.value
        exchange = chosen_exchange(getattr(request.config.stash[KIT_KEY], "client_exchange", None), lacks,
                                   client_session.rpc_exchange)
        problem = "; ".join(f.message for f in described.findings)
        note = f"describe: lacks {sorted(lacks) or 'nothing'}" + (f" ({problem})" if problem else "")
        setup = DriverSetup(client_session, exchange, lacks, note, described,
                            oracle_driver.described_client_name(run.observed))
        setattr(client_session, _SETUP_ATTRIBUTE, setup)
        request.config.add_cleanup(setup.close)
    return setup


def chosen_exchange(option: str | None, lacks: frozenset[str], private: str) -> str:
    """The client suite's RPC exchange: the run's private one, unless the client lacks a configurable exchange
    (then ``nameko-rpc``) or the user chose one (``default`` for ``nameko-rpc``, ``private``, or a name)."""
    if "exchange" in lacks or option == "default":
        return names.DEFAULT_RPC_EXCHANGE
    if option and option != "private":
        return option
    return private


def needs(*features: str):
    """Marks a client test as needing optional client features (spec 16): without them it is capability absent."""
    unknown = set(features) - set(oracle_driver.FEATURES)
    if unknown:
        raise ValueError(f"unknown client features {sorted(unknown)}")

    def mark(function):
        function.client_features = tuple(features)
        return function
    return mark


@pytest.fixture(autouse=True)
def _client_feature_gate(request: pytest.FixtureRequest) -> None:
    """Imported by the client suite's modules: a test needing a feature the driver declares absent is skipped as
    ``capability absent`` (in setup, where the plugin classes it so)."""
    wanted = getattr(getattr(request, "function", None), "client_features", ())
    if not wanted:
        return
    setup = driver_setup(request)
    missing = [feature for feature in wanted if not setup.has(feature)]
    if missing:
        pytest.skip(f"capability absent: the driver declares its client lacks {', '.join(missing)}")


@pytest.fixture
def client_check(request: pytest.FixtureRequest, client_session, trace: Trace) -> Iterator[ClientCheck]:
    check = ClientCheck(driver_setup(request), trace)
    yield check
    check.close()


def echoed(args, kwargs=None) -> dict:
    """What the probe's normal reply returns for a call."""
    return {"args": list(args), "kwargs": dict(kwargs or {})}


UNKNOWN_SERVICES: list[str] = []  # names handed out this run: a client that declares rpc-<name> leaves it behind


def unknown_service() -> str:
    name = f"kit_nosuch_{uuid.uuid4().hex[:8]}"
    UNKNOWN_SERVICES.append(name)
    return name


def judge_run(evidence: Evidence, run: DriverResult, charge: tuple[str, ...] = oracle_driver.DRIVER_CONTRACT,
              why: str = "", hang_charge: tuple[str, ...] | None = None) -> list:
    """The driver's run judged (a crash charged to ``charge``, a hang to ``hang_charge`` or else ``charge``); the
    outcomes, or the test ends here."""
    outcomes = evidence.apply(oracle_driver.run(run.observed, charge, why, hang_charge))
    return evidence.need(outcomes, "the driver's outcomes")


def reached_client(evidence: Evidence, probe: Any) -> None:
    """The probe's replies reached the client (RPC-REQ-3, RPC-CORR-1). When one did not, how the client treats
    replies cannot be seen: the test ends, and its other requirements are masked by that finding."""
    judgement = clients.replies_routed(probe.replies)
    evidence.apply(judgement)
    evidence.need(None if judgement.failed("RPC-CORR-1") else True, "a reply that reached the client")
