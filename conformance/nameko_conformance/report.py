"""Renders the per-requirement JSON report and the Markdown coverage matrix."""

from __future__ import annotations

import json
import platform
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nameko_conformance import html_report
from nameko_conformance.oracle.verdicts import ORDER, TEST_KIT_ERROR, gate, requirement_verdicts
from nameko_conformance.uri import mask

DOCUMENT_KEY = pytest.StashKey[dict]()
KIT_VERSION = "0.1.0"


def build(kit: Any) -> dict:
    verdicts = requirement_verdicts(kit.registry, kit.results, kit.strict, kit.baseline, kit.selected_requirements())
    state = kit.session_state
    observer = state.observer if state else None
    mark_evidence_sources(verdicts, getattr(kit, "firehose_evidence", {}), observer)
    client = getattr(kit, "client_state", None)
    broker = state.broker if state else (client.broker if client else None)
    counts = Counter(v["verdict"] for v in verdicts.values())
    must_total = sum(1 for v in verdicts.values() if v["level"].startswith("MUST"))
    must_pass = sum(1 for v in verdicts.values() if v["level"].startswith("MUST") and v["verdict"] == "pass")
    kit_errors = [r.nodeid for r in kit.results if r.outcome == TEST_KIT_ERROR]
    return {
        "kit": {"name": "nameko-conformance", "version": KIT_VERSION, "python": platform.python_version()},
        "spec": {"registry": kit.registry.source, "version": kit.registry.version,
                 "digest": kit.registry.digest},
        "target": {
            "uri": mask(state.target.uri) if state else (mask(kit.target_uri) if kit.target_uri else None),
            "command": kit.target_cmd or (state.command if state else None),
            "service": state.target.service if state else None,
            "capabilities": sorted(state.target.capabilities) if state else None,
        },
        "broker": {
            "provider": broker.provider if broker else None,
            "version": broker.version if broker else None,
            "uri": mask(broker.uri) if broker else None,
            "observer": observer,
            "observer_description": state.observer_description if state else None,
        },
        "client": {"command": getattr(kit, "client_cmd", None), "client_only": getattr(kit, "client_only", False),
                   # the exchange the client suite really ran on (nameko-rpc for a client without a configurable one)
                   "rpc_exchange": getattr(getattr(client, "_client_driver_setup", None), "rpc_exchange",
                                           client.rpc_exchange if client else None) if client else None},
        "options": {"strict": kit.strict, "req": kit.req_globs, "baseline": kit.baseline.path},
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(kit.started)),
        "duration_s": round(time.time() - kit.started, 2),
        "summary": {"gate": gate(verdicts) and not kit_errors and not getattr(kit, "aborted", None),
                    "aborted": getattr(kit, "aborted", None), "counts": dict(counts), "must_total": must_total,
                    "must_pass": must_pass, "kit_errors": kit_errors,
                    "tests": dict(Counter(r.outcome for r in kit.results))},
        "requirements": verdicts,
        "tests": [{"nodeid": r.nodeid, "requirements": list(r.requirements), "outcome": r.outcome,
                   "failing": list(r.failing), "message": r.message, "reproduce": r.reproduce,
                   "duration_s": round(r.duration, 3),
                   "statuses": {k: list(v) for k, v in r.statuses.items()},
                   "trace": r.trace[-_MAX_TRACE_KEPT:] if r.outcome != "passed" else []}
                  for r in kit.results],
        "target_output_tail": mask(state.launched.output_tail()) if state and state.launched else None,
        "driver_output_tail": mask(client.driver_output_tail()) if client and hasattr(client, "driver_output_tail")
        else None,
    }


_MAX_TRACE_KEPT = 60  # messages of a test's trace kept in report.json (the newest); findings keep their own


def mark_evidence_sources(verdicts: dict[str, dict], firehose_evidence: dict[str, set[str]],
                          observer: str | None) -> None:
    """Records per requirement whether its verdict rests on what the broker saw (the firehose) or only on what
    reached the kit's own and spy queues."""
    for req_id, entry in verdicts.items():
        tests = entry["examined_by"]
        from_firehose = sorted(t for t in tests if req_id in firehose_evidence.get(t, ()))
        entry["firehose_evidence"] = bool(from_firehose)
        if from_firehose:
            entry["observed_through"] = "firehose"
        elif tests:
            entry["observed_through"] = "kit queues" if observer != "firehose" else "kit queues (firehose running)"


def observer_line(document: dict) -> str:
    broker = document["broker"]
    return (f"broker: {broker['provider']} RabbitMQ {broker['version']}; observer: "
            f"{broker.get('observer_description') or broker['observer']}")


