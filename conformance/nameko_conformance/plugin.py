"""The pytest plugin. Inert unless a session asks for the kit (``--target``, ``--target-cmd``, ``--client-cmd``,
``--broker private`` or collecting ``nameko_conformance.suite``): it only registers options and markers otherwise.

Selection: client-driver tests (marker ``client_driver``) run only with ``--client-cmd``; with ``--client-cmd`` and
no target the run is client-only and the server tests are left out; fuzz tests (marker ``fuzz``) run only when
asked for (``--fuzz`` or a ``-m`` expression naming ``fuzz``). Nothing else is ever deselected by the kit."""

from __future__ import annotations

import fnmatch
import shlex
import time
from pathlib import Path
from typing import Any

import pytest

from nameko_conformance import report as reporting
from nameko_conformance import startup
from nameko_conformance.baseline import Baseline
from nameko_conformance.oracle.evidence import Evidence, ObservationMissing
from nameko_conformance.oracle.model import Finding
from nameko_conformance.oracle.verdicts import (TEST_ABORTED, TEST_CAPABILITY_ABSENT, TEST_KIT_ERROR, TestResult,
                                                requirement_verdicts)
from nameko_conformance.outcomes import ConformanceFailure, Inconclusive, KitFault
from nameko_conformance.registry import load_registry
from nameko_conformance.trace import Trace
from nameko_conformance.uri import mask

SUITE_DIR = Path(__file__).resolve().parent / "suite"
KIT_KEY = pytest.StashKey["KitConfig"]()
DEFAULT_FUZZ_EXAMPLES = 50
TRACE_KEY = pytest.StashKey[Trace]()
EVIDENCE_KEY = pytest.StashKey[Evidence]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nameko-conformance", "nameko wire protocol conformance kit")
    group.addoption("--target", help="the service under test: amqp://user:pass@host:port/vhost?service=NAME"
                                     "[&rpc_exchange=X][&capabilities=a,b]")
    group.addoption("--target-cmd", help="a command that starts the service under test (testee launch contract); "
                                         "the kit starts, waits for and stops it")
    group.addoption("--conformance-amqp-uri", help="the broker to use (beats the target's broker); "
                                                   "env NAMEKO_CONFORMANCE_AMQP_URI")
    group.addoption("--conformance-strict", action="store_true", default=None,
                    help="SHOULD failures fail the run")
    group.addoption("--req", action="append", default=[], metavar="GLOB",
                    help="run only tests citing a requirement matching GLOB (ID or chapter); repeatable")
    group.addoption("--capabilities", help="comma list of what the target has: " + ", ".join(
        ("server", "client", "events-dispatch", "events-handle", "unserializable")))
    group.addoption("--baseline", help="JSON file of the target's known deviations")
    group.addoption("--report-dir", help="write report.json and report.md there")
    group.addoption("--client-cmd", help="a client driver command (spec chapter 16): runs the client suite against "
                                         "the port's client; without --target/--target-cmd the run is client-only")
    group.addoption("--client-exchange", default=None,
                    help="the client suite's RPC exchange: private (a fresh one per run, the default), default "
                         "(nameko-rpc), or a name; a driver declaring it lacks 'exchange' always gets nameko-rpc")
    group.addoption("--restart-target", type=int, default=None, metavar="N",
                    help="start a target the kit launched again, up to N times, when it exits or goes silent during "
                         "a test (that test records it as a finding); default 0: the run ends there. Crash-prone "
                         "tests always restart it")
    group.addoption("--fuzz", action="store_true", default=False,
                    help="also run the property-based fuzz tests (the same as adding -m fuzz to the default suite)")
    group.addoption("--fuzz-examples", type=int, default=None,
                    help=f"examples per fuzz property (default {DEFAULT_FUZZ_EXAMPLES})")
    group.addoption("--fuzz-seconds", type=float, default=None,
                    help="time budget per fuzz property; stops early when spent")
    group.addoption("--fuzz-seed", default=None,
                    help="'derandomize' (default: the same examples every run), 'random', or an integer seed")
    group.addoption("--broker", choices=("auto", "private"), default=None,
                    help="private: start a private RabbitMQ node, point the target at it, observe with the firehose")
    group.addoption("--observer", choices=("auto", "firehose", "spy"), default=None,
                    help="how the kit sees the target's messages (firehose needs a broker the kit owns)")
    group.addoption("--management-url", default=None,
                    help="the management plugin's HTTP API (default http://<AMQP host>:15672), read for the flags of "
                         "queues whose names the kit cannot know (EVT-9, TOPO-10)")
    group.addoption("--conformance-debug", action="store_true", default=False,
                    help="show the traceback of a start-up failure (otherwise one message)")
    group.addoption("--conformance-quiet", action="store_true", default=False,
                    help="no progress lines (chapters, private node, fuzzing): for CI logs")
    for name, help_text in (("conformance_target", "default for --target"),
                            ("conformance_target_cmd", "default for --target-cmd"),
                            ("conformance_baseline", "default for --baseline"),
                            ("conformance_report_dir", "default for --report-dir"),
                            ("conformance_capabilities", "default for --capabilities"),
                            ("conformance_client_cmd", "default for --client-cmd")):
        parser.addini(name, help_text, default=None)
    parser.addini("conformance_strict", "default for --conformance-strict", type="bool", default=False)


