"""``nameko-conformance``: run the suite against a target and/or a client driver, fuzz a target, replay a fuzz
example, list requirements, render reports, record traffic.

Exit codes of ``run``: 0 the gate passes; 1 the target fails the gate (a MUST failure, a strict SHOULD failure,
or a baseline entry that now passes); 2 interrupted; 3 kit fault only (no broker, harness error: nothing is
known about the target); 4 usage error; 5 nothing selected.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

EXIT_PASS, EXIT_FAIL, EXIT_INTERRUPTED, EXIT_KIT_FAULT, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3, 4, 5
TESTEES = {"nameko": "real nameko (2.x or 3.x, whichever is installed) serving the testee contract",
           "reference": "the reference implementation serving the testee contract"}
DRIVERS = {"nameko": "nameko_driver.py: real nameko's standalone RPC client (2.x or 3.x)",
           "reference": "reference_driver.py: the reference implementation's client"}


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error; this kit documents 4 (2 means interrupted)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nameko-conformance", description=__doc__,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="run the conformance suite (without --target: against the reference testee)")
    run.add_argument("--target", help="amqp://user:pass@host:port/vhost?service=NAME[&rpc_exchange=X]"
                                      "[&capabilities=a,b]: a service that is already running")
    run.add_argument("--target-cmd", help="command that starts the service (testee launch contract)")
    run.add_argument("--client-cmd", help="client driver command (spec chapter 16): runs the client suite; without "
                                          "--target/--target-cmd the run is client-only")
    run.add_argument("--restart-target", type=int, metavar="N",
                     help="start a kit-launched target again, up to N times, when it exits or goes silent (each time "
                          "a finding of the test it happened in); default: the run ends there")
    run.add_argument("--client-exchange", help="the client suite's RPC exchange: private (default), default "
                                               "(nameko-rpc) or a name")
    run.add_argument("--fuzz", action="store_true", help="also run the property-based fuzz tests")
    _fuzz_options(run)
    run.add_argument("--amqp-uri", help="broker to use; env NAMEKO_CONFORMANCE_AMQP_URI")
    run.add_argument("--strict", action="store_true", help="SHOULD failures fail the run")
    run.add_argument("--req", action="append", default=[], metavar="GLOB",
                     help="only requirements matching GLOB (ID like 'RPC-ERR-*' or chapter like '04-errors*')")
    run.add_argument("--capabilities", help="comma list: server, client, events-dispatch, events-handle, "
                                            "unserializable (default: all)")
    run.add_argument("--baseline", help="JSON file of known deviations, or the name of a packaged baseline "
                                        "(nameko-2.14.1, nameko-2.14.1-client, nameko-3.0.0rc11, "
                                        "nameko-3.0.0rc11-client)")
    run.add_argument("--report-dir", default="conformance-report", help="where report.json/report.md go "
                                                                         "(default ./conformance-report)")
    run.add_argument("--junitxml", help="also write JUnit XML there")
    run.add_argument("--observer", choices=("auto", "firehose", "spy"), default="auto")
    run.add_argument("--management-url", help="the management plugin's HTTP API (default http://<AMQP host>:15672), "
                                              "read for queue flags the kit cannot see over AMQP (EVT-9, TOPO-10)")
    run.add_argument("--broker", choices=("auto", "private"), default="auto",
                     help="private: start a private RabbitMQ node and observe with the firehose")
    _output_options(run)
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    fuzz = sub.add_parser("fuzz", help="run only the property-based fuzz tests against a target "
                                       "(without --target: the reference testee)")
    for name in ("--target", "--target-cmd", "--amqp-uri", "--capabilities", "--baseline", "--junitxml"):
        fuzz.add_argument(name)
    fuzz.add_argument("--report-dir", default="conformance-report")
    fuzz.add_argument("--strict", action="store_true")
    fuzz.add_argument("--req", action="append", default=[], metavar="GLOB")
    fuzz.add_argument("--observer", choices=("auto", "firehose", "spy"), default="auto")
    fuzz.add_argument("--management-url", help="as for run")
    fuzz.add_argument("--broker", choices=("auto", "private"), default="auto")
    _output_options(fuzz)
    fuzz.add_argument("pytest_args", nargs="*")
    _fuzz_options(fuzz)
    replay = sub.add_parser("replay", help="re-send a message saved by a failing fuzz example and show the outcome")
    replay.add_argument("message_file")
    replay.add_argument("--target", help="a running service to send it to")
    replay.add_argument("--target-cmd", help="a command that starts the service (default: the reference testee)")
    replay.add_argument("--amqp-uri", help="broker (default: the target's, or 127.0.0.1)")
    replay.add_argument("--timeout", type=float, default=10.0)
    lister = sub.add_parser("list", help="list requirements, their levels and the tests that cite them")
    lister.add_argument("--level", action="append", default=[], metavar="LEVEL",
                        help="only these levels (MUST also lists MUST NOT; SHOULD also SHOULD NOT); repeatable or "
                             "comma list")
    lister.add_argument("--role", action="append", default=[], metavar="ROLE",
                        help="only these roles (server, client, dispatcher, handler, observer, testee, driver, any)")
    lister.add_argument("--chapter", action="append", default=[], metavar="CHAPTER",
                        help="only these chapters: a number (04), a name (04-errors) or a glob (0*)")
    testee = sub.add_parser("testee", help="run a testee the kit ships (for --target-cmd), e.g. "
                                           "--target-cmd 'nameko-conformance testee nameko'")
    testee.add_argument("name", choices=sorted(TESTEES), help="; ".join(f"{k}: {v}" for k, v in TESTEES.items()))
    driver = sub.add_parser("driver", help="run a client driver the kit ships (for --client-cmd), e.g. "
                                           "--client-cmd 'nameko-conformance driver nameko'")
    driver.add_argument("name", choices=sorted(DRIVERS), help="; ".join(f"{k}: {v}" for k, v in DRIVERS.items()))
    validate = sub.add_parser("validate", help="judge one wire message, a fixture file or a JSON-lines capture "
                                               "(FILE or - for standard input) against the spec")
    validate.add_argument("file", help="a message object (fixture form), a fixture file, or JSON lines; - reads stdin")
    validate.add_argument("--role", choices=("request", "reply", "event"),
                          help="what the messages are (default: the message's role, else inferred from where it "
                               "was published)")
    draft = sub.add_parser("baseline", help="draft a baseline that accepts exactly the findings of a report.json "
                                             "(reasons carried over from --previous)")
    draft.add_argument("json_report")
    draft.add_argument("--previous", help="an earlier baseline whose reasons, evidence and spec deviations to keep")
    draft.add_argument("--output", help="write it there (default: stdout)")
    rep = sub.add_parser("report", help="render report.md (and the summary) from a report.json")
    rep.add_argument("json_report")
    rep.add_argument("--output", help="write Markdown there (default: stdout)")
    for name in ("replay", "list", "testee", "driver", "report"):
        sub.choices[name].add_argument("--debug", action="store_true", help="show the traceback of a kit error")
    sub.add_parser("matrix", help="run the kit against every port, the reference and nameko, and write the "
                                  "compatibility table (matrix --help)", add_help=False)
    rec = sub.add_parser("record", help="record real traffic into fixture files (capture.recorder)", add_help=False)
    rec.add_argument("recorder_args", nargs=argparse.REMAINDER)
    return parser


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="no progress lines (chapters, private node, fuzzing): for CI logs")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks of start-up failures and kit errors (otherwise one message)")


def _fuzz_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fuzz-examples", type=int, help="examples per fuzz property (default 50)")
    parser.add_argument("--fuzz-seconds", type=float, help="time budget per fuzz property")
    parser.add_argument("--fuzz-seed", help="'derandomize' (default), 'random' (printed) or an integer")


def _run(args: argparse.Namespace, only_fuzz: bool = False) -> int:
    import pytest

    report_dir = Path(args.report_dir)
    # nameko's own pytest plugin (installed with nameko) only warns about eventlet here: the kit never uses it.
    argv = ["-p", "no:cacheprovider", "-p", "no:pytest_nameko", "-q", "--pyargs", "nameko_conformance.suite",
            # one token per option: pytest takes a separate existing path (the report dir) as a rootdir candidate
            f"--report-dir={report_dir}"]
    if not (only_fuzz or args.fuzz):
        # Foreign pytest plugins (hypothesis among them) cost about a second at start-up and nothing here needs
        # them unless fuzzing: load only the kit's own.
        argv += ["--disable-plugin-autoload", "-p", "nameko_conformance.plugin"]
    if only_fuzz:
        argv += ["-m", "fuzz"]
    elif args.fuzz:
        argv.append("--fuzz")
    for option in ("target", "target_cmd", "client_cmd", "client_exchange", "capabilities", "baseline", "junitxml",
                   "observer", "broker", "fuzz_examples", "fuzz_seconds", "fuzz_seed", "restart_target",
                   "management_url"):
        value = getattr(args, option, None)
        if value:
            argv.append(f"--{option.replace('_', '-')}={value}")
    if args.amqp_uri:
        argv += ["--conformance-amqp-uri", args.amqp_uri]
    if args.strict:
        argv.append("--conformance-strict")
    if args.quiet:
        argv.append("--conformance-quiet")
    if args.debug:
        argv.append("--conformance-debug")
    for glob in args.req:
        argv += ["--req", glob]
    argv += args.pytest_args
    # This command runs inside the kit's own package, which is therefore imported before pytest could rewrite
    # its asserts; the kit reports through its own verify helpers, so the warning is noise.
    argv += ["-W", "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"]
    started = time.time()
    code = pytest.main(argv)
    if code == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_USAGE
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return EXIT_NOTHING
    if code == EXIT_KIT_FAULT:  # the start-up check's code (startup.py), and pytest's internal error
        return EXIT_KIT_FAULT
    report = report_dir / "report.json"
    if not report.is_file() or report.stat().st_mtime < started - 1:  # none, or one left by an earlier run
        return EXIT_KIT_FAULT if code else EXIT_PASS
    summary = json.loads(report.read_text("utf-8"))["summary"]
    target_failed = any(v in summary["counts"] for v in ("fail", "stale baseline"))
    if target_failed:
        return EXIT_FAIL
    if summary["kit_errors"]:
        return EXIT_KIT_FAULT
    return EXIT_PASS if code == 0 else EXIT_FAIL


def _cited_by_tests() -> dict[str, list[str]]:
    """Requirement ID → the suite tests whose ``req`` marker cites it (read from the source, nothing imported)."""
    import ast

    cited: dict[str, list[str]] = {}
    for module in sorted((Path(__file__).parent / "suite").glob("test_*.py")):
        tree = ast.parse(module.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                for deco in node.decorator_list:
                    if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "req":  # noqa: SIM102
                        for arg in deco.args:
                            if isinstance(arg, ast.Constant):
                                cited.setdefault(arg.value, []).append(f"{module.stem}::{node.name}")
    return cited


def _words(values: list[str]) -> list[str]:
    return [w.strip() for value in values for w in value.split(",") if w.strip()]


def requirement_filter(levels: list[str], roles: list[str], chapters: list[str]):
    """A predicate on requirements for ``list``: levels by strength, roles exactly, chapters by number/name/glob."""
    import fnmatch

    levels = [w.upper() for w in _words(levels)]
    roles = [w.lower() for w in _words(roles)]
    chapters = _words(chapters)

    def chapter_matches(chapter: str, wanted: str) -> bool:
        name = chapter.removesuffix(".md")
        return (fnmatch.fnmatchcase(name, wanted) or fnmatch.fnmatchcase(chapter, wanted)
                or name.split("-", 1)[0] == wanted.zfill(2) or name == wanted.removesuffix(".md"))

    def keep(req) -> bool:
        return ((not levels or req.level in levels or req.level.split()[0] in levels)
                and (not roles or req.role in roles)
                and (not chapters or any(chapter_matches(req.chapter, c) for c in chapters)))
    return keep


def _list(args: argparse.Namespace) -> int:
    from nameko_conformance.registry import load_registry

    registry = load_registry()
    keep = requirement_filter(args.level, args.role, args.chapter)
    chosen = [req for req in registry.requirements.values() if keep(req)]
    cited = _cited_by_tests()
    filters = "; ".join(f"{name} {', '.join(_words(values))}" for name, values in
                        (("level", args.level), ("role", args.role), ("chapter", args.chapter)) if values)
    print(f"# {len(chosen)} of {len(registry.requirements)} requirements (spec {getattr(registry, 'version', '?')})"
          + (f", filtered by {filters}" if filters else ""))
    print(f"{'ID':<13} {'LEVEL':<11} {'ROLE':<10} {'CHAPTER':<26} TESTS (or why none)")
    for req in chosen:
        status = ", ".join(cited.get(req.id, [])) or (
            f"untestable: {req.untestable_reason}" if not req.testable else
            f"needs client driver: {req.needs_client_driver}" if req.needs_client_driver else "NOT COVERED")
        print(f"{req.id:<13} {req.level:<11} {req.role:<10} {req.chapter.removesuffix('.md'):<26} {status}")
    if not chosen:
        print("(no requirement matches)", file=sys.stderr)
        return EXIT_NOTHING
    return EXIT_PASS


def _driver(args: argparse.Namespace) -> int:
    """Replaces this process with the driver; it reads the job on stdin and writes outcomes on stdout."""
    from nameko_conformance.startup import kit_data_dir

    script = kit_data_dir("drivers") / f"{args.name}_driver.py"
    os.execv(sys.executable, [sys.executable, str(script)])
    return EXIT_KIT_FAULT  # not reached


def _testee(args: argparse.Namespace) -> int:
    """Replaces this process with the testee, so the kit's SIGTERM reaches it directly."""
    from nameko_conformance.startup import kit_data_dir

    if args.name == "reference":
        os.execv(sys.executable, [sys.executable, "-m", "nameko_reference.testee"])
    import importlib.util
    if importlib.util.find_spec("nameko") is None:
        print("nameko-conformance testee nameko: nameko is not installed in this interpreter "
              f"({sys.executable}); pip install nameko==2.14.1 (or 3.0.0rc11)", file=sys.stderr)
        return EXIT_KIT_FAULT
    testees = kit_data_dir("testees")
    os.chdir(testees)  # nameko run imports the service module from the working directory
    os.execv(sys.executable, [sys.executable, "-m", "nameko", "run", "--config", str(testees / "nameko_testee.yaml"),
                              "nameko_testee"])
    return EXIT_KIT_FAULT  # not reached


