"""Record what an implementation publishes, as fixture files.

The recorder watches a node it owns through the firehose, so it never binds anything to the RPC exchange and
never changes routing (TOPO-7): unknown-service requests stay unroutable and show `routed_queues: []`.

API::

    with PrivateNode() as node, Recording(node) as rec:
        with rec.case("plain-call", "A proxy calls hello with one argument", ["RPC-REQ-1"]) as case:
            ...                                   # drive the implementation
        rec.write("fixtures/recorded/x.json", "Requests of X", recorded_source("x", "1.0", node.version))

CLI (exposed as `nameko-conformance record`)::

    record --out FILE [--description TEXT] -- <command …>

runs the command with `AMQP_URI` and `NAMEKO_CONFORMANCE_AMQP_URI` pointing at a private node (or at
`--node-url`/`--ctl-node`, a node the caller owns) and writes one case per correlation id and per event.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from nameko_conformance.uri import mask

from .firehose import Firehose
from .private_node import ExistingNode, PrivateNode
from .wire import DEFAULT_RPC_EXCHANGE, WireMessage

TOOL_NAME = "nameko-conformance record"
MAX_DESCRIPTION_CHARS = 150
_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def recorded_source(implementation: str, version: str, broker_version: str, *, tool: str = TOOL_NAME,
                    recorded_on: str | None = None, comment: str | None = None) -> dict:
    """The `source` object of a recorded fixture file; further provenance goes into `comment`."""
    source = {
        "kind": "recorded",
        "implementation": implementation,
        "version": version,
        "recorded_on": recorded_on or datetime.date.today().isoformat(),
        "broker": f"RabbitMQ {broker_version}" if broker_version else "RabbitMQ",
        "tool": tool,
    }
    if comment:
        source["comment"] = comment
    return source


def kebab(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


@dataclass
class RecordedCase:
    id: str
    description: str
    requirements: list[str]
    valid: bool = True
    violates: list[str] | None = None
    outcome: dict | None = None
    observed: dict | None = None
    messages: list[WireMessage] = field(default_factory=list)
    comment: str | None = None

    def check(self) -> None:
        if not _KEBAB.match(self.id):
            raise ValueError(f"case id {self.id!r} is not kebab-case")
        if len(self.description) > MAX_DESCRIPTION_CHARS:
            raise ValueError(f"case {self.id}: description longer than {MAX_DESCRIPTION_CHARS} characters")
        if self.valid and self.violates:
            raise ValueError(f"case {self.id}: a valid case violates nothing")
        if not self.valid and not self.violates:
            raise ValueError(f"case {self.id}: an invalid case names the requirements it violates")

    def to_fixture(self) -> dict:
        data = {"id": self.id, "description": self.description, "requirements": list(self.requirements),
                "valid": self.valid}
        if self.violates:
            data["violates"] = list(self.violates)
        if self.outcome is not None:
            data["outcome"] = self.outcome
        if self.observed is not None:
            data["observed"] = self.observed
        data["messages"] = [message.to_fixture() for message in self.messages]
        if self.comment:
            data["comment"] = self.comment
        return data


def fixture_document(description: str, source: dict, cases: list[RecordedCase]) -> dict:
    ids, descriptions = set(), set()
    for case in cases:
        case.check()
        if case.id in ids:
            raise ValueError(f"duplicate case id {case.id!r}")
        if case.description in descriptions:
            raise ValueError(f"duplicate case description {case.description!r}")
        ids.add(case.id)
        descriptions.add(case.description)
    return {"description": description, "source": source, "cases": [case.to_fixture() for case in cases]}


def write_fixture(path, document: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


class Recording:
    """Files the publishes seen during each `case(...)` block as that case's messages."""

    def __init__(self, node, *, vhost: str = "/", rpc_exchange: str = DEFAULT_RPC_EXCHANGE,
                 quiet_period: float = 0.3, max_settle: float = 5.0):
        self.node = node
        self.firehose = Firehose(node, vhost, rpc_exchange=rpc_exchange)
        self.quiet_period = quiet_period
        self.max_settle = max_settle
        self.cases: list[RecordedCase] = []
        self.unassigned: list[WireMessage] = []   # publishes seen between cases

    def __enter__(self) -> "Recording":
        self.firehose.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.firehose.stop()

    def settle(self) -> list[WireMessage]:
        """Wait (briefly, bounded) until the broker is quiet and return what arrived."""
        self.firehose.wait_quiet(self.quiet_period, self.max_settle)
        return self.firehose.drain()

    @contextlib.contextmanager
    def case(self, id: str, description: str, requirements, *, min_messages: int = 0, **details):
        """Record one case; `details` are RecordedCase fields (valid, violates, outcome, observed).

        With `min_messages`, the end of the case also waits (up to `max_settle`) for that many publishes, for
        actions whose last publish comes after the action returns.
        """
        self.unassigned.extend(self.settle())
        recorded = RecordedCase(id, description, list(requirements), **details)
        yield recorded
        if min_messages:
            self.firehose.wait_for_count(min_messages, self.max_settle)
        recorded.messages.extend(self.settle())
        self.cases.append(recorded)

    def fixture(self, description: str, source: dict) -> dict:
        return fixture_document(description, source, self.cases)

    def write(self, path, description: str, source: dict) -> Path:
        return write_fixture(path, self.fixture(description, source))


