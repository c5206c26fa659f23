"""Record what real nameko 2.14.1 and 3.0.0rc11 put on the wire, as the fixtures under `fixtures/recorded/`.

Runs in the dev virtualenv. For each nameko version it starts a private RabbitMQ node with the firehose on,
runs the scenario services (`greeting.py`) with `nameko run` and a client (`nameko_client.py`) in that version's
virtualenv, sends the malformed requests itself with raw pika, and writes

    fixtures/recorded/nameko-<version>-rpc.json
    fixtures/recorded/nameko-<version>-events.json
    fixtures/recorded/nameko-<version>-malformed.json

    python tools/record/record_nameko.py [--version 2.14.1] [--out-dir fixtures/recorded]

The malformed requests without `reply_to` or `content_type` kill the nameko container; the orchestrator records
that as `observed`, kills what is left of the process, purges the poisoned queue and throws the node away.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pika

from nameko_conformance.capture.private_node import PrivateNode
from nameko_conformance.capture.recorder import Recording, recorded_source, write_fixture, fixture_document
from nameko_conformance.capture.spy import SpyQueue

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENVS = {"2.14.1": ROOT / ".venvs" / "nameko2", "3.0.0rc11": ROOT / ".venvs" / "nameko3"}
SERVICES = ("greeting:GreetingService", "greeting:ListenerService")
RPC_EXCHANGE = "nameko-rpc"
CRASH_WAIT = 15.0
READY_TIMEOUT = 60.0


# -- the nameko processes ---------------------------------------------------------------------------------------

class NamekoServices:
    """`nameko run` of the scenario services in a version's virtualenv, in its own process group."""

    def __init__(self, venv: Path, amqp_url: str, workdir: Path):
        self.venv = venv
        self.amqp_url = amqp_url
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / f"nameko-run-{uuid.uuid4().hex[:6]}.log"

    def start(self, node) -> "NamekoServices":
        config = self.workdir / "config.yaml"
        config.write_text(f"AMQP_URI: '{self.amqp_url}'\n")
        env = dict(os.environ, PYTHONPATH=str(HERE), PYTHONUNBUFFERED="1")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.venv / "bin" / "nameko"), "run", "--config", str(config), *SERVICES],
                cwd=HERE, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self._await_consumers(node)
        return self

    def _await_consumers(self, node) -> None:
        wanted = ("rpc-greeting_service", "rpc-listener_service", "evt-greeting_service-greeted",
                  "evt-greeting_service-greeted--listener_service.on_greeted_pool",
                  "evt-greeting_service-greeted--listener_service.on_greeted_broadcast-")
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nameko run exited with {self.process.returncode}:\n{self.log()}")
            listing = node.ctl("list_queues", "-q", "--no-table-headers", "name", "consumers")
            consumers = {}
            for line in listing.splitlines():
                name, _, count = line.strip().rpartition("\t")
                consumers[name] = int(count) if count.isdigit() else 0
            if all(any(name.startswith(prefix) and count > 0 for name, count in consumers.items())
                   for prefix in wanted):
                return
            time.sleep(0.3)
        raise RuntimeError(f"nameko services did not start consuming:\n{self.log()}")

    def wait_exit(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self) -> str:
        """Stop the process group; returns how it ended (for the record)."""
        if self.process is None:
            return "not started"
        if self.process.poll() is not None:
            return f"exited with {self.process.returncode}"
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
            return "stopped by SIGTERM"
        except subprocess.TimeoutExpired:
            # Seen with a poisoned queue: the process ignores SIGTERM.
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            return "ignored SIGTERM and was killed"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


