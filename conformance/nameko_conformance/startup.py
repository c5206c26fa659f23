"""Start-up checks: every mistake in the options, and every broker or target that cannot be used, is found before
any test runs and reported as ONE message with the documented exit code (4 usage, 3 environment).

``usage_problems`` is pure (options in, messages out); ``StartupCheck`` is the pytest plugin object that runs it,
resolves the broker before the terminal header is written (so the header can name it) and starts the target
after collection, when the selected tests need one.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shlex
import shutil
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nameko_conformance.outcomes import KitFault
from nameko_conformance.uri import CAPABILITIES, mask, parse_target

EXIT_ENVIRONMENT, EXIT_USAGE = 3, 4
_PACKAGE_DIR = Path(__file__).resolve().parent
KIT_DATA_NAMES = ("baselines", "testees", "drivers")
# Words a shell runs itself: a command starting with one cannot be looked up on PATH.
_SHELL_WORDS = {"cd", "exec", ".", "source", "env", "export", "set", "eval", "command", "time", "nice", "nohup",
                "(", "{", "if", "for", "while", "case", "!", "[", "test", "true", "false", "sh", "bash"}


class StartupError(Exception):
    """A problem found before any test runs; ``exit_code`` is 4 (usage) or 3 (environment)."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


# -- packaged data (baselines, testees, drivers) -----------------------------------------------------------------

def kit_data_dir(name: str) -> Path:
    """``baselines``, ``testees`` or ``drivers``: in the wheel under ``_data/``, in a checkout beside the package."""
    if name not in KIT_DATA_NAMES:
        raise ValueError(f"unknown kit data {name!r}; expected one of {KIT_DATA_NAMES}")
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the kit's {name}/ are missing; reinstall nameko-wire-kit")


def packaged_baselines() -> dict[str, Path]:
    """Baseline name (file stem, e.g. ``nameko-2.14.1-client``) → file."""
    try:
        directory = kit_data_dir("baselines")
    except FileNotFoundError:
        return {}
    return {path.stem: path for path in sorted(directory.glob("*.json"))}


def resolve_baseline(value: str) -> Path:
    """A baseline file path, or the name of a packaged baseline; raises StartupError (usage) when neither."""
    path = Path(value).expanduser()
    if path.is_file():
        return path
    packaged = packaged_baselines()
    name = value.removesuffix(".json")
    if name in packaged and os.sep not in value:
        return packaged[name]
    known = ", ".join(packaged) or "none"
    raise StartupError(f"--baseline {value}: no such file, and no packaged baseline of that name "
                       f"(packaged: {known})", EXIT_USAGE)


# -- usage -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    target_uri: str | None = None
    target_cmd: str | None = None
    client_cmd: str | None = None
    capabilities: str | None = None
    baseline: str | None = None
    amqp_uri: str | None = None
    observer: str = "auto"
    broker_mode: str = "auto"


def usage_problems(options: Options, known_requirements: set[str] | None = None) -> list[str]:
    """Every mistake in the options, one sentence each; empty when they are usable."""
    problems: list[str] = []
    if options.capabilities:
        problems += _capability_problems(options.capabilities, "--capabilities")
    if options.target_uri:
        scheme = urlsplit(options.target_uri).scheme
        if scheme not in ("amqp", "amqps"):
            problems.append(f"--target {mask(options.target_uri)}: the target is reached over AMQP, so its URI "
                            f"starts with amqp:// or amqps://, not {scheme + '://' if scheme else 'no scheme'} "
                            f"(e.g. amqp://guest:guest@127.0.0.1:5672/%2F?service=NAME)")
        elif not options.capabilities and dict(_query(options.target_uri)).get("capabilities") is not None:
            problems += _capability_problems(dict(_query(options.target_uri))["capabilities"],
                                             "the target URI's capabilities")
    if options.amqp_uri and urlsplit(options.amqp_uri).scheme not in ("amqp", "amqps"):
        problems.append(f"--amqp-uri {mask(options.amqp_uri)}: a broker URI starts with amqp:// or amqps://")
    for flag, command in (("--target-cmd", options.target_cmd), ("--client-cmd", options.client_cmd)):
        if command is not None:
            problem = command_problem(command)
            if problem:
                problems.append(f"{flag} {command!r}: {problem}")
    if options.baseline:
        try:
            path = resolve_baseline(options.baseline)
        except StartupError as exc:
            problems.append(str(exc))
        else:
            problems += _baseline_problems(path, known_requirements)
    if options.observer == "firehose" and options.broker_mode != "private":
        problems.append("--observer firehose needs a broker the kit owns: add --broker private "
                        "(the kit never switches the firehose on on a shared broker)")
    return problems