def summary_lines(document: dict) -> list[str]:
    summary = document["summary"]
    counts = summary["counts"]
    lines = [observer_line(document),
             f"MUST requirements passed: {summary['must_pass']}/{summary['must_total']}",
             "verdicts: " + ", ".join(f"{k}={counts[k]}" for k in ORDER if k in counts)]
    for req_id, entry in document["requirements"].items():
        if entry["verdict"] in ("fail", "stale baseline", "non-strict", "known deviation", "kit error", "masked"):
            lines.append(f"  {entry['verdict']:<16} {req_id:<13} {entry['level']:<10} {_note(entry)[:110]}")
    if summary.get("aborted"):
        lines.append(f"run ended early: {summary['aborted']}; what it had not reached is 'not examined'")
    lines.append("gate: " + ("PASS" if summary["gate"] else "FAIL"))
    return lines


def _note(entry: dict) -> str:
    """What a reader needs next to a verdict: the first finding, else why it is not a pass."""
    findings = entry.get("findings") or []
    if findings:
        first = findings[0]
        accepted = f" [accepted: {first['accepted_by']}]" if first.get("accepted_by") else ""
        return f"{first['message']}{accepted}"
    return entry.get("why") or ""


def markdown(document: dict) -> str:
    summary = document["summary"]
    out = ["# nameko conformance report", "",
           f"- target: `{document['target']['uri']}`" + (f" (command `{document['target']['command']}`)"
                                                          if document["target"]["command"] else ""),
           f"- {observer_line(document)}",
           f"- kit {document['kit']['version']}, spec registry `{document['spec']['registry']}`",
           f"- gate: **{'PASS' if summary['gate'] else 'FAIL'}** — MUST passed {summary['must_pass']}/"
           f"{summary['must_total']}; {document['duration_s']} s", "",
           "| verdict | count |", "|---|---|"]
    out += [f"| {k} | {summary['counts'][k]} |" for k in ORDER if k in summary["counts"]]
    out += ["", "## Requirement coverage", "",
            "Seen at: *broker* = judged from the firehose (every publish and the queues it reached); *kit* = from "
            "what reached the kit's own and spy queues.", "",
            "| requirement | level | role | verdict | examined by | seen at | note |",
            "|---|---|---|---|---|---|---|"]
    for req_id, entry in document["requirements"].items():
        note = _note(entry)
        examined = len(entry.get("examined_by") or [])
        seen_at = "broker" if entry.get("firehose_evidence") else ("kit" if entry.get("observed_through") else "")
        out.append(f"| {req_id} | {entry['level']} | {entry['role']} | {entry['verdict']} | {examined} | {seen_at} | "
                   f"{note.replace('|', '/').replace(chr(10), ' ')[:160]} |")
    failures = [t for t in document["tests"] if t["outcome"] == "failed"][:_MAX_FAILURES_SHOWN]
    if failures:
        out += ["", "## Failures", ""]
        for test in failures:
            kit_side = [m for m in test["trace"] if m.get("direction") != "at broker"]
            broker_side = [m for m in test["trace"] if m.get("direction") == "at broker"]
            out += [f"### `{test['nodeid']}`", "", f"{test['message']}", "", f"Reproduce: `{test['reproduce']}`", "",
                    "Sent and received by the kit:", "", "```"]
            out += [json.dumps(m, ensure_ascii=False)[:400] for m in kit_side[-20:]] + ["```", ""]
            if broker_side:
                out += ["As seen at the broker (firehose):", "", "```"]
                out += [json.dumps(m, ensure_ascii=False)[:400] for m in broker_side[-20:]] + ["```", ""]
            elif document["broker"]["observer"] != "firehose":
                out += ["As seen at the broker: not observed (no firehose; the kit saw only its own and spy queues).",
                        ""]
    for title, key in (("Target output (tail)", "target_output_tail"), ("Client driver output (tail)",
                                                                        "driver_output_tail")):
        if document.get(key):
            out += ["", f"## {title}", "", "```", document[key][-_MAX_TAIL_CHARS:], "```"]
    return "\n".join(out) + "\n"


_MAX_FAILURES_SHOWN = 50
_MAX_TAIL_CHARS = 8000


def write(document: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    # A target may put a broker URI with its password in what it sends (SEC-1); every text the kit writes is masked.
    document = json.loads(mask(json.dumps(document, ensure_ascii=False)))
    (directory / "report.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (directory / "report.md").write_text(markdown(document), "utf-8")
    (directory / "report.html").write_text(html_report.render(document), "utf-8")
