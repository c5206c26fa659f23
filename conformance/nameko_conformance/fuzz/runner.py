"""Runs one property with Hypothesis under the kit's fuzz options, and turns a failure into a saved AMQP message.

Options: a number of examples, an optional time budget (the run stops early, without failing, once it is
spent), and a seed: ``derandomize`` (the default: every run tries the same examples), ``random`` (a fresh seed,
printed) or an integer. A failing example is shrunk by Hypothesis; the message the kit sent for the shrunk
example is saved as JSON (fixture message form) and the failure names the file and a one-line replay command.
"""

from __future__ import annotations

import json
import random
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from nameko_conformance import progress
from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.messages import Outgoing
from nameko_conformance.oracle.model import Check, Finding, Judgement
from nameko_conformance.outcomes import ConformanceFailure

DERANDOMIZE = "derandomize"


class BudgetSpent(BaseException):
    """Raised inside an example once the time budget is spent; Hypothesis lets BaseException through unshrunk."""


@dataclass(frozen=True)
class FuzzOptions:
    examples: int = 50
    seconds: float | None = None
    seed: str = DERANDOMIZE

    def resolved_seed(self) -> int | None:
        """None to derandomize, else the integer seed (a fresh one for ``random``)."""
        if self.seed == DERANDOMIZE:
            return None
        if self.seed == "random":
            return random.SystemRandom().randrange(2**32)
        try:
            return int(self.seed)
        except ValueError:
            raise ValueError(f"--fuzz-seed takes 'derandomize', 'random' or an integer, not {self.seed!r}") from None


class FuzzFailure(ConformanceFailure):
    """An example the oracle found fault with; ``judgement`` holds its findings (stable codes)."""

    def __init__(self, judgement: Judgement, message: str | None = None):
        first = judgement.findings[0].message if judgement.findings else "a fuzz finding"
        super().__init__(message or first, tuple(f.requirement for f in judgement.findings))
        self.judgement = judgement


@dataclass
class ExampleContext:
    """What the property's check tells the runner about the example under way, and what the oracle examined over
    all examples so far."""

    sent: Outgoing | None = None
    outcome: str = ""
    should_failures: list[tuple[ConformanceFailure, Outgoing | None, str]] = field(default_factory=list)
    examined: set = field(default_factory=set)
    inconclusive: dict = field(default_factory=dict)

    def judge(self, judgement: Judgement, soft: bool = False) -> object:
        """Records what a check examined; a finding ends the example (Hypothesis then shrinks it), unless ``soft``
        (a SHOULD-level difference: kept and reported after the run, so the search goes on for MUST failures).
        Returns the value the check decoded."""
        self.examined |= judgement.examined
        for requirement, why in judgement.inconclusive:
            self.inconclusive.setdefault(requirement, why)
        if judgement.findings:
            if not soft:
                raise FuzzFailure(judgement)
            if not self.should_failures:
                self.should_failures.append((FuzzFailure(judgement), self.sent, self.outcome))
        return judgement.value

    def soft_fail(self, failure: ConformanceFailure) -> None:
        """A SHOULD-level difference: kept and reported after the run, so the search goes on for MUST failures."""
        if len(self.should_failures) < 1:
            self.should_failures.append((failure, self.sent, self.outcome))


@dataclass
class FuzzReport:
    examples: int
    seconds: float
    seed: int | None
    budget_spent: bool
    examined: frozenset = frozenset()
    inconclusive: tuple = ()

    def judgement(self) -> Judgement:
        """What the oracle examined over the run's examples (all without findings, or the run would have raised)."""
        check = Check(*sorted(self.examined))
        for requirement, why in self.inconclusive:
            if requirement not in self.examined:
                check.undecided(requirement, why)
        return check.done()


def message_document(name: str, failure: ConformanceFailure, sent: Outgoing | None, outcome: str,
                     seed: int | None) -> dict:
    message = None
    if sent is not None:
        message = WireMessage(sent.exchange, sent.routing_key, dict(sent.properties), sent.headers, sent.body,
                              role="request").to_fixture()
    return {"property": name, "requirements": list(failure.requirements), "failure": str(failure).splitlines()[0],
            "outcome": outcome, "seed": seed if seed is not None else DERANDOMIZE, "message": message}


