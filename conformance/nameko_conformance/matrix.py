"""The compatibility matrix: the kit against every implementation, and every client against every server.

    nameko-conformance matrix [--nameko2-python P] [--nameko3-python P] [--jobs 2] [--output-dir ports]
    nameko-conformance matrix --check          # fails (exit 1) when the kept table is stale

Implementations: the reference (this interpreter, or ``--reference-python``), nameko 2.14.1 and 3.0.0rc11 (their
testee and driver under ``conformance/testees`` and ``conformance/drivers``, baselines in ``conformance/baselines``;
each only when its interpreter is given), and every port under ``ports/`` (built by ``ports/build.py``; baseline
``ports/<name>/baseline.json``). Each implementation's server (testee) and client (driver) are judged by separate
kit runs, at most ``--jobs`` at a time, each on its own private RabbitMQ node (``--broker private``, observed with
the firehose; ``--kit-broker shared`` uses the kit's broker ladder instead); their ``report.json`` verdicts are
merged per requirement. The interop grids run on the shared broker (``--amqp-uri``), under fresh service names
whose queues and exchanges are removed afterwards.

The interop grid runs every driver against every testee with one small fixed job (plain call, kwargs, a raised
error, an unknown method), and every event dispatcher against every event handler (the dispatching testee is
started under the handler's source name ``<service>_src`` and asked to ``dispatch("ping", …)``; the handler's
``events_received`` must then hold the payload).

Outputs (in ``--output-dir``): ``matrix.json`` (everything measured), ``MATRIX.md`` and ``matrix.html`` (one
self-contained page). Both texts carry a digest of the inputs (spec registry, baselines, drivers, testees, port
adapters); ``--check`` recomputes it and fails when the kept table was made from other inputs, without running.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import html
import importlib.util
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path



def find_checkout(start: Path | None = None) -> Path:
    """The repository checkout the matrix works in: the first of the working directory and its parents that has
    ``ports/build.py`` and ``spec/requirements.json``, else the checkout this module lives in."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "ports" / "build.py").is_file() and (candidate / "spec" / "requirements.json").is_file():
            return candidate
    return Path(__file__).resolve().parents[2]


REPO = find_checkout()
PORTS = REPO / "ports"
DIGEST_MARK = "inputs-digest:"
# Inputs whose change makes the kept table stale (the kit's own code is not among them: it is judged by CI).
DIGEST_GLOBS = ("spec/requirements.json", "conformance/baselines/*.json", "conformance/drivers/*.py",
                "conformance/testees/nameko_testee.*", "ports/build.py", "ports/*/port.json", "ports/*/baseline.json",
                "ports/*/*.py", "ports/*/requirements.txt", "ports/*/Cargo.toml", "ports/*/Cargo.lock",
                "ports/*/src/**/*.rs")
READY_TIMEOUT = 40.0
DRIVER_LIMIT = 40.0  # seconds for one interop job (its calls have 5 s timeouts; a client without timeouts hangs)
CALL_TIMEOUT = 5
# Verdicts that say the requirement was not judged in that run; a judged verdict of the other run wins.
UNJUDGED_PREFIX = "not "
# When both runs judged a requirement, the worse verdict is kept (first in this list is worst).
SEVERITY = ("fail", "stale baseline", "kit error", "masked", "known deviation", "non-strict", "inconclusive",
            "informational", "capability absent", "untestable black-box", "pass")
SHORT = {"pass": "pass", "fail": "FAIL", "known deviation": "known dev", "stale baseline": "STALE",
         "non-strict": "should", "informational": "may", "capability absent": "absent", "inconclusive": "?",
         "kit error": "kit err", "masked": "masked", "untestable black-box": "untestable"}


@dataclass
class Implementation:
    name: str
    label: str
    testee: str | None = None
    driver: str | None = None
    capabilities: list[str] = field(default_factory=list)
    server_baseline: Path | None = None
    client_baseline: Path | None = None
    lacks: dict = field(default_factory=dict)
    note: str = ""

    @property
    def has_events(self) -> tuple[bool, bool]:
        if not self.testee:
            return False, False
        caps = set(self.capabilities) if self.capabilities else {"events-dispatch", "events-handle"}
        return "events-dispatch" in caps, "events-handle" in caps