class KitConfig:
    """The options of one session, resolved CLI > ini > default."""

    def __init__(self, config: pytest.Config):
        def pick(option: str, ini: str) -> Any:
            value = config.getoption(option)
            return value if value is not None else config.getini(ini)

        self.target_uri = pick("target", "conformance_target")
        self.target_cmd = pick("target_cmd", "conformance_target_cmd")
        self.amqp_uri = config.getoption("conformance_amqp_uri")
        strict = config.getoption("conformance_strict")
        self.strict = bool(strict if strict is not None else config.getini("conformance_strict"))
        self.req_globs = list(config.getoption("req"))
        self.capabilities = pick("capabilities", "conformance_capabilities")
        self.baseline_path = pick("baseline", "conformance_baseline")
        self.report_dir = pick("report_dir", "conformance_report_dir")
        self.broker_mode = config.getoption("broker") or "auto"
        self.observer = config.getoption("observer") or "auto"
        self.management_url = config.getoption("management_url")
        self.client_cmd = pick("client_cmd", "conformance_client_cmd")
        self.client_only = bool(self.client_cmd) and not (self.target_uri or self.target_cmd)
        self.client_exchange = config.getoption("client_exchange")
        self.fuzz = bool(config.getoption("fuzz")) or "fuzz" in (config.getoption("markexpr", "") or "")
        self.fuzz_examples = config.getoption("fuzz_examples") or DEFAULT_FUZZ_EXAMPLES
        self.fuzz_seconds = config.getoption("fuzz_seconds")
        self.fuzz_seed = config.getoption("fuzz_seed") or "derandomize"
        self.requested = bool(self.target_uri or self.target_cmd or self.client_cmd or self.broker_mode == "private")
        self.registry = load_registry()
        self.baseline = Baseline.load(self.baseline_path, set(self.registry.requirements))
        self.results: list[TestResult] = []
        self.items: list[pytest.Item] = []  # the suite tests of this run, in order
        self.aborted: str | None = None  # set when the run cannot go on (the target exited): why
        self.restarts_left = self._restarts_asked = config.getoption("restart_target") or 0
        # per test node id: the requirement IDs whose verdict rests on what the broker saw (the firehose)
        self.firehose_evidence: dict[str, set[str]] = {}
        self.session_state: Any = None  # the running KitSession, set by the suite's session fixture
        self.client_state: Any = None   # the running ClientSession, set by the client suite's fixture
        self.started = time.time()

    def selected_requirements(self) -> set[str] | None:
        """The requirement IDs ``--req`` asked for (globs and chapter names expanded); None without ``--req``."""
        if not self.req_globs:
            return None
        return self.registry.matching(self.req_globs) | {g for g in self.req_globs if g in self.registry}

    def reproduce(self, req_ids: tuple[str, ...], nodeid: str) -> str:
        parts = ["nameko-conformance", "run"]
        if self.target_uri:
            parts += ["--target", mask(self.target_uri)]
        if self.target_cmd:
            parts += ["--target-cmd", self.target_cmd]
        if self.client_cmd:
            parts += ["--client-cmd", self.client_cmd]
        if self.client_exchange:
            parts += ["--client-exchange", self.client_exchange]
        if self.restarts_left or getattr(self, "_restarts_asked", 0):
            parts += ["--restart-target", str(self._restarts_asked)]
        if self.capabilities:
            parts += ["--capabilities", self.capabilities]
        if self.amqp_uri:
            parts += ["--amqp-uri", mask(self.amqp_uri)]
        if self.broker_mode == "private":
            parts += ["--broker", "private"]
        if self.observer != "auto":
            parts += ["--observer", self.observer]
        if self.management_url:
            parts += ["--management-url", mask(self.management_url)]
        if self.strict:
            parts.append("--strict")
        if self.baseline_path:
            parts += ["--baseline", self.baseline_path]
        if "fuzz" in nodeid.split("::")[0]:
            parts += ["--fuzz", "--fuzz-seed", str(self.fuzz_seed)]
        # The failing test itself, by a glob of its node id, so the line reruns exactly what failed.
        file_part, _, name = nodeid.rpartition("::")
        test_glob = f"*{Path(file_part).name}::{name}".replace("[", "[[]") if name else nodeid
        parts += ["--req", test_glob]
        return shlex.join(parts)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(*ids): the spec requirement IDs a conformance test checks")
    config.addinivalue_line("markers", "capability(name): the target capability a conformance test needs")
    config.addinivalue_line("markers", "client_driver: a client conformance test; runs only with --client-cmd")
    config.addinivalue_line("markers", "fuzz: a property-based fuzz test; runs only with --fuzz or -m fuzz")
    config.addinivalue_line("markers", "crash_prone: a test whose input crashes some targets; the kit starts a "
                                       "target it launched again after it")
    startup.check_options(config)  # one message, exit 4, for a usage mistake; packaged baseline names resolved
    kit = KitConfig(config)
    config.stash[KIT_KEY] = kit
    if kit.requested and config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        config.args = [str(SUITE_DIR)]
    startup.register(config, kit)  # the start-up check and the progress lines (startup.py, progress.py)


