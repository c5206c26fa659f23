"""A hostile corpus against `nameko-reference serve` on the shared broker (CONN-10..13, chapter 10).

More than 5,000 bad messages of every kind issue 9 lists, interleaved with more than 1,000 valid calls, are
published raw to a reference server running in its own process. The server must stay alive, answer every valid
call correctly and every answerable bad message with the right error, acknowledge and log the rest, leave its
queue empty, and print no traceback.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pika
import pytest

AMQP_URI = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F")
HERE = Path(__file__).parent
MAX_REPLY_BYTES = 1024 * 1024
JSON = "application/json"


@dataclass
class Case:
    kind: str
    method: str | bytes  # the routing key's method part
    body: bytes
    expect: object  # callable(reply) -> str | None (a complaint), or None when no reply can come back
    properties: dict = field(default_factory=dict)
    headers: dict | None = None
    correlation_id: object = None


def echo_of(args, kwargs):
    def check(reply):
        expected = {"result": {"args": args, "kwargs": kwargs}, "error": None}
        return None if reply == expected else f"expected {str(expected)[:200]}, got {str(reply)[:200]}"
    return check


def error_of(*exc_types, value_contains=None):
    def check(reply):
        error = reply.get("error") if isinstance(reply, dict) else None
        if not isinstance(error, dict) or error.get("exc_type") not in exc_types or reply.get("result") is not None:
            return f"expected an error of {exc_types}, got {str(reply)[:300]}"
        if value_contains is not None and value_contains not in error.get("value", ""):
            return f"expected {value_contains!r} in the error value, got {error.get('value')!r}"
        return None
    return check


def body(value):
    return json.dumps(value).encode()


def call(method, args=(), raw=None, **extra):
    """A request for `method`: `args` as a JSON body, or the `raw` body bytes as they are."""
    return dict(method=method, body=raw if raw is not None else body({"args": list(args), "kwargs": {}}), **extra)


def build_corpus(rng):
    """The bad messages, kind by kind: (count, factory of one Case's fields)."""
    malformed = error_of("MalformedRequest")
    unserializable = error_of("UnserializableValueError")
    nested_4mib = b"[" * (2 * 1024 * 1024 - 8) + b"]" * (2 * 1024 * 1024 - 8)
    many_containers = b'{"args": [' + b",".join([b"[]"] * 300_000) + b'], "kwargs": {}}'
    too_deep = b'{"args": ' + b"[" * 300 + b"]" * 300 + b', "kwargs": {}}'
    too_big = b'{"args": ["' + b"y" * (4 * 1024 * 1024) + b'"], "kwargs": {}}'
    heavy_ok_args = [[i % 10] for i in range(60_000)]
    odd_values = {"nameko.n": 7, "nameko.d": Decimal("1.5"), "nameko.t": {"x": [1, b"\xff"]},
                  "nameko.b": b"\xff\xfe", "nameko.none": None, "nameko.bool": True, "nameko.list": [None, 15, "s"]}

    def valid_with_headers(headers):
        args = [rng.randint(0, 10**6), "h"]
        return call("echo", args, expect=echo_of(args, {}), headers=headers)

    def raw_choice(*bodies):
        return lambda: call("echo", raw=rng.choice(bodies), expect=malformed)

    kinds = {
        # headers and routing keys that pika hands over as bytes or odd types
        "header key invalid utf-8": (400, lambda: valid_with_headers(
            {b"nameko.\xff\xfe": "x", b"\xc3\x28": 1, "nameko.ok": "fine"})),
        "header values of odd types": (300, lambda: valid_with_headers(odd_values)),
        "call id stack of the wrong type": (200, lambda: valid_with_headers(
            {"nameko.call_id_stack": rng.choice([7, {"a": 1}, b"\xff", [b"\xfe", 3, None], True])})),
        "routing key invalid utf-8": (400, lambda: call(b"\xff\xfe" + uuid.uuid4().hex[:4].encode(),
                                                        expect=error_of("MethodNotFound"))),
        # what methods do
        "lone surrogate in the error text": (250, lambda: call(
            "fail_surrogate", expect=error_of("ValueError", value_contains="\ufffd"))),
        "lone surrogates in the error args": (150, lambda: call("fail_surrogate_args", expect=error_of("ValueError"))),
        "error text that cannot be printed": (150, lambda: call("fail_unprintable", expect=error_of("ValueError"))),
        "result above the reply limit": (40, lambda: call("big", [2 * MAX_REPLY_BYTES],
                                                          expect=error_of("ReplyTooLarge"))),
        "result NaN": (150, lambda: call("nan", expect=unserializable)),
        "result nested too deep to encode": (50, lambda: call("deep", [5000], expect=unserializable)),
        "result with a lone surrogate": (150, lambda: call("surrogate_result", expect=unserializable)),
        # bodies
        "deeply nested args": (200, lambda: call("echo", raw=too_deep, expect=malformed)),
        "4 MiB of nested arrays": (3, lambda: call("echo", raw=nested_4mib, expect=malformed)),
        "too many containers": (3, lambda: call("echo", raw=many_containers, expect=malformed)),
        "heavy but within the limits": (3, lambda: call("echo", heavy_ok_args, expect=echo_of(heavy_ok_args, {}))),
        "request above the size limit": (3, lambda: call("echo", raw=too_big, expect=malformed)),
        "not JSON": (300, raw_choice(b"{", b"nope", b'{"args": [1, "kwargs": {}}', b"\x00\x01")),
        "not UTF-8": (250, raw_choice(b'{"args": ["\xff\xfe"], "kwargs": {}}')),
        "empty body": (100, raw_choice(b"")),
        "JSON that is not an object": (250, raw_choice(b"[]", b"3", b'"s"', b"null", b"true")),
        "args or kwargs missing": (250, raw_choice(b"{}", b'{"args": []}', b'{"kwargs": {}}')),
        "args or kwargs of the wrong type": (250, raw_choice(
            b'{"args": "xy", "kwargs": {}}', b'{"args": {"p": 1}, "kwargs": {}}', b'{"args": [], "kwargs": []}',
            b'{"args": null, "kwargs": 3}')),
        "lenient JSON (MAL-16)": (150, lambda: call(
            "echo", raw=rng.choice([b'{"args": ["\\ud800"], "kwargs": {}}', b'{"args": [NaN], "kwargs": {}}']),
            expect=error_of("MalformedRequest", "UnserializableValueError"))),
        "unknown method": (200, lambda: call("nope_" + uuid.uuid4().hex[:6], expect=error_of("MethodNotFound"))),
        "wrong signature": (200, lambda: call("fail", [1, 2, 3], expect=error_of("IncorrectSignature"))),
        # properties
        "no content_type": (200, lambda: call("echo", expect=malformed, properties={"content_type": None})),
        "unsupported content_type": (200, lambda: call("echo", expect=malformed, properties={
            "content_type": rng.choice(["text/plain", "application/x-pickle"])})),
        "content_type invalid utf-8": (150, lambda: call("echo", expect=malformed,
                                                         properties={"content_type": b"application/\xffjson"})),
        "correlation_id invalid utf-8": (150, lambda: call("echo", [1], expect=echo_of([1], {}),
                                                           correlation_id=b"\xff" + uuid.uuid4().hex.encode())),
        "no correlation_id": (100, lambda: call("echo", ["nocid"], expect=echo_of(["nocid"], {}),
                                                correlation_id="none")),
        "no reply_to": (200, lambda: call("echo", expect=None, properties={"reply_to": None})),
        "reply_to invalid utf-8": (100, lambda: call("echo", expect=None, properties={"reply_to": b"\xff-nowhere"})),
    }
    cases = []
    for kind, (count, make) in kinds.items():
        for _ in range(count):
            cases.append(Case(kind=kind, **make()))
    return cases


def valid_cases(rng, count):
    cases = []
    for index in range(count):
        args, kwargs = [index, "valid", {"n": rng.random()}], {"k": [index]}
        cases.append(Case("valid", "echo", body({"args": args, "kwargs": kwargs}), echo_of(args, kwargs)))
    return cases


def peak_rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture
def hostile_server(tmp_path):
    service = f"hostile_{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / "server.log"
    env = dict(os.environ, HOSTILE_SERVICE=service, AMQP_URI=AMQP_URI, PYTHONUNBUFFERED="1")
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "nameko_reference.cli", "--log-level", "WARNING", "serve",
             "hostile_service:Hostile", "--max-reply-bytes", str(MAX_REPLY_BYTES)],
            cwd=HERE, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b"serving" not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        yield service, process, log_path
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
        connection.channel().queue_delete(f"rpc-{service}")
        connection.close()