# ---------------------------------------------------------------------------------------------------- inputs


def inputs_digest() -> str:
    digest = hashlib.sha256()
    for pattern in DIGEST_GLOBS:
        for path in sorted(REPO.glob(pattern)):
            if path.is_file() and not path.relative_to(REPO).as_posix().startswith("ports/tests/"):
                digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _load_ports_builder():
    spec = importlib.util.spec_from_file_location("nameko_wire_kit_ports_build", PORTS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def nameko_implementation(version: str, python: str) -> Implementation:
    bindir = Path(python).parent
    testees = REPO / "conformance" / "testees"
    return Implementation(
        name=f"nameko-{version}", label=f"nameko {version}",
        testee=f"cd {shlex.quote(str(testees))} && exec {shlex.quote(str(bindir / 'nameko'))} run "
               f"--config nameko_testee.yaml nameko_testee",
        driver=f"{shlex.quote(python)} {shlex.quote(str(REPO / 'conformance' / 'drivers' / 'nameko_driver.py'))}",
        server_baseline=REPO / "conformance" / "baselines" / f"nameko-{version}.json",
        client_baseline=REPO / "conformance" / "baselines" / f"nameko-{version}-client.json")


def implementations(args: argparse.Namespace, log) -> list[Implementation]:
    python = args.reference_python or sys.executable
    found = [Implementation(
        name="reference", label="reference (this kit)",
        testee=f"{shlex.quote(python)} -m nameko_reference.testee",
        driver=f"{shlex.quote(python)} {shlex.quote(str(REPO / 'conformance' / 'drivers' / 'reference_driver.py'))}")]
    if args.nameko2_python:
        found.append(nameko_implementation("2.14.1", args.nameko2_python))
    if args.nameko3_python:
        found.append(nameko_implementation("3.0.0rc11", args.nameko3_python))
    builder = _load_ports_builder()
    for port in builder.load_ports(args.ports or None):
        try:
            built = builder.build(port)
        except builder.BuildError as error:
            log(f"{port.name}: build failed, left out of the matrix:\n{error}")
            continue
        baseline = port.directory / "baseline.json"
        found.append(Implementation(
            name=port.name, label=f"{port.name} {port.version}", testee=built.testee, driver=built.driver,
            capabilities=built.capabilities, server_baseline=baseline if baseline.exists() else None,
            client_baseline=baseline if baseline.exists() else None, lacks=port.manifest.get("lacks", {}),
            note=f"{port.manifest.get('language', '')}, {port.manifest.get('registry', '')}"))
    return [impl for impl in found if not args.only or impl.name in args.only]


# ---------------------------------------------------------------------------------------------------- kit runs


@dataclass
class RunResult:
    implementation: str
    suite: str  # server | client
    exit_code: int
    seconds: float
    verdicts: dict[str, str]
    report_dir: str
    problem: str = ""


def _suite_baseline(path: Path | None, suite: str, work: Path, name: str) -> Path | None:
    """The baseline for one suite: entries marked ``"suite"`` for the other suite are left out."""
    if path is None:
        return None
    document = json.loads(path.read_text("utf-8"))
    document["deviations"] = [entry for entry in document.get("deviations", [])
                              if entry.get("suite", suite) == suite]
    out = work / f"{name}-{suite}-baseline.json"
    out.write_text(json.dumps(document, indent=1), "utf-8")
    return out


RESTARTS = 20


def kit_run(impl: Implementation, suite: str, work: Path, timeout: float, broker: str = "private") -> RunResult:
    report_dir = work / f"{impl.name}-{suite}"
    command = [sys.executable, "-m", "nameko_conformance.cli", "run", f"--report-dir={report_dir}"]
    if broker == "private":
        # Each run gets its own RabbitMQ node: whatever a port leaves behind (girolle's client declares the queue
        # of every service it calls, unknown ones included) goes with the node, and the firehose observes.
        command.append("--broker=private")
    if suite == "server":
        # A server that crashes or goes silent on one test is started again, so one fault does not hide the rest
        # of its column (each restart is a finding of the test it happened in).
        command += ["--target-cmd", impl.testee, f"--restart-target={RESTARTS}"]
        if impl.capabilities:
            command += ["--capabilities", ",".join(impl.capabilities)]
        baseline = _suite_baseline(impl.server_baseline, "server", work, impl.name)
    else:
        command += ["--client-cmd", impl.driver]
        baseline = _suite_baseline(impl.client_baseline, "client", work, impl.name)
    if baseline:
        command += ["--baseline", str(baseline)]
    started = time.monotonic()
    log_path = work / f"{impl.name}-{suite}.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=str(work), start_new_session=True)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = -1
    seconds = time.monotonic() - started
    report = report_dir / "report.json"
    problem, verdicts = "", {}
    if report.is_file():
        document = json.loads(report.read_text("utf-8"))
        verdicts = {req: item.get("verdict", "?") for req, item in document.get("requirements", {}).items()}
    output = log_path.read_text("utf-8", errors="replace")
    if code == -1:
        problem = f"the kit run did not finish within {timeout:.0f} s"
    elif not verdicts:
        problem = f"no report (exit {code}): {first_kit_message(output)}"
    return RunResult(impl.name, suite, code, round(seconds, 1), verdicts, str(report_dir), problem)


def first_kit_message(output: str) -> str:
    """The kit's own one-line reason (``nameko-conformance: …``), else the run's last line."""
    lines = output.splitlines()
    for line in lines:
        if line.startswith("nameko-conformance:"):
            return line[len("nameko-conformance:"):].strip().rstrip(":")
    return lines[-1] if lines else "(no output)"


def merge_verdicts(runs: list[RunResult]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for run in runs:
        for req, verdict in run.verdicts.items():
            merged[req] = _better(merged.get(req), verdict)
    return merged


def _better(old: str | None, new: str) -> str:
    if old is None or old.startswith(UNJUDGED_PREFIX):
        return new
    if new.startswith(UNJUDGED_PREFIX):
        return old
    rank = {v: i for i, v in enumerate(SEVERITY)}
    return old if rank.get(old, 0) <= rank.get(new, 0) else new


# ---------------------------------------------------------------------------------------------------- interop


@dataclass
class Launched:
    impl: Implementation
    service: str
    process: subprocess.Popen
    log: Path

    broker: str = ""
    # A dispatcher started as "<handler>_src" publishes to the handler's source exchange "<handler>_src.events":
    # that exchange carries the handler's bindings, so it goes when the handler goes, not with the dispatcher.
    keep_events_exchange: bool = False

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
            except ProcessLookupError:
                pass
        delete_service_topology(self.broker, self.service, events_exchange=not self.keep_events_exchange)


def delete_service_topology(broker: str, service: str, events_exchange: bool = True) -> None:
    """The matrix named the service, so what a testee declared for it is the matrix's to remove: the service
    queue, the event handler queues under every naming the implementations use (nameko's two, girolle's
    ``evt-<src>-<type>--<service>``) and the event exchanges. Reply queues expire by themselves (x-expires)."""
    import pika  # the kit's AMQP client; only this cleanup needs it here

    source = f"{service}_src"
    queues = [f"rpc-{service}", f"evt-{source}-ping", f"evt-{source}-ping--{service}",
              f"evt-{source}-ping--{service}.on_ping_pool"]
    exchanges = [f"{source}.events"] + ([f"{service}.events"] if events_exchange else [])
    try:
        connection = pika.BlockingConnection(pika.URLParameters(broker))
    except pika.exceptions.AMQPError:
        return
    try:
        for kind, names in (("queue", queues), ("exchange", exchanges)):
            for name in names:
                channel = connection.channel()
                try:
                    (channel.queue_delete if kind == "queue" else channel.exchange_delete)(name)
                    channel.close()
                except pika.exceptions.AMQPError:
                    pass
    finally:
        connection.close()


def _environment(broker: str, service: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"NAMEKO_CONFORMANCE_AMQP_URI": broker, "NAMEKO_CONFORMANCE_SERVICE": service,
                "NAMEKO_CONFORMANCE_RPC_EXCHANGE": "nameko-rpc", "PYTHONUNBUFFERED": "1"})
    return env


def run_driver(command: str, broker: str, calls: list[dict], limit: float = DRIVER_LIMIT) -> dict:
    """One driver job; ``{"outcomes": [...]}`` or ``{"problem": "..."}`` (hung, crashed, unreadable output)."""
    env = _environment(broker, "unused")
    process = subprocess.Popen(command, shell=True, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(json.dumps({"calls": calls}).encode(), timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"problem": f"driver hung (killed after {limit:.0f} s)"}
    try:
        document = json.loads(out.decode("utf-8"))
        outcomes = document["outcomes"]
        if len(outcomes) != len(calls):
            raise ValueError(f"{len(outcomes)} outcomes for {len(calls)} calls")
        return {"outcomes": outcomes}
    except (ValueError, KeyError, TypeError) as exc:
        return {"problem": f"driver exit {process.returncode}, output unreadable ({exc}); "
                           f"stderr: {err.decode('utf-8', 'replace')[-300:]}"}


def launch(impl: Implementation, broker: str, service: str, ready_driver: str, work: Path,
           keep_events_exchange: bool = False) -> Launched:
    """Starts a testee and waits until a call through ``ready_driver`` (the reference client) answers echo."""
    log = work / f"interop-{impl.name}-{service}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(impl.testee, shell=True, env=_environment(broker, service), stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    launched = Launched(impl, service, process, log, broker, keep_events_exchange)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        probe = run_driver(ready_driver, broker, [_call(service, "echo", ["ready?"], {}, timeout=2)], limit=15)
        if "result" in (probe.get("outcomes") or [{}])[0]:
            return launched
        time.sleep(0.5)
    launched.stop()
    raise RuntimeError(f"{impl.name} testee did not answer echo within {READY_TIMEOUT:.0f} s")


def _call(service: str, method: str, args: list, kwargs: dict, timeout: float = CALL_TIMEOUT) -> dict:
    return {"service": service, "method": method, "args": args, "kwargs": kwargs, "timeout": timeout,
            "context": {}}


RPC_SCENARIOS = ("plain call", "kwargs", "raised error", "unknown method")


def rpc_job(service: str) -> list[dict]:
    return [_call(service, "echo", ["interop", 7], {}),
            _call(service, "echo", [], {"key": "value"}),
            _call(service, "raise_error", ["InteropFailure", "interop message"], {}),
            _call(service, "no_such_method", [], {})]


def judge_rpc(result: dict) -> dict[str, str]:
    """pass, or what went wrong, per scenario."""
    if "problem" in result:
        return {scenario: result["problem"] for scenario in RPC_SCENARIOS}
    plain, kwargs, raised, unknown = result["outcomes"]
    verdicts = {
        "plain call": _expect_result(plain, {"args": ["interop", 7], "kwargs": {}}),
        "kwargs": _expect_result(kwargs, {"args": [], "kwargs": {"key": "value"}}),
        "raised error": _expect_error(raised, "remote", "InteropFailure"),
        "unknown method": _expect_error(unknown, "MethodNotFound", "MethodNotFound"),
    }
    return verdicts


def _expect_result(outcome: dict, expected) -> str:
    if outcome.get("result") == expected and "error" not in outcome:
        return "pass"
    return f"expected result {json.dumps(expected)}, got {json.dumps(outcome)[:200]}"


def _expect_error(outcome: dict, kind: str, exc_type: str) -> str:
    error = outcome.get("error") or {}
    if error.get("kind") == kind and error.get("exc_type") == exc_type:
        return "pass"
    return f"expected error kind {kind} exc_type {exc_type}, got {json.dumps(outcome)[:200]}"


def interop(impls: list[Implementation], broker: str, work: Path, log) -> dict:
    ready_driver = next(i.driver for i in impls if i.name == "reference")
    servers = [i for i in impls if i.testee]
    clients = [i for i in impls if i.driver]
    rpc: dict[str, dict[str, dict[str, str]]] = {}
    for server in servers:
        service = f"interop_{uuid.uuid4().hex[:8]}"
        try:
            launched = launch(server, broker, service, ready_driver, work)
        except RuntimeError as exc:
            log(str(exc))
            rpc[server.name] = {c.name: {s: str(exc) for s in RPC_SCENARIOS} for c in clients}
            continue
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
                futures = {c.name: pool.submit(run_driver, c.driver, broker, rpc_job(service)) for c in clients}
                rpc[server.name] = {name: judge_rpc(future.result()) for name, future in futures.items()}
        finally:
            launched.stop()
        log(f"interop: {len(clients)} clients against {server.name} done")
    events = event_interop(servers, broker, ready_driver, work, log)
    return {"rpc_scenarios": list(RPC_SCENARIOS), "rpc": rpc, "events": events}


def event_interop(servers: list[Implementation], broker: str, ready_driver: str, work: Path, log) -> dict:
    dispatchers = [s for s in servers if s.has_events[0]]
    handlers = [s for s in servers if s.has_events[1]]
    grid: dict[str, dict[str, str]] = {}
    for handler in handlers:
        service = f"interop_{uuid.uuid4().hex[:8]}"
        grid[handler.name] = {}
        try:
            receiving = launch(handler, broker, service, ready_driver, work)
        except RuntimeError as exc:
            grid[handler.name] = {d.name: str(exc) for d in dispatchers}
            continue
        try:
            for dispatcher in dispatchers:
                grid[handler.name][dispatcher.name] = _one_event(dispatcher, receiving, broker, ready_driver, work)
        finally:
            receiving.stop()
        log(f"interop: events from {len(dispatchers)} dispatchers to {handler.name} done")
    return grid


def _one_event(dispatcher: Implementation, receiving: Launched, broker: str, ready_driver: str, work: Path) -> str:
    try:
        sending = launch(dispatcher, broker, f"{receiving.service}_src", ready_driver, work,
                         keep_events_exchange=True)
    except RuntimeError as exc:
        return str(exc)
    marker = f"interop-{uuid.uuid4().hex[:8]}"
    try:
        sent = run_driver(ready_driver, broker, [_call(sending.service, "dispatch", ["ping", {"marker": marker}], {})])
        outcome = (sent.get("outcomes") or [{}])[0]
        if "error" in outcome or "problem" in sent:
            return f"dispatch failed: {json.dumps(sent)[:200]}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            seen = run_driver(ready_driver, broker, [_call(receiving.service, "events_received", [], {})])
            entries = (seen.get("outcomes") or [{}])[0].get("result") or []
            if any(isinstance(e, dict) and e.get("payload") == {"marker": marker} for e in entries):
                return "pass"
            time.sleep(0.5)
        return "the handler did not receive the event within 10 s"
    finally:
        sending.stop()


# ---------------------------------------------------------------------------------------------------- rendering


def _requirement_rows(runs: list[RunResult]) -> list[tuple[str, str, str]]:
    """(chapter, requirement, level) in registry order, from the first report that has them."""
    rows: dict[str, tuple[str, str, str]] = {}
    for run in runs:
        report = Path(run.report_dir) / "report.json"
        if not report.is_file():
            continue
        for req, item in json.loads(report.read_text("utf-8")).get("requirements", {}).items():
            rows.setdefault(req, (item.get("chapter", "?"), req, item.get("level", "")))
    return list(rows.values())


def build_document(impls: list[Implementation], runs: list[RunResult], interop_result: dict | None) -> dict:
    columns = []
    for impl in impls:
        own = [r for r in runs if r.implementation == impl.name]
        columns.append({
            "name": impl.name, "label": impl.label, "note": impl.note, "lacks": impl.lacks,
            "roles": [s for s, cmd in (("server", impl.testee), ("client", impl.driver)) if cmd],
            "runs": [{"suite": r.suite, "exit_code": r.exit_code, "seconds": r.seconds, "problem": r.problem}
                     for r in own],
            "verdicts": merge_verdicts(own)})
    return {"generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "inputs_digest": inputs_digest(),
            "rows": _requirement_rows(runs), "columns": columns, "interop": interop_result}


def _cell(verdict: str | None) -> str:
    if not verdict or verdict.startswith(UNJUDGED_PREFIX):
        return "–"
    return SHORT.get(verdict, verdict)


def render_markdown(doc: dict) -> str:
    cols = doc["columns"]
    out = [f"<!-- {DIGEST_MARK} {doc['inputs_digest']} -->",
           "# Compatibility matrix", "",
           f"Generated {doc['generated']} by `nameko-conformance matrix` (see `ports/README.md`). Cells: `pass`, "
           "`FAIL` (MUST failed), `known dev` (failed, in the implementation's baseline), `should` (SHOULD failed), "
           "`may` (MAY not done), `absent` (capability declared absent), `?` (inconclusive), `masked` (not judged: an "
           "earlier failure hides it), `kit err`, `untestable`, `–` (not judged by these runs).", "",
           "## Implementations", "",
           "| implementation | roles | kit runs (exit code, seconds, problem) | lacks |", "|---|---|---|---|"]
    for col in cols:
        runs = "; ".join(f"{r['suite']}: exit {r['exit_code']}, {r['seconds']} s" + (f", **{r['problem']}**"
                                                                                   if r["problem"] else "")
                         for r in col["runs"])
        lacks = "; ".join(f"{role}: {', '.join(items)}" for role, items in col["lacks"].items() if items) or "–"
        out.append(f"| {col['label']} | {', '.join(col['roles'])} | {_md(runs)} | {_md(lacks)} |")
    out += ["", "## Requirements", ""]
    chapter = None
    for ch, req, level in doc["rows"]:
        if ch != chapter:
            chapter = ch
            out += ["", f"### {ch}", "", "| requirement | level | " + " | ".join(c["label"] for c in cols) + " |",
                    "|---|---|" + "---|" * len(cols)]
        out.append(f"| {req} | {level} | " + " | ".join(_cell(c["verdicts"].get(req)) for c in cols) + " |")
    if doc.get("interop"):
        out += ["", *interop_markdown(doc["interop"], cols)]
    return "\n".join(out) + "\n"


def interop_markdown(inter: dict, cols: list[dict]) -> list[str]:
    labels = {c["name"]: c["label"] for c in cols}
    out = ["## Interop: client × server", "",
           "Each client's driver calls each server's testee: " + ", ".join(inter["rpc_scenarios"]) +
           ". A cell lists the scenarios that passed out of all; failures are spelled out below the grid.", ""]
    servers = list(inter["rpc"])
    clients = sorted({c for row in inter["rpc"].values() for c in row}, key=list(labels).index)
    out += ["| client ↓ / server → | " + " | ".join(labels[s] for s in servers) + " |",
            "|---|" + "---|" * len(servers)]
    details = []
    for client in clients:
        cells = []
        for server in servers:
            results = inter["rpc"][server].get(client, {})
            passed = sum(v == "pass" for v in results.values())
            cells.append(f"{passed}/{len(results)}")
            details += [f"- {labels[client]} → {labels[server]}, {scenario}: {_md(v)}"
                        for scenario, v in results.items() if v != "pass"]
        out.append(f"| {labels[client]} | " + " | ".join(cells) + " |")
    if inter.get("events"):
        handlers = list(inter["events"])
        dispatchers = sorted({d for row in inter["events"].values() for d in row}, key=list(labels).index)
        out += ["", "## Interop: event dispatcher × handler", "",
                "The dispatching testee runs as `<handler service>_src` and dispatches `ping`; the handler's "
                "`events_received` must show it within 10 s.", "",
                "| dispatcher ↓ / handler → | " + " | ".join(labels[h] for h in handlers) + " |",
                "|---|" + "---|" * len(handlers)]
        for dispatcher in dispatchers:
            row = []
            for handler in handlers:
                verdict = inter["events"][handler].get(dispatcher, "–")
                row.append("pass" if verdict == "pass" else "FAIL")
                if verdict != "pass":
                    details.append(f"- event {labels[dispatcher]} → {labels[handler]}: {_md(verdict)}")
            out.append(f"| {labels[dispatcher]} | " + " | ".join(row) + " |")
    if details:
        out += ["", "### Interop failures", "", *details]
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


CSS = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
       "td,th{border:1px solid #bbb;padding:2px 6px;font-size:13px;text-align:center}td:first-child{text-align:left}"
       ".pass{background:#cfc}.FAIL{background:#f99}.known-dev{background:#fd8}.should{background:#ffc}"
       ".absent{background:#ddd}.masked,.kit-err{background:#ccf}.STALE{background:#f6c}")


def render_html(doc: dict) -> str:
    """One self-contained page (inline CSS, no scripts) built from the same document as the Markdown."""
    cols = doc["columns"]
    esc = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><!-- {DIGEST_MARK} {doc['inputs_digest']} -->"
             f"<title>nameko wire protocol: compatibility matrix</title><style>{CSS}</style></head><body>",
             f"<h1>Compatibility matrix</h1><p>Generated {esc(doc['generated'])} by "
             "<code>nameko-conformance matrix</code>.</p><h2>Implementations</h2><table><tr><th>implementation</th>"
             "<th>roles</th><th>kit runs</th><th>lacks</th></tr>"]
    for col in cols:
        runs = "<br>".join(esc(f"{r['suite']}: exit {r['exit_code']}, {r['seconds']} s"
                               + (f", {r['problem']}" if r["problem"] else "")) for r in col["runs"])
        lacks = "<br>".join(esc(f"{role}: {', '.join(items)}") for role, items in col["lacks"].items() if items)
        parts.append(f"<tr><td>{esc(col['label'])}</td><td>{esc(', '.join(col['roles']))}</td><td>{runs}</td>"
                     f"<td>{lacks or '–'}</td></tr>")
    parts.append("</table><h2>Requirements</h2>")
    chapter = None
    for ch, req, level in doc["rows"]:
        if ch != chapter:
            if chapter is not None:
                parts.append("</table>")
            chapter = ch
            parts.append(f"<h3>{esc(ch)}</h3><table><tr><th>requirement</th><th>level</th>"
                         + "".join(f"<th>{esc(c['label'])}</th>" for c in cols) + "</tr>")
        cells = []
        for c in cols:
            text = _cell(c["verdicts"].get(req))
            cells.append(f"<td class='{text.replace(' ', '-')}' title='{esc(c['verdicts'].get(req, ''))}'>"
                         f"{esc(text)}</td>")
        parts.append(f"<tr><td>{esc(req)}</td><td>{esc(level)}</td>{''.join(cells)}</tr>")
    if chapter is not None:
        parts.append("</table>")
    if doc.get("interop"):
        parts.append(_markdown_to_html(interop_markdown(doc["interop"], cols)))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _markdown_to_html(lines: list[str]) -> str:
    """The interop section's few Markdown shapes (headings, tables, list items, paragraphs) as HTML."""
    esc = html.escape
    out: list[str] = []
    in_table = False
    for line in lines:
        if line.startswith("| "):
            if line.startswith("|---"):
                continue
            cells = [c.strip().replace("\\|", "|") for c in line.strip().strip("|").split(" | ")]
            tag = "th" if not in_table else "td"
            out.append(("<table>" if not in_table else "") + "<tr>" + "".join(
                f"<{tag} class='{esc(_css_class(c))}'>{esc(c)}</{tag}>" for c in cells) + "</tr>")
            in_table = True
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if line.startswith("### "):
            out.append(f"<h3>{esc(line[4:])}</h3>")
        elif line.startswith("## "):
            out.append(f"<h2>{esc(line[3:])}</h2>")
        elif line.startswith("- "):
            out.append(f"<p>&bull; {esc(line[2:])}</p>")
        elif line:
            out.append(f"<p>{esc(line)}</p>")
    if in_table:
        out.append("</table>")
    return "\n".join(out)


