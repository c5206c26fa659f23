"""Report documents for the HTML report's tests: a synthetic one with every verdict and a hostile target's
content, and a real one from a run of the kit against a deliberately broken testee."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TESTEE = Path(__file__).resolve().parents[2] / "testees" / "broken" / "raw_testee.py"

ALL_VERDICTS = ("pass", "fail", "known deviation", "stale baseline", "non-strict", "informational", "not examined",
                "masked", "inconclusive", "capability absent", "kit error", "untestable black-box",
                "not covered: needs client driver")
# Each payload, if it were ever parsed as markup, would set window.__pwned.
HOSTILE = ('<script>window.__pwned=1</script></textarea></pre></code></details>'
           '"><img src=x onerror="window.__pwned=1"><svg onload="window.__pwned=1"></svg>'
           "</style><style>body{display:none}</style><!-- ]]> \ud800 end")
HOSTILE_KEY = 'svc."><script>window.__pwned=1</script>'
HUGE_BODY_BYTES = 100_000
MANY_MESSAGES = 50


def message(direction: str, body: str, key: str = "svc.echo", exchange: str = "nameko-rpc", **extra) -> dict:
    entry = {"direction": direction, "exchange": exchange, "routing_key": key,
             "properties": {"content_type": "application/json",
                            "correlation_id": "c0ffee00-1111-2222-3333-444455556666", "reply_to": HOSTILE_KEY},
             "headers": {"nameko.call_id_stack": [HOSTILE], HOSTILE: "x"}, "via": "spy", "body_text": body}
    entry.update(extra)
    return entry


def synthetic_document() -> dict:
    """One requirement per verdict, all in chapter 03 except one per other chapter; the failing one carries a huge
    body, many messages and hostile content everywhere the target can put text."""
    requirements = {}
    levels = ("MUST", "SHOULD", "MAY")
    roles = ("server", "client", "any")
    for number, verdict in enumerate(ALL_VERDICTS, 1):
        req_id = f"RPC-REPLY-{number}"
        requirements[req_id] = {
            "level": levels[number % 3], "role": roles[number % 3],
            "chapter": "03-rpc-reply.md" if number % 4 else "04-errors.md",
            "text": f"Requirement {number}, judged {verdict}. {HOSTILE}",
            "verdict": verdict,
            "examined_by": [f"suite/test_03.py::test_{number}[{HOSTILE}]"],
            "tests": [f"suite/test_03.py::test_{number}"],
            "findings": [],
        }
        if verdict not in ("pass", "fail"):
            requirements[req_id]["why"] = f"why {verdict}: {HOSTILE}"
    failing = requirements["RPC-REPLY-2"]
    failing.update(level="MUST", role="server")
    failing["findings"] = [{
        "code": "RPC-REPLY-2/reply-on-default-exchange",
        "requirement": "RPC-REPLY-2",
        "expected": "the reply published to exchange 'nameko-rpc' with key 'rpc.reply-kit-1'",
        "observed": f"published to the default exchange; body {HOSTILE}",
        "messages": [message("at broker", HOSTILE, routed_queues=["rpc.reply-kit-1", HOSTILE]),
                     message("at broker", "x" * HUGE_BODY_BYTES, exchange=""),
                     message("received", json.dumps({"result": HOSTILE, "error": None}), key=HOSTILE_KEY),
                     {"direction": "received", "exchange": "", "routing_key": "k", "properties": {},
                      "body_base64": "/w==", "body_truncated": "9000 bytes, first 2048 kept"}]
        + [message("sent", json.dumps({"args": [i], "kwargs": {}})) for i in range(MANY_MESSAGES)],
        "test": "suite/test_03_rpc_reply.py::test_reply_routes_on_rpc_exchange",
        "reproduce": f"nameko-conformance run --target-cmd 'python testee.py' --req RPC-REPLY-2  # {HOSTILE}",
    }]
    for req_id in ("RPC-REPLY-3", "RPC-REPLY-4", "RPC-REPLY-8", "RPC-REPLY-9"):
        requirements[req_id]["findings"] = [{
            "code": f"{req_id}/hostile", "requirement": req_id, "expected": "something",
            "observed": HOSTILE, "messages": [message("at broker", HOSTILE)], "test": "suite/t.py::t",
            "reproduce": f"nameko-conformance run --req {req_id}"}]
    counts: dict[str, int] = {}
    for entry in requirements.values():
        counts[entry["verdict"]] = counts.get(entry["verdict"], 0) + 1
    return {
        "kit": {"name": "nameko-conformance", "version": "0.1.0", "python": "3.11"},
        "spec": {"registry": "spec/requirements.json", "version": "1"},
        "target": {"uri": f"amqp://guest:***@127.0.0.1:5672/%2F?service={HOSTILE}",
                   "command": f"python testee.py {HOSTILE}", "service": HOSTILE, "capabilities": ["server", HOSTILE]},
        "broker": {"provider": "private-node", "version": "3.10.8", "uri": "amqp://guest:***@127.0.0.1:5999/%2F",
                   "observer": "firehose", "observer_description": "firehose on the private node"},
        "options": {"strict": True, "req": [HOSTILE], "baseline": "baseline.json"},
        "started": "2026-12-03T05:00:00Z", "duration_s": 12.5,
        "summary": {"gate": False, "counts": counts, "must_total": 5, "must_pass": 1, "kit_errors": ["t::kit"],
                    "tests": {"passed": 3, "failed": 2}},
        "requirements": requirements,
        "tests": [{"nodeid": "suite/t.py::t", "outcome": "failed", "trace": [message("sent", HOSTILE)]}],
        "target_output_tail": "\n".join(f"target line {i}" for i in range(2000)) + f"\n{HOSTILE}\nlast target line",
        "driver_output_tail": f"driver says {HOSTILE}\nlast driver line",
    }


def real_document(report_dir: Path, fault: str = "error-reply-default-exchange") -> dict:
    """Runs the kit as a user does, on a private broker node (so the report holds what the broker saw), against
    the raw testee with one deliberate fault, and returns its report.json."""
    command = [sys.executable, "-m", "nameko_conformance.cli", "run", "--broker", "private",
               "--target-cmd", f"{sys.executable} {TESTEE} --fault {fault}", "--report-dir", str(report_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    report = report_dir / "report.json"
    if not report.is_file():
        raise AssertionError(f"the kit wrote no report (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
    return json.loads(report.read_text("utf-8"))
