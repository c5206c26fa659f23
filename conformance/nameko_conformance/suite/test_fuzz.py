"""Property-based fuzzing of a target (marker ``fuzz``; run with ``--fuzz``, ``-m fuzz`` or ``nameko-conformance
fuzz``). Examples, time budget and seed come from --fuzz-examples, --fuzz-seconds and --fuzz-seed."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from nameko_conformance.fuzz.link import FuzzLink
from nameko_conformance.fuzz.runner import FuzzFailure, FuzzOptions, run_property
from nameko_conformance.plugin import KIT_KEY
from nameko_conformance.registry import load_registry
from nameko_conformance.uri import mask

pytestmark = [pytest.mark.fuzz, pytest.mark.capability("server")]
# Every reply the fuzzer sees is judged as the regular suite judges a reply (oracle.reply): each test cites
# RPC-REPLY-1, -2, -3, -6 and SER-1, -3, -7, -8 besides its property's own requirements.


@pytest.fixture
def strategies():
    """The strategies, imported only when a fuzz test runs: the default run needs no optional extra, and a fuzz
    run without it fails with the install hint rather than skipping."""
    import nameko_conformance.fuzz.strategies as strategies

    return strategies


@pytest.fixture
def link(conformance_session) -> Iterator[FuzzLink]:
    target = conformance_session.target
    link = FuzzLink(target.connection_parameters(), target.rpc_exchange, target.service)
    yield link
    link.close()


@pytest.fixture
def fuzz(request, conformance_session, trace, evidence):
    """run(name, strategy, check): the property under the session's fuzz options. What the oracle examined over
    all examples, and the findings of a failing (shrunk) example, go into the test's evidence; a finding names the
    saved example and its replay."""
    kit = request.config.stash[KIT_KEY]
    options = FuzzOptions(kit.fuzz_examples, kit.fuzz_seconds, kit.fuzz_seed)
    save_dir = Path(kit.report_dir or "conformance-report") / "fuzz-examples"
    replay = ([] if not (kit.target_uri or kit.target_cmd) else
              ["--target", mask(kit.target_uri)] if kit.target_uri else ["--target-cmd", kit.target_cmd])

    def run(name, strategy, check, link):
        try:
            report = run_property(name, strategy, check, options, save_dir, replay,
                                  echo=lambda line: trace.note(line))
        except FuzzFailure as failure:
            trace.note(str(failure))
            evidence.apply(failure.judgement)
            return
        finally:
            trace.messages.extend(link.history)
        evidence.apply(report.judgement())
        trace.note(f"{name}: {report.examples} examples in {report.seconds:.1f} s"
                   + (" (time budget spent)" if report.budget_spent else ""))
    return run


def _must_only(requirements) -> tuple[str, ...]:
    registry = load_registry()
    return tuple(r for r in requirements if r in registry and registry[r].strength != "MAY")


@pytest.mark.req("TESTEE-2", "SER-2", "SER-4", "SER-5", "SER-6", "SER-13", "MAL-12", "RPC-REPLY-1", "RPC-REPLY-2",
                 "RPC-REPLY-3", "RPC-REPLY-6", "SER-1", "SER-3", "SER-7", "SER-8")
def test_valid_requests_round_trip_through_echo(fuzz, link, strategies):
    """Any valid request's args and kwargs come back from echo unchanged, as typed JSON; the target keeps serving.

    An example is a batch of 1 to 8 requests published back to back; a shrunk failure is a single message."""
    from nameko_conformance.fuzz.properties import check_echo_batch

    fuzz("echo round trip", strategies.echo_batches(),
         lambda batch, context: check_echo_batch(link, batch, context), link)


@pytest.mark.req("MAL-1", "MAL-4", "MAL-9", "MAL-16", "RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3",
                 "RPC-REPLY-6", "SER-1", "SER-3", "SER-7", "SER-8")
def test_invalid_bodies_get_an_allowed_outcome(fuzz, link, strategies):
    """Every invalid raw body gets an outcome the spec allows for it, and the target keeps serving. (NaN and
    Infinity may be decoded or refused: SER-12 is a MAY, judged by chapter 09, not here.)"""
    from nameko_conformance.fuzz.properties import check_invalid_body

    fuzz("invalid raw bodies", strategies.invalid_raw_bodies(),
         lambda case, context: check_invalid_body(link, case, _must_only(case.outcome_requirements), context), link)


@pytest.mark.req("TESTEE-5", "CTX-4", "CTX-5", "MAL-9", "RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3",
                 "RPC-REPLY-6", "SER-1", "SER-3", "SER-7", "SER-8")
def test_context_headers_reach_the_worker(fuzz, link, strategies):
    """Random context header tables reach the worker's context unchanged; the stack is extended and capped.

    pika 1.4.4 cannot encode a float in a field table, so the kit's headers carry no floats."""
    from nameko_conformance.fuzz.properties import check_context

    fuzz("context headers", strategies.context_headers(with_floats=False),
         lambda headers, context: check_context(link, headers, context), link)