def _css_class(cell: str) -> str:
    """pass / FAIL for grid cells; "n/m" is pass when all passed."""
    if "/" in cell and cell.replace("/", "").isdigit():
        done, total = cell.split("/")
        return "pass" if done == total else "FAIL"
    return cell.replace(" ", "-")


# ---------------------------------------------------------------------------------------------------- commands


def check(output_dir: Path) -> int:
    expected = inputs_digest()
    for name in ("MATRIX.md", "matrix.html"):
        path = output_dir / name
        if not path.is_file():
            print(f"{path} is missing; run: nameko-conformance matrix", file=sys.stderr)
            return 1
        text = path.read_text("utf-8")
        if f"{DIGEST_MARK} {expected}" not in text:
            print(f"{path} is stale: its inputs (spec registry, baselines, drivers, testees or port adapters) changed "
                  f"since it was generated; run: nameko-conformance matrix", file=sys.stderr)
            return 1
    print(f"{output_dir}/MATRIX.md and matrix.html are current")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nameko-conformance matrix", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only check that the kept table is current (no runs)")
    p.add_argument("--repo", help="the repository checkout (default: found from the working directory)")
    p.add_argument("--output-dir", help="where MATRIX.md, matrix.html, matrix.json go (default: <repo>/ports)")
    p.add_argument("--work-dir", help="where the runs' reports and logs go (default: a fresh temporary dir)")
    p.add_argument("--reference-python", help="interpreter with the kit and nameko_reference (default: this one)")
    p.add_argument("--nameko2-python", help="interpreter of an environment with nameko 2.14.1")
    p.add_argument("--nameko3-python", help="interpreter of an environment with nameko 3.0.0rc11")
    p.add_argument("--ports", nargs="*", help="only these ports (default: every ports/*/port.json)")
    p.add_argument("--only", nargs="*", help="only these implementations (names as in the table)")
    p.add_argument("--jobs", type=int, default=2, help="kit runs at a time (default 2, the machine's cores)")
    p.add_argument("--run-timeout", type=float, default=1800.0, help="seconds for one kit run")
    p.add_argument("--no-interop", action="store_true", help="leave out the client × server grid")
    p.add_argument("--kit-broker", choices=("private", "shared"), default="private",
                   help="private (default): each kit run starts its own RabbitMQ node (needs rabbitmq-server); "
                        "shared: the kit's broker ladder (127.0.0.1:5672 first)")
    p.add_argument("--amqp-uri", default=os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI")
                   or "amqp://guest:guest@127.0.0.1:5672/%2F", help="broker for the interop grid")
    return p