# -- judging recorded messages ------------------------------------------------------------------------------------

# ``(valid, reasons)`` for one recorded message; a reason starts with the requirement ID it breaks ("SER-1: …").
MessageJudge = Callable[[WireMessage], "tuple[bool, list[str]]"]
WIRE_MESSAGE_SCHEMA = "wire-message.schema.json"
_REQUIREMENT_ID = re.compile(r"^([A-Z]+(?:-[A-Z]+)*-\d+):")


def schema_judge(message: WireMessage) -> tuple[bool, list[str]]:
    """The default judge: the message's fixture form against ``schemas/wire-message.schema.json``, each failure
    under the ``x-requirement`` of the deepest annotated subschema it breaks. A publish that is no request, reply
    or event has no schema to meet and is judged valid."""
    from nameko_conformance.data import schema_validator

    if message.role is None:
        return True, []
    reasons = []
    for error in schema_validator(WIRE_MESSAGE_SCHEMA).iter_errors(message.to_fixture()):
        annotated = [e for e in _error_tree(error) if isinstance(e.schema, dict) and e.schema.get("x-requirement")]
        deepest = max(annotated, key=lambda e: len(e.absolute_schema_path), default=error)
        requirement = deepest.schema.get("x-requirement") if isinstance(deepest.schema, dict) else None
        ids = [requirement] if isinstance(requirement, str) else list(requirement or ["SCHEMA"])
        where = "/".join(str(part) for part in deepest.absolute_path) or "(message)"
        reasons.append(f"{ids[0]}: {where}: {deepest.message[:200]}")
    return not reasons, sorted(set(reasons))


def _error_tree(error):
    yield error
    for child in error.context or ():
        yield from _error_tree(child)


def oracle_judge(message: WireMessage) -> tuple[bool, list[str]]:
    """The recorder's default judge: the oracle's message-level checks (the schemas included), as
    ``nameko-conformance validate`` judges a message. A publish that is no request, reply or event is valid."""
    if message.role is None:
        return True, []
    from nameko_conformance.validate import record_judge
    return record_judge(message)


def judge_case(case: RecordedCase, judge: MessageJudge) -> RecordedCase:
    """Marks ``case`` valid when every message is; else invalid, with the requirements broken and the reasons."""
    reasons: list[str] = []
    for number, message in enumerate(case.messages, 1):
        valid, message_reasons = judge(message)
        if not valid:
            label = message.role or "message"
            reasons += [f"message {number} ({label}): {reason}" for reason in (message_reasons or ["invalid"])]
    if reasons:
        violated = [m.group(1) for r in reasons if (m := _REQUIREMENT_ID.match(r.split(": ", 1)[1]))]
        case.valid = False
        case.violates = list(dict.fromkeys(violated)) or ["SER-1"]
        case.comment = "; ".join(reasons)[:2000]
    else:
        case.valid, case.violates = True, None
    return case


# -- grouping free-form traffic into cases (the CLI) ------------------------------------------------------------