class NamekoClient:
    """`nameko_client.py` in a version's virtualenv, driven one JSON command per line."""

    def __init__(self, venv: Path, amqp_url: str):
        env = dict(os.environ, AMQP_URI=amqp_url, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [str(venv / "bin" / "python"), str(HERE / "nameko_client.py")], env=env, cwd=HERE,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            start_new_session=True)
        self.hello = self._read()

    def _read(self) -> dict:
        for line in self.process.stdout:
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT "):])
        raise RuntimeError(f"nameko client exited with {self.process.wait()}")

    def send(self, **command) -> dict:
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class RawClient:
    """Raw pika requests, for what no nameko client would send; confirms and `mandatory` like a client."""

    def __init__(self, amqp_url: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()
        self.reply_to = str(uuid.uuid4())

    def publish(self, routing_key: str, body: bytes, **properties) -> None:
        self.channel.basic_publish(RPC_EXCHANGE, routing_key, body, pika.BasicProperties(**properties),
                                   mandatory=True)

    def request_properties(self, **changes) -> dict:
        """The minimal request (RPC-REQ-13) with `changes`; a value of None drops the property."""
        properties = {"content_type": "application/json", "correlation_id": str(uuid.uuid4()),
                      "reply_to": self.reply_to}
        properties.update(changes)
        return {key: value for key, value in properties.items() if value is not None}

    def purge(self, queue: str) -> None:
        self.channel.queue_purge(queue)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


def expect(response: dict, *, result=None, error_type=None):
    """Stop the recording when nameko did not do what the scenario is about."""
    if error_type is None:
        if not response.get("ok"):
            raise RuntimeError(f"expected a result, the client saw {response}")
        if result is not None and response["result"] != result:
            raise RuntimeError(f"expected {result!r}, the client saw {response['result']!r}")
    elif response.get("ok") or response["error"]["type"] != error_type:
        raise RuntimeError(f"expected {error_type}, the client saw {response}")
    return response


def mark_mandatory(case) -> None:
    """The recorder published the first message itself, so its mandatory flag is known."""
    case.messages[0] = dataclasses.replace(case.messages[0], mandatory=True)


# -- the scenarios ----------------------------------------------------------------------------------------------

def call_action(client: NamekoClient):
    return lambda method, *args, service="greeting_service", **kwargs: client.send(
        action="call", service=service, method=method, args=list(args), kwargs=kwargs)


def record_plain_call(rec: Recording, client: NamekoClient) -> None:
    with rec.case("plain-call", "A standalone proxy calls hello with one positional argument and gets the result",
                  ["RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-5", "RPC-REQ-6", "RPC-REQ-7",
                   "RPC-REPLY-1", "RPC-REPLY-2", "RPC-REPLY-3", "RPC-REPLY-4", "RPC-REPLY-6", "RPC-REPLY-7"],
                  outcome={"reply": "success"}, min_messages=2):
        expect(call_action(client)("hello", "world"), result="Hello, world!")


def record_rpc(rec: Recording, client: NamekoClient, raw: RawClient) -> None:
    call = call_action(client)
    record_plain_call(rec, client)

    with rec.case("kwargs-only", "A proxy calls hello with a keyword argument only; args is an empty array",
                  ["RPC-REQ-5", "RPC-REQ-12", "RPC-REPLY-4"], outcome={"reply": "success"}, min_messages=2):
        expect(call("hello", name="kw"), result="Hello, kw!")

    unicode_name = "w\u00f6rld \u2603 \U0001f600"
    with rec.case("unicode-argument", "A non-ASCII argument travels as JSON escapes and comes back in the result",
                  ["SER-1", "SER-2", "RPC-REQ-5", "RPC-REPLY-4"], outcome={"reply": "success"}, min_messages=2):
        expect(call("hello", unicode_name), result=f"Hello, {unicode_name}!")

    with rec.case("nested-call", "A service calls another service from a worker; the inner request carries a "
                  "call id stack of two entries", ["CTX-4", "CTX-6", "CTX-14", "RPC-REQ-1"],
                  outcome={"reply": "success"}, min_messages=4):
        expect(call("relay_hello", "nested", service="listener_service"), result="Hello, nested!")

    with rec.case("call-async-three-in-flight", "Three calls are in flight on one reply queue; the replies arrive "
                  "in another order and match by correlation_id", ["RPC-CORR-9", "RPC-CORR-10", "RPC-REPLY-11"],
                  outcome={"reply": "success"}, min_messages=6):
        calls = [{"service": "greeting_service", "method": "slow", "args": [seconds], "kwargs": {}}
                 for seconds in (0.3, 0.1, 0.2)]
        expect(client.send(action="call_async", calls=calls), result=[0.3, 0.1, 0.2])

    with rec.case("method-not-found", "A call to a method the service lacks gets a MethodNotFound error reply",
                  ["RPC-ERR-1", "RPC-ERR-6", "RPC-ERR-11"], outcome={"reply": "error", "exc_type": "MethodNotFound"},
                  min_messages=2):
        expect(call("no_such_method"), error_type="MethodNotFound")

    with rec.case("incorrect-signature-missing-argument", "A call without the method's required argument gets an "
                  "IncorrectSignature error reply", ["RPC-ERR-7", "RPC-ERR-11"],
                  outcome={"reply": "error", "exc_type": "IncorrectSignature"}, min_messages=2):
        expect(call("hello"), error_type="IncorrectSignature")

    with rec.case("incorrect-signature-extra-argument", "A call with one positional argument too many gets an "
                  "IncorrectSignature error reply", ["RPC-ERR-7", "RPC-ERR-11"],
                  outcome={"reply": "error", "exc_type": "IncorrectSignature"}, min_messages=2):
        expect(call("hello", "a", "b"), error_type="IncorrectSignature")

    with rec.case("malformed-request-missing-kwargs", "A raw request body without kwargs gets a MalformedRequest "
                  "error reply", ["RPC-ERR-8"], valid=False, violates=["RPC-REQ-5"],
                  outcome={"reply": "error", "exc_type": "MalformedRequest", "requirements": ["RPC-ERR-8"]},
                  min_messages=2) as case:
        raw.publish("greeting_service.hello", b'{"args": ["world"]}', **raw.request_properties())
    mark_mandatory(case)

    with rec.case("unknown-service", "A request to a service nobody serves is unroutable; the client raises "
                  "UnknownService", ["RPC-CALL-1", "RPC-REQ-8"], min_messages=1):
        expect(call("hello", "nobody", service="no_such_service"), error_type="UnknownService")

    with rec.case("raised-exception", "A method that raises ValueError gets an error reply naming ValueError with "
                  "the message as value", ["RPC-ERR-1", "RPC-ERR-2", "RPC-ERR-3", "RPC-ERR-4", "RPC-ERR-9",
                                           "RPC-REPLY-5", "RPC-ERR-11"],
                  outcome={"reply": "error", "exc_type": "ValueError"}, min_messages=2):
        expect(call("raise_value_error", "boom"), error_type="RemoteError")

    with rec.case("unserializable-result", "A result JSON cannot encode gets an UnserializableValueError error reply",
                  ["RPC-ERR-10"], outcome={"reply": "error", "exc_type": "UnserializableValueError"},
                  min_messages=2):
        expect(call("unserializable"), error_type="RemoteError")

    context = {"language": "en-gb", "user_id": 42, "tenant": "acme"}
    with rec.case("context-headers", "Context data travels as nameko.* headers next to the call id stack",
                  ["CTX-1", "CTX-2", "CTX-11", "CTX-12"], outcome={"reply": "success"}, min_messages=2):
        response = expect(client.send(action="call", service="greeting_service", method="whoami",
                                      context_data=context))
        if response["result"]["context"] != context:
            raise RuntimeError(f"the worker saw other context data: {response['result']}")

    with rec.case("context-headers-forwarded", "A worker forwards the caller's nameko.* headers on its own request "
                  "and extends the call id stack", ["CTX-6", "CTX-7"], outcome={"reply": "success"},
                  min_messages=4):
        expect(client.send(action="call", service="listener_service", method="relay_whoami", context_data=context))

    with rec.case("minimal-request", "A raw request with only content_type, reply_to and correlation_id gets a "
                  "success reply", ["RPC-REQ-13", "CTX-8"], outcome={"reply": "success"}, min_messages=2) as case:
        raw.publish("greeting_service.hello", b'{"args": ["minimal"], "kwargs": {}}', **raw.request_properties())
    mark_mandatory(case)


def record_events(rec: Recording, client: NamekoClient) -> None:
    with rec.case("event-from-service", "A worker dispatches an event; it reaches the service_pool, singleton and "
                  "broadcast handler queues", ["EVT-1", "EVT-2", "EVT-4", "EVT-5", "EVT-6", "EVT-7", "EVT-11",
                                               "CTX-6"], min_messages=3):
        expect(client.send(action="call", service="greeting_service", method="emit",
                           args=["greeted", {"who": "ann", "n": 1}]), result="greeted")

    with rec.case("event-from-standalone-dispatcher", "The standalone dispatcher publishes an event with an empty "
                  "headers table; it reaches every handler queue", ["EVT-1", "EVT-2", "EVT-4", "EVT-11"],
                  min_messages=1):
        expect(client.send(action="dispatch", service="greeting_service", event_type="greeted",
                           payload={"who": "standalone", "n": 2}))


# Malformed requests that nameko drops or answers: (id, description, body, property changes, violates,
# requirements, outcome, observed when nameko deviates, whether a reply is expected).
DROPPED_OR_ANSWERED = [
    ("invalid-json", "A request whose body is not valid JSON", b'{"args": ["world"], "kwargs": {',
     {}, ["SER-1"], ["MAL-1", "MAL-9", "MAL-10"], {"reply": "error", "exc_type": "MalformedRequest"},
     ("MAL-1", "kombu cannot decode the body; nameko acknowledges and drops the request without a reply")),
    ("content-type-text-plain", "A request with content_type text/plain", b'{"args": ["world"], "kwargs": {}}',
     {"content_type": "text/plain"}, ["RPC-REQ-2"], ["MAL-3", "MAL-9", "MAL-10"],
     {"reply": "error", "exc_type": "MalformedRequest"},
     ("MAL-3", "kombu refuses the content type (ContentDisallowed); nameko acknowledges and drops the request "
               "without a reply")),
    ("invalid-utf8", "A request whose JSON body holds bytes that are not UTF-8",
     b'{"args": ["w\xf6rld"], "kwargs": {}}',
     {}, ["SER-1"], ["MAL-4", "MAL-9", "MAL-10"], {"reply": "error", "exc_type": "MalformedRequest"},
     ("MAL-4", "kombu cannot decode the body; nameko acknowledges and drops the request without a reply")),
    ("array-body", "A request whose body is a JSON array", b'["world"]', {}, ["RPC-REQ-5"], ["MAL-6", "MAL-9"],
     {"reply": "error", "exc_type": "MalformedRequest"}, ("MAL-6", None)),
    ("args-object-kwargs-array", "A request whose args is an object and kwargs an array",
     b'{"args": {"name": "world"}, "kwargs": ["world"]}', {}, ["RPC-REQ-5"], ["MAL-7", "MAL-15", "MAL-9"],
     {"reply": "error", "exc_type": "MalformedRequest"}, ("MAL-15", None)),
    ("no-correlation-id", "A request without correlation_id", b'{"args": ["world"], "kwargs": {}}',
     {"correlation_id": None}, ["RPC-REQ-4"], ["MAL-8", "RPC-REPLY-2"], {"reply": "success"}, None),
]

# Malformed requests that kill the nameko container (a poison message).
CRASHING = [
    ("no-reply-to", "A request without reply_to", {"reply_to": None}, ["RPC-REQ-3"], ["MAL-5", "MAL-14", "MAL-9"],
     {"reply": "none", "ack": True, "requeue": False}, "MAL-5"),
    ("no-content-type", "A request without content_type", {"content_type": None}, ["RPC-REQ-2"], ["MAL-2", "MAL-9"],
     {"reply": "error", "exc_type": "MalformedRequest"}, "MAL-2"),
]


def observed_reply(messages) -> dict:
    replies = [message for message in messages if message.role == "reply"]
    if not replies:
        return {"reply": "none"}
    error = replies[0].json_body().get("error")
    return {"reply": "error", "exc_type": error["exc_type"]} if error else {"reply": "success"}


def queue_depth(node, queue: str) -> int:
    """Ready plus unacknowledged messages of a queue, read with rabbitmqctl (no AMQP traffic)."""
    listing = node.ctl("list_queues", "-q", "--no-table-headers", "name", "messages")
    for line in listing.splitlines():
        name, _, count = line.strip().rpartition("\t")
        if name == queue:
            return int(count)
    return 0


def record_malformed(rec: Recording, raw: RawClient, services: NamekoServices, restart, node) -> NamekoServices:
    for case_id, what, body, changes, violates, requirements, outcome, deviation in DROPPED_OR_ANSWERED:
        with rec.case(case_id, f"{what}", requirements, valid=False, violates=violates,
                      outcome=dict(outcome, requirements=requirements[:1]), min_messages=2) as case:
            raw.publish("greeting_service.hello", body, **raw.request_properties(**changes))
        mark_mandatory(case)
        seen = observed_reply(case.messages)
        if seen["reply"] == "none":
            if queue_depth(node, "rpc-greeting_service"):
                raise RuntimeError(f"{case_id}: the request is still in rpc-greeting_service")
            seen.update(ack=True, requeue=False)
        expected = {key: value for key, value in outcome.items() if key in ("reply", "exc_type")}
        if {key: value for key, value in seen.items() if key in ("reply", "exc_type")} != expected:
            if deviation is None:
                raise RuntimeError(f"{case_id}: nameko did {seen}, which the scenario does not expect")
            requirement, note = deviation
            if note is None:
                note = (f"nameko replies with {article(seen.get('exc_type'))} error instead of "
                        f"{outcome.get('exc_type')}")
            case.observed = dict(seen, note=note, deviation=requirement)
        case.description = f"{what}: nameko " + describe(seen)

    for case_id, what, changes, violates, requirements, outcome, requirement in CRASHING:
        with rec.case(case_id, what, requirements, valid=False, violates=violates,
                      outcome=dict(outcome, requirements=requirements[:1]), min_messages=1) as case:
            raw.publish("greeting_service.hello", b'{"args": ["world"], "kwargs": {}}',
                        **raw.request_properties(**changes))
            exit_code = services.wait_exit(CRASH_WAIT)
        mark_mandatory(case)
        seen = observed_reply(case.messages)
        left_in_queue = queue_depth(node, "rpc-greeting_service")
        ending = services.stop()
        if exit_code is not None:
            what_happened = (f"the container crashes (nameko run exits with {exit_code}) without a reply"
                             + ("; the unacknowledged request stays in rpc-greeting_service, a poison message for "
                                "the next start" if left_in_queue else ""))
            case.description = f"{what}: the nameko container crashes without a reply"
        else:
            what_happened = (f"no reply within {CRASH_WAIT:.0f} s and the process stays up; at the end it {ending}")
            case.description = f"{what}: nameko sends no reply"
        if left_in_queue and seen["reply"] == "none":
            seen["ack"] = False
        case.observed = dict(seen, note=what_happened, deviation=requirement)
        # The request is a poison message: purge it before the next scenario starts the services again.
        raw.purge("rpc-greeting_service")
        services = restart()
    return services


def describe(seen: dict) -> str:
    if seen["reply"] == "none":
        return "acknowledges it without a reply"
    if seen["reply"] == "success":
        return "answers with a success reply"
    return f"answers with {article(seen['exc_type'])} error reply"


def article(word: str) -> str:
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


# -- one version ------------------------------------------------------------------------------------------------

def provenance_comment(venv: Path) -> str:
    probe = ("import importlib.metadata as m, platform; "
             "print('Python %s, kombu %s, amqp %s, eventlet %s' % (platform.python_version(), "
             "m.version('kombu'), m.version('amqp'), m.version('eventlet')))")
    versions = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True).stdout
    return (f"Recorded by tools/record/record_nameko.py (services tools/record/greeting.py, client "
            f"tools/record/nameko_client.py, raw pika {pika.__version__} for malformed requests) through the "
            f"firehose of a private node; {versions.strip()} on {platform.system()} {platform.machine()}.")