def _report(args: argparse.Namespace) -> int:
    from nameko_conformance.report import markdown, summary_lines

    document = json.loads(Path(args.json_report).read_text("utf-8"))
    text = markdown(document)
    if args.output:
        from nameko_conformance import html_report
        Path(args.output).write_text(text, "utf-8")
        html = Path(args.output).with_suffix(".html")
        html.write_text(html_report.render(document), "utf-8")
        print("\n".join(summary_lines(document)))
        print(f"HTML report: {html.resolve().as_uri()}")
    else:
        print(text)
    return EXIT_PASS if document["summary"]["gate"] else EXIT_FAIL


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv[: argv.index("--")] if "--" in argv else "--debug" in argv
    try:
        return _dispatch(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`nameko-conformance list | head`): not an error. Point stdout at /dev/null so the
        # interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # one message, not a traceback, unless --debug
        from nameko_conformance.uri import mask
        if debug:
            raise
        print(mask(f"nameko-conformance: kit error: {type(exc).__name__}: {exc}") +
              " (run again with --debug for the traceback)", file=sys.stderr)
        return EXIT_KIT_FAULT


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["matrix"]:
        from nameko_conformance import matrix
        return matrix.main(argv[1:]) or 0
    if argv[:1] == ["record"]:
        from nameko_conformance.capture import recorder
        return recorder.main(argv[1:]) or 0
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "fuzz":
        return _run(args, only_fuzz=True)
    if args.command == "replay":
        from nameko_conformance.fuzz.replay import main as replay_main
        return replay_main(args)
    if args.command == "list":
        return _list(args)
    if args.command == "testee":
        return _testee(args)
    if args.command == "driver":
        return _driver(args)
    if args.command == "baseline":
        from nameko_conformance.baseline import draft_from_report
        previous = json.loads(Path(args.previous).read_text("utf-8")) if args.previous else None
        text = json.dumps(draft_from_report(json.loads(Path(args.json_report).read_text("utf-8")), previous),
                          indent=2, ensure_ascii=False) + "\n"
        if args.output:
            Path(args.output).write_text(text, "utf-8")
        else:
            sys.stdout.write(text)
        return EXIT_PASS
    if args.command == "validate":
        from nameko_conformance import validate
        return validate.main(args.file, args.role)
    return _report(args)


if __name__ == "__main__":
    sys.exit(main())