def group_into_cases(messages: list[WireMessage], judge: MessageJudge | None = oracle_judge) -> list[RecordedCase]:
    """One case per RPC call (request and replies sharing a correlation id) and one per event, in order; each
    judged valid or invalid by ``judge`` (None leaves every case valid)."""
    cases: list[RecordedCase] = []
    calls: dict[str, RecordedCase] = {}
    counters = {"call": 0, "event": 0, "message": 0}

    def new_case(kind: str, id_tail: str, description: str, requirements: list[str]) -> RecordedCase:
        counters[kind] += 1
        number = counters[kind]
        case = RecordedCase(f"{kind}-{number}-{kebab(id_tail)}", f"{description} ({kind} {number})"[:150],
                            requirements)
        cases.append(case)
        return case

    for message in messages:
        correlation_id = message.properties.get("correlation_id")
        if message.role == "request":
            case = new_case("call", message.routing_key, f"A client calls {message.routing_key}", ["RPC-REQ-1"])
            if correlation_id is not None:
                calls[correlation_id] = case
        elif message.role == "reply" and correlation_id in calls:
            case = calls[correlation_id]
            if "RPC-REPLY-1" not in case.requirements:
                case.requirements.append("RPC-REPLY-1")
                case.description = case.description.replace(" (call", " and receives a reply (call", 1)
        elif message.role == "reply":
            case = new_case("message", "reply", "A server publishes a reply to no recorded request",
                            ["RPC-REPLY-1"])
        elif message.role == "event":
            source_service = message.exchange[: -len(".events")]
            case = new_case("event", f"{source_service}-{message.routing_key}",
                            f"{source_service} dispatches event {message.routing_key}", ["EVT-1"])
        else:
            case = new_case("message", message.exchange or "default",
                            f"A publish to exchange {message.exchange!r} with key {message.routing_key!r}", [])
        case.messages.append(message)
    if judge is not None:
        for case in cases:
            judge_case(case, judge)
    return cases


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="nameko-conformance record",
        description="Run a command against a private RabbitMQ node with the firehose on and write what it "
                    "published as a fixture file (one case per correlation id and per event).")
    parser.add_argument("--out", required=True, help="fixture file to write")
    parser.add_argument("--description", default=None, help="the file's description")
    parser.add_argument("--implementation", default="unknown", help="source.implementation (e.g. my-port)")
    parser.add_argument("--impl-version", default="unknown", help="source.version of the implementation")
    parser.add_argument("--node-url", default=None, help="AMQP URL of a node you own (instead of a private node)")
    parser.add_argument("--ctl-node", default=None, help="Erlang node name of --node-url, for rabbitmqctl")
    parser.add_argument("--vhost", default="/")
    parser.add_argument("--settle", type=float, default=1.0, help="quiet seconds that end the recording")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command and arguments to run")
    args = parser.parse_args(argv)
    if args.command and args.command[0] == "--":
        args.command = args.command[1:]
    if not args.command:
        parser.error("give the command to record after --")
    if bool(args.node_url) != bool(args.ctl_node):
        parser.error("--node-url and --ctl-node go together")
    return args


def main(argv=None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    with contextlib.ExitStack() as stack:
        if args.node_url:
            node = ExistingNode(args.node_url, args.ctl_node)
        else:
            if not PrivateNode.available():
                print("record: no rabbitmq-server found for a private node; use --node-url/--ctl-node",
                      file=sys.stderr)
                return 2
            print("record: starting a private RabbitMQ node (about 5 s) …", file=sys.stderr, flush=True)
            node = stack.enter_context(PrivateNode())
            print(mask(f"record: private node {node.nodename} (RabbitMQ {node.version}) at {node.amqp_url}"),
                  file=sys.stderr)
        url = node.url_for_vhost(args.vhost)
        recording = stack.enter_context(Recording(node, vhost=args.vhost, quiet_period=args.settle,
                                                  max_settle=max(5.0, 4 * args.settle)))
        env = dict(os.environ, AMQP_URI=url, NAMEKO_CONFORMANCE_AMQP_URI=url)
        returncode = subprocess.run(args.command, env=env).returncode
        cases = group_into_cases(recording.settle())
        command_text = mask(" ".join(args.command))  # a URI on the command line keeps its password out of the file
        description = args.description or f"Messages published by: {command_text}"[:150]
        source = recorded_source(args.implementation, args.impl_version, node.version,
                                 comment=f"recorded from the command: {command_text}")
        write_fixture(args.out, fixture_document(mask(description), source, cases))
        invalid = [case for case in cases if not case.valid]
        print(f"record: {len(cases)} cases written to {args.out} ({len(cases) - len(invalid)} valid, "
              f"{len(invalid)} invalid); the command exited with {returncode}", file=sys.stderr)
        for case in invalid:
            print(mask(f"record: {case.id} invalid: {case.comment}"), file=sys.stderr)
    return returncode


if __name__ == "__main__":
    sys.exit(main())