def record_version(version: str, out_dir: Path, venv: Path, *, plain_call_only: bool = False) -> list[Path]:
    with tempfile.TemporaryDirectory(prefix="nameko-record-") as workdir, \
            PrivateNode(name_prefix="nameko-record") as node, Recording(node, max_settle=5.0) as rec:
        print(f"[{version}] private node {node.nodename}, RabbitMQ {node.version}, "
              f"up in {node.startup_seconds:.1f} s", file=sys.stderr)
        started = []

        def start_services() -> NamekoServices:
            services = NamekoServices(venv, node.amqp_url.replace("amqp://", "pyamqp://"), Path(workdir))
            started.append(services)
            return services.start(node)

        raw = client = None
        try:
            services = start_services()
            raw = RawClient(node.amqp_url)
            with SpyQueue(node.amqp_url, RPC_EXCHANGE, [raw.reply_to], name_prefix="rpc.reply-recorder"):
                client = NamekoClient(venv, node.amqp_url.replace("amqp://", "pyamqp://"))
                if client.hello.get("nameko") != version:
                    raise RuntimeError(f"{venv} runs nameko {client.hello.get('nameko')}, not {version}")
                documents = {}
                if plain_call_only:
                    record_plain_call(rec, client)
                    documents["rpc"] = (f"A plain call recorded afresh from nameko {version}", rec.cases)
                    return write_documents(documents, version, node, venv, out_dir)
                record_rpc(rec, client, raw)
                documents["rpc"] = (f"Calls, replies and built-in errors recorded from nameko {version}", rec.cases)
                rec.cases = []
                record_events(rec, client)
                documents["events"] = (f"Events recorded from nameko {version} with the queues they reached",
                                       rec.cases)
                rec.cases = []
                client.close()
                client = None
                record_malformed(rec, raw, services, start_services, node)
                documents["malformed"] = (f"Malformed requests sent to nameko {version} and what it did with them",
                                          rec.cases)
        finally:
            if client is not None:
                client.close()
            if raw is not None:
                raw.close()
            for services in started:
                services.stop()
        if rec.unassigned:
            print(f"[{version}] {len(rec.unassigned)} publishes outside any case: "
                  + "; ".join(m.summary() for m in rec.unassigned), file=sys.stderr)
        return write_documents(documents, version, node, venv, out_dir)