def test_hostile_corpus_neither_kills_nor_loops_the_server(hostile_server):
    service, process, log_path = hostile_server
    rng = random.Random(9)
    bad = build_corpus(rng)
    cases = bad + valid_cases(rng, 1000)
    rng.shuffle(cases)
    assert len(bad) >= 5000

    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URI))
    channel = connection.channel()
    reply_queue = channel.queue_declare("", exclusive=True).method.queue
    reply_key = f"hostile-reply-{uuid.uuid4().hex}"
    channel.queue_bind(reply_queue, "nameko-rpc", reply_key)

    expected = {}  # correlation_id -> case
    no_cid_expected, unanswerable = [], Counter()
    for case in cases:
        properties = {"content_type": JSON, "delivery_mode": 2, "reply_to": reply_key}
        properties.update(case.properties)
        if case.correlation_id == "none":
            correlation_id = None
            no_cid_expected.append(case)
        else:
            correlation_id = case.correlation_id or str(uuid.uuid4())
            properties["correlation_id"] = correlation_id
        if case.expect is None:
            unanswerable[case.kind] += 1
        elif correlation_id is not None:
            expected[correlation_id] = case
        properties = {name: value for name, value in properties.items() if value is not None}
        method = case.method.encode() if isinstance(case.method, str) else case.method
        channel.basic_publish("nameko-rpc", service.encode() + b"." + method, case.body,
                              pika.BasicProperties(headers=case.headers, **properties))

    complaints, answered, no_cid_replies = [], Counter(), []
    started = time.monotonic()
    for method, properties, reply_body in channel.consume(reply_queue, auto_ack=True, inactivity_timeout=1):
        if method is not None:
            reply = json.loads(reply_body)
            case = expected.pop(properties.correlation_id, None)
            if properties.correlation_id is None:
                no_cid_replies.append(reply)
            elif case is None:
                complaints.append(f"reply with unexpected correlation_id {properties.correlation_id!r}")
            else:
                complaint = case.expect(reply)
                if complaint:
                    complaints.append(f"{case.kind}: {complaint}")
                answered[case.kind] += 1
        if (not expected and len(no_cid_replies) >= len(no_cid_expected)) or time.monotonic() - started > 180:
            break
        assert process.poll() is None, "the server died:\n" + log_path.read_text(errors="replace")[-3000:]
    channel.cancel()

    assert process.poll() is None, "the server died"
    missing = Counter(case.kind for case in expected.values())
    assert not missing, f"calls never answered, by kind: {dict(missing)}"
    assert not complaints, f"{len(complaints)} wrong answers, e.g. {complaints[:5]}"
    assert len(no_cid_replies) == len(no_cid_expected)
    for reply in no_cid_replies:
        assert echo_of(["nocid"], {})(reply) is None
    assert answered["valid"] == 1000

    peak_rss_mb = peak_rss_kib(process.pid) / 1024
    # A generous bound that catches unbounded growth, not a performance figure.
    assert peak_rss_mb < 500, f"server peak RSS {peak_rss_mb:.0f} MB"

    # The queue drains: after a graceful stop nothing is left in it, acknowledged or not.
    process.send_signal(signal.SIGTERM)
    assert process.wait(60) == 0
    queue_state = channel.queue_declare(f"rpc-{service}", passive=True).method
    connection.close()
    assert queue_state.message_count == 0

    output = log_path.read_text(errors="replace")
    assert "Traceback" not in output, output[-3000:]
    # MAL-11: one line for each request acknowledged without a reply.
    assert output.count("acknowledged without reply: request has no reply_to") == unanswerable["no reply_to"]
    print(f"hostile corpus: {len(bad)} bad, {len(cases) - len(bad)} valid, "
          f"{sum(answered.values()) + len(no_cid_replies)} answered, {sum(unanswerable.values())} unanswerable, "
          f"{time.monotonic() - started:.1f} s, server peak RSS {peak_rss_mb:.0f} MB")