def main(argv: list[str] | None = None) -> int:
    global REPO, PORTS
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.repo:
        REPO = Path(args.repo).resolve()
        PORTS = REPO / "ports"
    if not (PORTS / "build.py").is_file():
        print(f"{REPO} is not a checkout of the kit's repository (no ports/build.py); give --repo", file=sys.stderr)
        return 4
    output_dir = Path(args.output_dir) if args.output_dir else PORTS
    if args.check:
        return check(output_dir)

    def log(message: str) -> None:
        print(f"[matrix {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="nameko-matrix-"))
    work.mkdir(parents=True, exist_ok=True)
    impls = implementations(args, log)
    if not any(i.name == "reference" for i in impls):
        print("the matrix needs the reference implementation (it drives readiness and events)", file=sys.stderr)
        return 4
    jobs = [(impl, suite) for impl in impls for suite, cmd in (("server", impl.testee), ("client", impl.driver))
            if cmd]
    log(f"{len(jobs)} kit runs for {len(impls)} implementations, {args.jobs} at a time; work dir {work}")
    runs: list[RunResult] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(kit_run, impl, suite, work, args.run_timeout, args.kit_broker): (impl, suite)
                   for impl, suite in jobs}
        for future in concurrent.futures.as_completed(futures):
            run = future.result()
            runs.append(run)
            log(f"{run.implementation} {run.suite}: exit {run.exit_code} in {run.seconds} s"
                + (f" ({run.problem})" if run.problem else ""))
    inter = None if args.no_interop else interop(impls, args.amqp_uri, work, log)
    document = build_document(impls, sorted(runs, key=lambda r: (r.implementation, r.suite)), inter)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "matrix.json").write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    (output_dir / "MATRIX.md").write_text(render_markdown(document), "utf-8")
    (output_dir / "matrix.html").write_text(render_html(document), "utf-8")
    log(f"wrote {output_dir}/MATRIX.md, matrix.html, matrix.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