def write_documents(documents: dict, version: str, node, venv: Path, out_dir: Path) -> list[Path]:
    source = recorded_source("nameko", version, node.version, comment=provenance_comment(venv))
    written = []
    for topic, (description, cases) in documents.items():
        path = out_dir / f"nameko-{version}-{topic}.json"
        write_fixture(path, fixture_document(description, source, cases))
        written.append(path)
        print(f"[{version}] {len(cases)} cases -> {path}", file=sys.stderr)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", choices=sorted(VENVS), action="append",
                        help="nameko version to record (default: all)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "fixtures" / "recorded")
    parser.add_argument("--venv", type=Path, default=None,
                        help="virtualenv holding that nameko (default: .venvs/nameko2 or .venvs/nameko3)")
    parser.add_argument("--plain-call-only", action="store_true",
                        help="record only the plain-call case into nameko-<version>-rpc.json (for freshness checks)")
    args = parser.parse_args(argv)
    if args.venv and len(args.version or []) != 1:
        parser.error("--venv goes with exactly one --version")
    if not PrivateNode.available():
        print("record_nameko: no rabbitmq-server for a private node", file=sys.stderr)
        return 2
    for version in args.version or sorted(VENVS):
        record_version(version, args.out_dir, args.venv or VENVS[version], plain_call_only=args.plain_call_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
