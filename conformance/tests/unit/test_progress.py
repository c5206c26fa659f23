"""Progress lines: one per chapter with counts and elapsed time, a rate-limited fuzzing line."""

from types import SimpleNamespace

from nameko_conformance import progress
from nameko_conformance.progress import ChapterProgress, ChapterTally, chapter_of


def test_chapter_of_names_the_suite_file():
    """A node id's chapter is its suite file without test_ and .py."""
    assert chapter_of("nameko_conformance/suite/test_03_rpc_reply.py::test_x[1]") == "03-rpc-reply"
    assert chapter_of("test_fuzz.py::test_echo") == "fuzz"


def test_a_chapter_line_comes_after_its_last_test_with_counts_and_time():
    """The line appears once all of a chapter's tests are done, with each outcome counted."""
    tally = ChapterTally()
    ids = [f"s/test_04_errors.py::t{n}" for n in range(3)] + ["s/test_05_context.py::t"]
    tally.plan(ids)
    for n, (nodeid, word) in enumerate(zip(ids[:3], ["passed", "failed", "xfailed"])):
        tally.begin(nodeid, 10.0 + n)
        tally.outcome(nodeid, word)
    assert tally.finish(ids[0], 11.0) is None
    assert tally.finish(ids[1], 12.0) is None
    assert tally.finish(ids[2], 12.5) == "chapter 04-errors: 3 tests (1 passed, 1 failed, 1 xfailed) in 2.5s"
    assert tally.finish("s/test_other.py::t", 13.0) is None  # not planned: not a suite test


def test_the_plugin_object_counts_from_pytest_reports():
    """ChapterProgress turns setup errors, skips and calls into one word per test."""
    lines = []
    plugin = ChapterProgress(lines.append, "/suite")
    items = [SimpleNamespace(nodeid=f"test_01_topology.py::t{n}", path=f"/suite/test_01_topology.py")
             for n in range(3)]
    plugin.pytest_collection_finish(SimpleNamespace(items=items + [SimpleNamespace(nodeid="x.py::y",
                                                                                   path="/elsewhere/x.py")]))
    reports = [("setup", "failed", False), ("setup", "skipped", False), ("call", "passed", False)]
    for item, (when, outcome, _) in zip(items, reports):
        plugin.pytest_runtest_logstart(item.nodeid, None)
        report = SimpleNamespace(nodeid=item.nodeid, when=when, passed=outcome == "passed",
                                 failed=outcome == "failed", skipped=outcome == "skipped")
        plugin.pytest_runtest_logreport(report)
        plugin.pytest_runtest_logfinish(item.nodeid, None)
    plugin.pytest_runtest_logfinish("x.py::y", None)
    assert len(lines) == 1
    assert lines[0].startswith("chapter 01-topology: 3 tests (1 passed, 1 error, 1 skipped) in ")


def test_fuzz_lines_are_rate_limited_and_say_the_rate():
    """A fuzz line at most every few seconds, with the examples so far and the rate; nothing without a sink."""
    lines = []
    progress.install(None)
    progress.fuzz_tick("echo", 1, 0.0, now=100.0)
    progress.install(lines.append)
    try:
        progress.fuzz_tick("echo", 1, 0.0, now=1.0)
        progress.fuzz_tick("echo", 50, 0.0, now=progress.FUZZ_LINE_EVERY_SECONDS + 0.1)
        progress.fuzz_tick("echo", 51, 0.0, now=progress.FUZZ_LINE_EVERY_SECONDS + 0.2)
        progress.fuzz_done("echo", 80, 8.0)
        progress.note("starting a private RabbitMQ node")
    finally:
        progress.install(None)
    assert lines == [f"fuzz echo: 50 examples in {progress.FUZZ_LINE_EVERY_SECONDS + 0.1:.1f}s (9.8/s)",
                     "fuzz echo: 80 examples in 8.0s (10.0/s), done", "starting a private RabbitMQ node"]