def save_example(directory: Path, document: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", document["property"].lower()).strip("-")
    path = directory / f"{slug}-{int(time.time() * 1000)}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    return path


def run_property(name: str, strategy: Any, check: Callable[[Any, ExampleContext], None], options: FuzzOptions,
                 save_dir: Path, replay_args: list[str], echo: Callable[[str], None] = print) -> FuzzReport:
    """Runs ``check(example, context)`` on examples of ``strategy``; raises FuzzFailure (the shrunk example's
    findings, what was examined before it, the saved message and its replay) on a failure."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    seed = options.resolved_seed()
    if seed is not None:
        echo(f"fuzz {name}: seed {seed} (repeat with --fuzz-seed {seed})")
    context = ExampleContext()
    failures: list[tuple[ConformanceFailure, Outgoing | None, str]] = []
    started = time.monotonic()
    count = 0

    def example(value):
        nonlocal count
        if options.seconds is not None and time.monotonic() - started > options.seconds:
            raise BudgetSpent()
        count += 1
        progress.fuzz_tick(name, count, started)
        context.sent, context.outcome = None, ""
        try:
            check(value, context)
        except ConformanceFailure as failure:
            failures.append((failure, context.sent, context.outcome))
            raise

    # No deadline: an example's time is the target's and the broker's, not generation's. No database: runs are
    # derandomized or seeded and a failure is saved as an AMQP message, so stored choice sequences add nothing.
    # too_slow is the one health check left out: it times generation, which on a shared CI machine is noisy
    # (bench/fuzz_bench.py measures generation instead); the others stay on and catch a strategy that rejects
    # or overflows too much.
    test = settings(max_examples=options.examples, deadline=None, database=None, derandomize=seed is None,
                    report_multiple_bugs=False, print_blob=False,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=[HealthCheck.too_slow])(given(strategy)(example))
    if seed is not None:
        test = hypothesis_seed(seed)(test)
    budget_spent = False
    try:
        test()
    except BudgetSpent:
        budget_spent = True
    except ConformanceFailure:
        failure, sent, outcome = failures[-1]  # Hypothesis runs the shrunk example last
        raise _reported(name, failure, sent, outcome, seed, save_dir, replay_args, context) from None
    finally:
        progress.fuzz_done(name, count, time.monotonic() - started)
    if context.should_failures:
        failure, sent, outcome = context.should_failures[0]
        raise _reported(name, failure, sent, outcome, seed, save_dir, replay_args, context) from None
    return FuzzReport(count, time.monotonic() - started, seed, budget_spent, frozenset(context.examined),
                      tuple(context.inconclusive.items()))


def _reported(name, failure, sent, outcome, seed, save_dir, replay_args, context=None) -> FuzzFailure:
    document = message_document(name, failure, sent, outcome, seed)
    path = save_example(save_dir, document)
    replay = shlex.join(["nameko-conformance", "replay", str(path), *replay_args])
    lines = [str(failure).splitlines()[0], f"outcome: {outcome}" if outcome else "",
             "the AMQP message (shrunk example):",
             json.dumps(document["message"])[:4000],
             f"saved to {path}", f"replay: {replay}",
             f"seed: {document['seed']}"]
    findings = failure.judgement.findings if isinstance(failure, FuzzFailure) else tuple(
        Finding(r, f"{r}/fuzz", "conformance", str(failure).splitlines()[0]) for r in failure.requirements)
    # Each finding names the saved example and its replay, so the report alone reproduces it.
    findings = tuple(Finding(f.requirement, f.code, f.expected, f"{f.observed} (fuzz {name}: shrunk example saved "
                                                                 f"to {path}; replay: {replay})", f.messages)
                     for f in findings)
    examined = frozenset(context.examined) if context is not None else frozenset()
    judgement = Judgement(examined | {f.requirement for f in findings}, findings)
    return FuzzFailure(judgement, "\n".join(line for line in lines if line))