def _query(uri: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl
    return parse_qsl(urlsplit(uri).query)


def _capability_problems(text: str, where: str) -> list[str]:
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    problems = []
    for name in chosen:
        if name not in CAPABILITIES:
            close = difflib.get_close_matches(name, CAPABILITIES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{where}: unknown capability {name!r}{hint}; known: {', '.join(CAPABILITIES)}")
    if where and not chosen:
        problems.append(f"{where}: empty; give a comma list of {', '.join(CAPABILITIES)}")
    return problems


def command_problem(command: str) -> str | None:
    """Why ``command`` cannot start, when that can be told without running it (the executable is missing)."""
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return f"cannot be split into words ({exc})"
    while words and "=" in words[0] and not words[0].startswith(("=", "/", ".")):
        words = words[1:]  # VAR=value prefixes
    if not words:
        return "is empty"
    program = words[0]
    if program in _SHELL_WORDS or any(c in program for c in "$`*?"):
        return None  # the shell decides; a failure shows when the target starts
    if "/" in program:
        path = Path(program).expanduser()
        if not path.exists():
            return f"{program} does not exist (relative to {Path.cwd()})" if not path.is_absolute() else \
                f"{program} does not exist"
        if path.is_dir() or not os.access(path, os.X_OK):
            return f"{program} is not executable"
        return None
    if shutil.which(program) is None:
        return f"{program}: command not found on PATH"
    return None


def own_command(command: str) -> str:
    """``nameko-conformance testee nameko`` runs with this interpreter when the console script is not on PATH (a
    virtualenv used without activating it), so the packaged testees and drivers work from any shell."""
    head, _, rest = command.strip().partition(" ")
    if head != "nameko-conformance" or shutil.which(head) is not None:
        return command
    return f"{shlex.quote(sys.executable)} -m nameko_conformance.cli {rest}".rstrip()


def _baseline_problems(path: Path, known_requirements: set[str] | None) -> list[str]:
    """What the kit's own baseline loader says of the file (it is the one that will read it)."""
    from nameko_conformance.baseline import Baseline
    try:
        Baseline.load(str(path), known_requirements if known_requirements is not None else _AnyId())
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        text = str(exc)
        return [text if str(path) in text else f"--baseline {path}: {text or type(exc).__name__}"]
    return []


class _AnyId:
    """A set of requirement IDs that contains every ID (when the registry is not at hand)."""

    def __contains__(self, item: object) -> bool:
        return True


def fuzz_option_problems(seed: str | None, examples: int | None, seconds: float | None) -> list[str]:
    problems = []
    if seed is not None and seed not in ("derandomize", "random"):
        try:
            int(seed)
        except ValueError:
            problems.append(f"--fuzz-seed {seed}: give 'derandomize', 'random' or an integer")
    if examples is not None and examples < 1:
        problems.append(f"--fuzz-examples {examples}: give at least 1")
    if seconds is not None and seconds <= 0:
        problems.append(f"--fuzz-seconds {seconds:g}: give a positive number of seconds")
    return problems


def usage_message(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"nameko-conformance: {problems[0]}"
    return "nameko-conformance: " + f"{len(problems)} problems with the options:\n  " + "\n  ".join(problems)


# -- the pytest side -----------------------------------------------------------------------------------------------

def options_from(kit: Any) -> Options:
    return Options(kit.target_uri, kit.target_cmd, kit.client_cmd, kit.capabilities, kit.baseline_path,
                   kit.amqp_uri, kit.observer, kit.broker_mode)


def describe_error(exc: BaseException, debug: bool) -> str:
    """One message for a start-up failure; the traceback only with --conformance-debug."""
    text = mask(str(exc)) or type(exc).__name__
    if not isinstance(exc, (KitFault, StartupError)):
        text = f"{type(exc).__name__}: {text}"
    if debug:
        text += "\n" + mask("".join(traceback.format_exception(exc)))
    return text


class StartupCheck:
    """pytest plugin: resolves the broker before the header is written (when the session asks for the kit) and
    starts the target after collection, before any test runs, when the selected tests need it.

    A failure ends the session at once with one message and exit code 3; nothing it started is left running.
    """

    SESSION_FIXTURES = ("conformance_session", "client_session")

    def __init__(self, kit: Any, debug: bool, write=None, header_shown: bool = True):
        self.kit = kit
        self.header_shown = header_shown
        self.debug = debug
        self.write = write or (lambda line: print(line, file=sys.stderr))
        self.broker: Any = None
        self.resolved_lines: list[str] = []
        self.session_started = False
        self.session_fixture_used = False
        self.failure: str | None = None

    def _fail(self, what: str, exc: BaseException) -> None:
        """Writes the one message; no test runs (``pytest_collection_finish`` empties the run), exit code 3."""
        from nameko_conformance import broker as brokers
        brokers.release_prepared()
        self.failure = f"nameko-conformance: {what}: {describe_error(exc, self.debug)}"
        self.write(self.failure)

    def _broker_arguments(self) -> tuple:
        """The arguments the sessions (session.py) pass to ``broker.resolve``, so they take the prepared broker."""
        kit = self.kit
        private = kit.broker_mode == "private"
        if kit.client_only:
            return kit.amqp_uri, None, True, private
        given = parse_target(kit.target_uri, kit.capabilities) if kit.target_uri else None
        return kit.amqp_uri, given.broker_uri if given and not private else None, True, private

    def resolve_broker(self) -> None:
        from nameko_conformance import broker as brokers
        if self.broker is not None:
            return
        try:
            self.broker = brokers.prepare(*self._broker_arguments())
        except Exception as exc:
            self._fail("no usable broker", exc)
            return
        owned = self.broker.node is not None and self.kit.observer in ("auto", "firehose")
        self.resolved_lines = [
            f"broker: {self.broker.description}",
            "observer: firehose (every publish, with the queues it reached) plus the kit's own queues" if owned else
            "observer: the kit's own reply queues and narrow spy queues (the firehose needs --broker private)"]

    def pytest_sessionstart(self, session: Any) -> None:
        # Runs before the terminal reporter writes the header (its hook is trylast), so the header names the broker.
        if self.kit.requested:
            self.resolve_broker()
            if not self.header_shown:
                for line in self.resolved_lines:
                    self.write(line)

    def pytest_report_header(self, config: Any) -> list[str]:
        return list(self.resolved_lines)

    def pytest_collection_finish(self, session: Any) -> None:
        if self.failure is None:
            self._start(session)
        if self.failure is not None:
            session.items.clear()  # one message, then no test: none of them could say anything about the target

    def _start(self, session: Any) -> None:
        fixtures = {name for item in session.items for name in getattr(item, "fixturenames", ())}
        if not fixtures & set(self.SESSION_FIXTURES):
            return
        if self.broker is None:
            self.resolve_broker()
            if self.failure is not None:
                return
            for line in self.resolved_lines:
                self.write(line)
        if "conformance_session" not in fixtures or self.kit.client_only:
            return
        from nameko_conformance.session import KitSession
        try:
            state = KitSession.start(self.kit)
        except Exception as exc:
            self._fail("the target could not be started", exc)
            return
        self.kit.session_state = state
        self.session_started = True
        how = "started by the kit" if state.launched is not None else "already running"
        self.write(f"target: service {state.target.service!r} on exchange {state.target.rpc_exchange!r} ({how})")

    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> None:
        if fixturedef.argname == "conformance_session":
            self.session_fixture_used = True

    def pytest_sessionfinish(self, session: Any) -> None:
        from nameko_conformance import broker as brokers
        if self.session_started and not self.session_fixture_used:
            self.kit.session_state.stop()  # started here, never handed to a test (e.g. interrupted before)
        brokers.release_prepared()
        if self.failure is not None:
            session.exitstatus = EXIT_ENVIRONMENT


# -- wiring into pytest (called from plugin.pytest_configure) ------------------------------------------------------

def _effective(config: Any, option: str, ini: str) -> Any:
    value = config.getoption(option)
    return value if value is not None else config.getini(ini)


def check_options(config: Any) -> None:
    """Raises pytest.UsageError (exit 4, one message) for a usage mistake; turns a packaged baseline name into its
    file so the rest of the kit sees a path."""
    import pytest

    from nameko_conformance.registry import load_registry

    for option, ini in (("target_cmd", "conformance_target_cmd"), ("client_cmd", "conformance_client_cmd")):
        command = _effective(config, option, ini)
        if command and own_command(command) != command:
            setattr(config.option, option, own_command(command))
    baseline = _effective(config, "baseline", "conformance_baseline")
    if baseline and not Path(baseline).expanduser().is_file():
        try:
            config.option.baseline = str(resolve_baseline(baseline))
        except StartupError:
            pass  # reported below with the other problems
        else:
            baseline = config.option.baseline
    options = Options(
        target_uri=_effective(config, "target", "conformance_target"),
        target_cmd=_effective(config, "target_cmd", "conformance_target_cmd"),
        client_cmd=_effective(config, "client_cmd", "conformance_client_cmd"),
        capabilities=_effective(config, "capabilities", "conformance_capabilities"),
        baseline=baseline,
        amqp_uri=config.getoption("conformance_amqp_uri"),
        observer=config.getoption("observer") or "auto",
        broker_mode=config.getoption("broker") or "auto",
    )
    problems = fuzz_option_problems(config.getoption("fuzz_seed"), config.getoption("fuzz_examples"),
                                    config.getoption("fuzz_seconds"))
    if any((options.target_uri, options.target_cmd, options.client_cmd, options.capabilities, options.baseline,
            options.amqp_uri, options.observer != "auto")):
        problems += usage_problems(options, set(load_registry().requirements) if options.baseline else None)
    if problems:
        raise pytest.UsageError(usage_message(problems))


def is_kit_run(config: Any, kit: Any) -> bool:
    """The session asks for the kit, or names its suite (``--pyargs nameko_conformance.suite``)."""
    suite_dir = str(_PACKAGE_DIR / "suite")
    return kit.requested or any("nameko_conformance.suite" in str(a) or str(a).startswith(suite_dir)
                                for a in config.args)


def register(config: Any, kit: Any) -> None:
    """Registers the start-up check and, unless --conformance-quiet, the progress lines."""
    from nameko_conformance import progress

    def write(line: str) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            print(line, file=sys.stderr, flush=True)
            return
        capture = config.pluginmanager.get_plugin("capturemanager")
        # Inside a test (fuzzing) output is captured; a progress line goes to the terminal now, like live logs.
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            # After a row of progress dots the line is open; the reporter's ensure_newline does not know of dots.
            if getattr(reporter._tw, "width_of_current_line", 0):
                reporter.write("\n")
            reporter.write_line(line)

    # Under -q pytest writes no header, so the start-up check writes the resolved broker as lines of its own.
    header_shown = config.get_verbosity() >= 0 and not config.getoption("no_header", False)
    config.pluginmanager.register(StartupCheck(kit, bool(config.getoption("conformance_debug")), write,
                                               header_shown=header_shown), "nameko-conformance-startup")
    if is_kit_run(config, kit) and not config.getoption("conformance_quiet"):
        progress.install(write)
        config.pluginmanager.register(progress.ChapterProgress(write, str(_PACKAGE_DIR / "suite")),
                                      "nameko-conformance-progress")
        config.add_cleanup(lambda: progress.install(None))
