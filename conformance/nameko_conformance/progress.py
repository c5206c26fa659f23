"""Progress lines while a run is under way: one per chapter (suite file) with its counts and elapsed time, a line
while a private RabbitMQ node starts, and a fuzzing line with the examples so far and the rate.

Code anywhere in the kit calls ``note(...)`` or ``fuzz_tick(...)``; both do nothing until a sink is installed
(``install``), which the pytest plugin does for a kit run unless ``--conformance-quiet`` is given. The chapter
lines come from ``ChapterProgress``, a pytest plugin object fed by ``pytest_runtest_logreport``; the counting is
in ``ChapterTally``, which knows nothing of pytest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

Sink = Callable[[str], None]

_sink: Sink | None = None
FUZZ_LINE_EVERY_SECONDS = 5.0


def install(sink: Sink | None) -> None:
    """Where progress lines go from now on (``None``: nowhere)."""
    global _sink
    _sink = sink
    _fuzz_last_line.clear()


def note(message: str) -> None:
    if _sink is not None:
        _sink(message)


# -- fuzzing ---------------------------------------------------------------------------------------------------

_fuzz_last_line: dict[str, float] = {}


def fuzz_line(name: str, examples: int, elapsed: float) -> str:
    rate = examples / elapsed if elapsed > 0 else 0.0
    return f"fuzz {name}: {examples} examples in {elapsed:.1f}s ({rate:.1f}/s)"


def fuzz_tick(name: str, examples: int, started: float, now: float | None = None) -> None:
    """Called once per fuzz example; prints a line at most every FUZZ_LINE_EVERY_SECONDS per property."""
    if _sink is None:
        return
    now = time.monotonic() if now is None else now
    last = _fuzz_last_line.setdefault(name, started)
    if now - last >= FUZZ_LINE_EVERY_SECONDS:
        _fuzz_last_line[name] = now
        _sink(fuzz_line(name, examples, now - started))


def fuzz_done(name: str, examples: int, elapsed: float) -> None:
    _fuzz_last_line.pop(name, None)
    note(fuzz_line(name, examples, elapsed) + ", done")


# -- chapters --------------------------------------------------------------------------------------------------

def chapter_of(nodeid: str) -> str:
    """``suite/test_03_rpc_reply.py::test_x`` → ``03-rpc-reply``; other files keep their stem."""
    path = nodeid.split("::", 1)[0]
    stem = path.rsplit("/", 1)[-1].removesuffix(".py")
    return stem.removeprefix("test_").replace("_", "-")


@dataclass
class ChapterTally:
    """Counts test outcomes per chapter and says when a chapter is complete."""

    expected: dict[str, int] = field(default_factory=dict)   # chapter -> number of selected tests
    done: dict[str, int] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)

    def plan(self, nodeids: list[str]) -> None:
        for nodeid in nodeids:
            chapter = chapter_of(nodeid)
            self.expected[chapter] = self.expected.get(chapter, 0) + 1

    def begin(self, nodeid: str, now: float) -> None:
        self.started.setdefault(chapter_of(nodeid), now)

    def outcome(self, nodeid: str, word: str) -> None:
        """Records an outcome word (passed, failed, error, skipped, xfailed) for a test."""
        chapter = chapter_of(nodeid)
        tally = self.counts.setdefault(chapter, {})
        tally[word] = tally.get(word, 0) + 1

    def finish(self, nodeid: str, now: float) -> str | None:
        """Marks a test done; the chapter's line when this was its last test."""
        chapter = chapter_of(nodeid)
        if chapter not in self.expected:
            return None  # not a suite test
        self.done[chapter] = self.done.get(chapter, 0) + 1
        if self.done[chapter] != self.expected[chapter]:
            return None
        elapsed = now - self.started.get(chapter, now)
        tally = self.counts.get(chapter, {})
        words = ", ".join(f"{n} {w}" for w, n in sorted(tally.items(), key=lambda kv: _ORDER.get(kv[0], 9)) if n)
        count = self.expected[chapter]
        return (f"chapter {chapter}: {count} test{'' if count == 1 else 's'} ({words or 'no outcome'}) "
                f"in {elapsed:.1f}s")


_ORDER = {"passed": 0, "failed": 1, "error": 2, "xfailed": 3, "skipped": 4}


class ChapterProgress:
    """pytest plugin: writes a chapter's line when its last test is done."""

    def __init__(self, write: Sink, suite_dir: str):
        self.write = write
        self.suite_dir = suite_dir
        self.tally = ChapterTally()

    def pytest_collection_finish(self, session: Any) -> None:
        self.tally.plan([item.nodeid for item in session.items if str(item.path).startswith(self.suite_dir)])

    def pytest_runtest_logstart(self, nodeid: str, location: Any) -> None:
        self.tally.begin(nodeid, time.monotonic())

    def pytest_runtest_logreport(self, report: Any) -> None:
        word = _outcome_word(report)
        if word:
            self.tally.outcome(report.nodeid, word)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        line = self.tally.finish(nodeid, time.monotonic())
        if line:
            self.write(line)


def _outcome_word(report: Any) -> str | None:
    """One word per test: its call phase, or a setup that did not get that far, or a teardown error."""
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if hasattr(report, "wasxfail"):
            return "xfailed"
        if report.failed:
            return "failed" if report.when == "call" else "error"
        return "skipped" if report.skipped else "passed"
    if report.when == "teardown" and report.failed:
        return "error"
    return None
