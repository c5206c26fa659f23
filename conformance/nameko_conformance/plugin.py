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
from nameko_conformance.baseline import Baseline
from nameko_conformance.outcomes import ConformanceFailure, Inconclusive, KitFault
from nameko_conformance.registry import load_registry
from nameko_conformance.trace import Trace
from nameko_conformance.uri import mask
from nameko_conformance.verdicts import TestResult, failure_verdict

SUITE_DIR = Path(__file__).resolve().parent / "suite"
KIT_KEY = pytest.StashKey["KitConfig"]()
DEFAULT_FUZZ_EXAMPLES = 50
TRACE_KEY = pytest.StashKey[Trace]()


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
        self.client_cmd = pick("client_cmd", "conformance_client_cmd")
        self.client_only = bool(self.client_cmd) and not (self.target_uri or self.target_cmd)
        self.fuzz = bool(config.getoption("fuzz")) or "fuzz" in (config.getoption("markexpr", "") or "")
        self.fuzz_examples = config.getoption("fuzz_examples") or DEFAULT_FUZZ_EXAMPLES
        self.fuzz_seconds = config.getoption("fuzz_seconds")
        self.fuzz_seed = config.getoption("fuzz_seed") or "derandomize"
        self.requested = bool(self.target_uri or self.target_cmd or self.client_cmd or self.broker_mode == "private")
        self.registry = load_registry()
        self.baseline = Baseline.load(self.baseline_path, set(self.registry.requirements))
        self.results: list[TestResult] = []
        # per test node id: the requirement IDs whose verdict rests on what the broker saw (the firehose)
        self.firehose_evidence: dict[str, set[str]] = {}
        self.session_state: Any = None  # the running KitSession, set by the suite's session fixture
        self.client_state: Any = None   # the running ClientSession, set by the client suite's fixture
        self.started = time.time()

    def reproduce(self, req_ids: tuple[str, ...], nodeid: str) -> str:
        parts = ["nameko-conformance", "run"]
        if self.target_uri:
            parts += ["--target", mask(self.target_uri)]
        if self.target_cmd:
            parts += ["--target-cmd", self.target_cmd]
        if self.client_cmd:
            parts += ["--client-cmd", self.client_cmd]
        if self.capabilities:
            parts += ["--capabilities", self.capabilities]
        for req_id in req_ids[:1] or ():
            parts += ["--req", req_id]
        return shlex.join(parts) + f"    # or: pytest {shlex.quote(nodeid)}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "req(*ids): the spec requirement IDs a conformance test checks")
    config.addinivalue_line("markers", "capability(name): the target capability a conformance test needs")
    config.addinivalue_line("markers", "client_driver: a client conformance test; runs only with --client-cmd")
    config.addinivalue_line("markers", "fuzz: a property-based fuzz test; runs only with --fuzz or -m fuzz")
    kit = KitConfig(config)
    config.stash[KIT_KEY] = kit
    if kit.requested and config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        config.args = [str(SUITE_DIR)]


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
    if kit.req_globs:
        wanted = kit.registry.matching(kit.req_globs) | {g for g in kit.req_globs if g in kit.registry}
        keep, drop = [], []
        for item in items:
            ids = _req_ids(item)
            (keep if ids and set(ids) & wanted or any(fnmatch.fnmatch(item.nodeid, g) for g in kit.req_globs)
             else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep


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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    outcome = yield
    if not _is_suite_item(item):
        return
    rep = outcome.get_result()
    kit: KitConfig = item.config.stash[KIT_KEY]
    ids = _req_ids(item)
    trace = item.stash.get(TRACE_KEY, None)
    if call.when == "call" or (call.when == "setup" and (rep.failed or rep.skipped)):
        result = TestResult(item.nodeid, ids, "passed", duration=call.duration)
        if trace is not None:
            result.trace = trace.to_dicts()
            if trace.firehose_evidence:
                kit.firehose_evidence[item.nodeid] = set(trace.firehose_evidence)
        exc = call.excinfo.value if call.excinfo else None
        if rep.skipped and isinstance(exc, pytest.skip.Exception):
            reason = str(exc)
            result.outcome = "capability-absent" if reason.startswith("capability absent") else "inconclusive"
            result.message = reason
        elif isinstance(exc, Inconclusive):
            result.outcome, result.message = "inconclusive", f"inconclusive: {exc}"
            rep.outcome, rep.longrepr = "skipped", (str(item.path), item.location[1] or 0, result.message)
        elif rep.failed:
            _classify_failure(item, rep, exc, kit, ids, result, trace)
        kit.results.append(result)
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


def _classify_failure(item: pytest.Item, rep: Any, exc: BaseException | None, kit: KitConfig,
                      ids: tuple[str, ...], result: TestResult, trace: Trace | None) -> None:
    session_state = kit.session_state
    if isinstance(exc, KitFault) or rep.when == "setup":
        result.outcome, result.message = "kit-error", mask(f"kit error: {exc!r}")
        rep.sections.append(("kit fault", "the kit could not run this check; this says nothing about the target"))
        return
    failing = tuple(getattr(exc, "requirements", ()) or ()) or ids
    result.outcome, result.failing = "failed", failing
    result.message = mask(str(exc).splitlines()[0] if str(exc) else repr(exc))
    if not isinstance(exc, ConformanceFailure):
        result.message = mask(f"unexpected {type(exc).__name__}: {exc}")
    result.reproduce = kit.reproduce(failing, item.nodeid)
    rep.sections.append(("reproduce", result.reproduce))
    if session_state is not None and session_state.launched is not None:
        rep.sections.append(("target output (tail)", mask(session_state.launched.output_tail())))
    verdicts = {i: failure_verdict(kit.registry[i].strength, i, kit.strict, kit.baseline)
                for i in failing if i in kit.registry}
    if verdicts and all(v != "fail" for v in verdicts.values()):
        label = "; ".join(f"{i}: {v}" for i, v in verdicts.items())
        rep.outcome = "skipped"
        rep.wasxfail = label
    item.user_properties.append(("failing_requirements", ",".join(failing)))


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
    if kit.broker_mode == "private":
        lines.append("broker: a private RabbitMQ node the kit starts; observer: " +
                     ("the kit's own and spy queues" if kit.observer == "spy" else "firehose"))
    else:
        lines.append(f"broker: resolved at start (see the verdicts); observer: {kit.observer} "
                     "(the firehose needs a broker the kit owns: --broker private)")
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    kit = session.config.stash.get(KIT_KEY, None)
    if kit is None or not kit.results:
        return
    document = reporting.build(kit)
    session.config.stash[reporting.DOCUMENT_KEY] = document
    if kit.report_dir:
        reporting.write(document, Path(kit.report_dir))
    if not document["summary"]["gate"] and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    document = config.stash.get(reporting.DOCUMENT_KEY, None)
    if document is None:
        return
    terminalreporter.write_sep("=", "nameko conformance verdicts")
    for line in reporting.summary_lines(document):
        terminalreporter.write_line(line)