def _req_ids(item: pytest.Item) -> tuple[str, ...]:
    ids: list[str] = []
    for marker in item.iter_markers("req"):
        ids.extend(marker.args)
    return tuple(dict.fromkeys(ids))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    kit = config.stash[KIT_KEY]
    unknown = sorted({(item.nodeid, i) for item in items for i in _req_ids(item) if i not in kit.registry})
    if unknown:
        raise pytest.UsageError("tests cite requirement IDs that are not in the spec: "
                                + ", ".join(f"{i} ({n})" for n, i in unknown))
    keep, drop = [], []
    for item in items:
        (drop if kit_leaves_out(item, kit) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    kit.items = [item for item in items if _is_suite_item(item)]
    if kit.req_globs:
        wanted = kit.selected_requirements()
        keep, drop = [], []
        for item in items:
            ids = _req_ids(item)
            (keep if ids and set(ids) & wanted or any(fnmatch.fnmatch(item.nodeid, g) for g in kit.req_globs)
             else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        kit.items = [item for item in items if _is_suite_item(item)]


def kit_leaves_out(item: pytest.Item, kit: "KitConfig") -> bool:
    """Whether the kit's own selection leaves ``item`` out: only by the client_driver and fuzz markers and, in a
    client-only run, by needing the target (``conformance_session``)."""
    if item.get_closest_marker("fuzz") is not None and not kit.fuzz:
        return True
    if item.get_closest_marker("client_driver") is not None:
        return not kit.client_cmd
    return kit.client_only and "conformance_session" in getattr(item, "fixturenames", ())


def _is_suite_item(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return bool(_req_ids(item)) and ("conformance_session" in fixtures or "client_session" in fixtures)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if not _is_suite_item(item):
        return
    kit: KitConfig = item.config.stash[KIT_KEY]
    item.stash[EVIDENCE_KEY] = Evidence(_req_ids(item))
    if kit.aborted:
        pytest.skip(f"not run: {kit.aborted}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Runs the test; an observation it needed and did not get ends it quietly, and its findings fail it."""
    evidence = item.stash.get(EVIDENCE_KEY, None)
    if evidence is None:
        return (yield)
    try:
        result = yield
    except ObservationMissing as missing:
        evidence.stop(f"{missing.what} was not observed")
        result = None
    except Inconclusive as exc:
        evidence.undecided(exc.requirements or evidence.cited, str(exc))
        evidence.stop(f"inconclusive: {exc}")
        result = None
    except ConformanceFailure as exc:
        for req_id in exc.requirements or evidence.cited[:1]:
            evidence.findings.append(Finding(req_id, f"{req_id}/failure", "conformance", str(exc)))
        evidence.stop(str(exc))
        result = None
    if evidence.findings:
        raise ConformanceFailure("\n".join(mask(f.message) for f in evidence.findings[:10]),
                                 tuple(f.requirement for f in evidence.findings))
    if evidence.stopped or evidence.inconclusive:
        pytest.skip(evidence.stopped or next(iter(evidence.inconclusive.values())))
    return result


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    if not _is_suite_item(item):
        return
    rep = outcome.get_result()
    kit: KitConfig = item.config.stash[KIT_KEY]
    ids = _req_ids(item)
    trace = item.stash.get(TRACE_KEY, None)
    evidence = item.stash.get(EVIDENCE_KEY, None) or Evidence(ids)
    if call.when == "call" or (call.when == "setup" and (rep.failed or rep.skipped)):
        result = TestResult(item.nodeid, ids, "passed", duration=call.duration)
        if trace is not None:
            result.trace = trace.to_dicts()
            if trace.firehose_evidence:
                kit.firehose_evidence[item.nodeid] = set(trace.firehose_evidence)
        exc = call.excinfo.value if call.excinfo else None
        if call.when == "setup" and isinstance(exc, ConformanceFailure):
            # A target fault met while setting the test up (a refused exchange declare) is the target's finding.
            for req_id in exc.requirements or ids[:1]:
                evidence.findings.append(Finding(req_id, f"{req_id}/setup", "conformance", str(exc)))
            evidence.stop(f"setting the test up failed: {exc}")
        if call.when == "setup" and rep.skipped and str(exc).startswith("capability absent"):
            result.outcome, result.message = TEST_CAPABILITY_ABSENT, str(exc)
        elif call.when == "setup" and rep.skipped and str(exc).startswith("not run:"):
            result.outcome, result.message = TEST_ABORTED, str(exc)[len("not run: "):]
        elif rep.failed and not evidence.findings:
            what = "kit error" if isinstance(exc, KitFault) else f"kit error (unexpected {type(exc).__name__})"
            result.outcome, result.message = TEST_KIT_ERROR, mask(f"{what}: {exc}")
            rep.sections.append(("kit fault", "the kit could not run this check; this says nothing about the target"))
        else:
            result.statuses = evidence.statuses()
            result.outcome = "failed" if evidence.findings else "passed"
            result.reproduce = kit.reproduce(tuple(f.requirement for f in evidence.findings), item.nodeid) \
                if evidence.findings else ""
            result.findings = [dict(_bounded(f.to_dict()), message=mask(f.message)) for f in evidence.findings]
            result.message = mask(evidence.findings[0].message) if evidence.findings else (evidence.stopped or "")
            if evidence.findings:
                rep.sections.append(("reproduce", result.reproduce))
        _after_target_check(item, kit, result)
        kit.results.append(result)
        if result.findings:
            _mark_accepted(rep, kit, result)
    if rep.longrepr is not None and not isinstance(rep.longrepr, tuple):
        # Tracebacks show argument values (a URI, a session); a password in them is masked like everywhere else.
        text = str(rep.longrepr)
        if mask(text) != text:
            rep.longrepr = mask(text)
    if rep.failed and trace is not None:
        rep.sections.append(("AMQP messages the kit sent and received (as delivered to its own queues)",
                             mask(trace.render())))
        title = "as seen at the broker (firehose)" if trace.broker is not None else "as seen at the broker"
        text = trace.render_broker()
        state = kit.session_state
        if trace.broker is None and state is not None and state.observer == "firehose":
            text = "(the firehose ran, but this test's messages went through a link it does not watch)"
        rep.sections.append((title, mask(text)))
    if rep.failed:
        state = kit.session_state
        if state is not None and state.launched is not None:
            rep.sections.append(("target output (tail)", mask(state.launched.output_tail())))


_MAX_FINDING_MESSAGES = 5


def _bounded(finding: dict) -> dict:
    """A finding as the report keeps it: a few messages at most (their bodies are bounded already)."""
    messages = finding.get("messages") or []
    if len(messages) > _MAX_FINDING_MESSAGES:
        finding = dict(finding, messages=messages[:_MAX_FINDING_MESSAGES],
                       messages_truncated=f"{len(messages)} messages, first {_MAX_FINDING_MESSAGES} kept")
    return finding


# Rules that say, among other things, that the server goes on serving (a target that exits breaks them).
SERVING_RULES = ("MAL-9", "MAL-5", "MAL-12", "CONN-10")


def _after_target_check(item: pytest.Item, kit: "KitConfig", result: TestResult) -> None:
    """A target the kit started that exited, or went silent, during a test is that test's finding, under the serving
    rule the test examines. The kit then starts it again where it may (after a crash-prone test, which run last on
    purpose, or while --restart-target allows) and goes on; otherwise the run ends and what is left is not
    examined."""
    state = kit.session_state
    launched = getattr(state, "launched", None) if state is not None else None
    if launched is None or result.outcome in (TEST_ABORTED, TEST_CAPABILITY_ABSENT) \
            or (kit.aborted and kit.aborted != getattr(state, "silent_reason", None)):
        return
    silent = kit.aborted
    if silent and "never served" in silent:
        return  # nothing to start again: it never came up
    if not silent and launched.alive():
        return
    crash_prone = item.get_closest_marker("crash_prone") is not None
    if silent and not (crash_prone or kit.restarts_left > 0):
        return  # the run ends as the session decided; the test's own waits recorded what went unanswered
    what = (f"the target went silent during {item.nodeid} ({silent})" if silent else
            f"the target exited during {item.nodeid} (exit status {launched.process.returncode})")
    # Charged to every rule of the test that says the target keeps serving; else to its first requirement.
    serving = [r for r in result.requirements if r in SERVING_RULES] or [(result.requirements or ("RPC-REPLY-9",))[0]]
    for requirement in serving:
        finding = Finding(requirement, f"{requirement}/target-{'silent' if silent else 'exited'}",
                          "the target serving on", what)
        result.findings.append(dict(finding.to_dict(), message=mask(finding.message)))
        result.statuses[requirement] = ("failed", finding.message)
    requirement = serving[0]
    if result.outcome == "passed":
        result.outcome = "failed"
    result.reproduce = result.reproduce or kit.reproduce((requirement,), item.nodeid)
    if crash_prone or kit.restarts_left > 0:
        try:
            launched.stop()
            state.relaunch()
            if not crash_prone:
                kit.restarts_left -= 1
            kit.aborted = None
            return
        except Exception as exc:  # a target that cannot start again ends the run like any exit
            what += f"; starting it again failed: {exc}"
    kit.aborted = what
    item.session.shouldstop = kit.aborted


def _mark_accepted(rep: Any, kit: "KitConfig", result: TestResult) -> None:
    """A test whose every finding a baseline entry accepts, or that only breaks SHOULD/MAY, is not a red test."""
    verdicts = []
    for finding in result.findings:
        req = kit.registry.requirements.get(finding["requirement"])
        entry = kit.baseline.accepting(finding["requirement"], finding["code"], finding["message"])
        if entry is not None:
            verdicts.append(f"{finding['requirement']}: known deviation ({entry.names})")
        elif req is not None and (req.strength == "MAY" or (req.strength == "SHOULD" and not kit.strict)):
            verdicts.append(f"{finding['requirement']}: {'non-strict' if req.strength == 'SHOULD' else 'informational'}")
        else:
            return
    rep.outcome = "skipped"
    rep.wasxfail = "; ".join(verdicts)


def pytest_itemcollected(item: pytest.Item) -> None:
    ids = _req_ids(item)
    if ids:
        item.user_properties.append(("requirements", ",".join(ids)))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    kit = config.stash.get(KIT_KEY, None)
    if kit is None or not kit.requested:
        return None
    lines = [f"nameko-conformance: spec registry {kit.registry.source}"]
    if kit.target_uri:
        lines.append(f"target: {mask(kit.target_uri)}")
    if kit.target_cmd:
        lines.append(f"target command: {kit.target_cmd}")
    if kit.client_cmd:
        lines.append(f"client driver: {kit.client_cmd}" + (" (client-only run)" if kit.client_only else ""))
    if kit.baseline.path:
        lines.append(f"baseline: {kit.baseline.path} ({len(kit.baseline.reasons)} known deviations)")
    # The broker and the observer: the start-up check's own header lines (startup.StartupCheck), once resolved.
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    kit = session.config.stash.get(KIT_KEY, None)
    if kit is None or not kit.results:
        return
    if kit.aborted:
        done = {r.nodeid for r in kit.results}
        kit.results += [TestResult(i.nodeid, _req_ids(i), TEST_ABORTED, message=kit.aborted)
                        for i in kit.items if i.nodeid not in done]
    document = reporting.build(kit)
    session.config.stash[reporting.DOCUMENT_KEY] = document
    if kit.report_dir:
        reporting.write(document, Path(kit.report_dir))
    if not document["summary"]["gate"] and session.exitstatus in (0, pytest.ExitCode.INTERRUPTED):
        # A run the kit ended early (the target exited) is a failed gate, not an interrupted session.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    document = config.stash.get(reporting.DOCUMENT_KEY, None)
    if document is None:
        return
    terminalreporter.write_sep("=", "nameko conformance verdicts")
    for line in reporting.summary_lines(document):
        terminalreporter.write_line(line)
    kit = config.stash.get(KIT_KEY, None)
    if kit is not None and kit.report_dir:
        terminalreporter.write_line(f"HTML report: {(Path(kit.report_dir) / 'report.html').resolve().as_uri()}")
