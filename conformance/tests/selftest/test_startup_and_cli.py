"""The console script as a user meets it: start-up mistakes are one message with the documented exit code before
any test runs, the header names the resolved broker, progress lines appear (and --quiet silences them), and
`record` marks invalid messages and never writes a password."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from nameko_conformance.capture.private_node import PrivateNode

REFERENCE = f"{sys.executable} -m nameko_reference.testee"
SECRET = "not-the-password-4711"


def cli(tmp_path: Path, *args: str, timeout: float = 300) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "nameko_conformance.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=tmp_path)
    return done.returncode, done.stdout + done.stderr


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    return cli(tmp_path, "run", f"--report-dir={tmp_path / 'report'}", *args)


def assert_one_message(output: str, *expected: str) -> None:
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
    assert SECRET not in output
    for text in expected:
        assert text in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) <= 4, output  # the message, at most pytest's closing line


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("args, expected", [
    (("--target-cmd", "/nonexistent/serve --fast"), "/nonexistent/serve does not exist"),
    (("--target-cmd", "no-such-service-binary"), "command not found on PATH"),
    (("--target", f"http://guest:{SECRET}@127.0.0.1:15672/"), "starts with amqp:// or amqps://, not http://"),
    (("--capabilities", "server,evnts-dispatch"), "did you mean 'events-dispatch'"),
    (("--baseline", "no-such-baseline.json"), "no packaged baseline of that name"),
    (("--observer", "firehose"), "needs a broker the kit owns"),
], ids=["missing-target-cmd", "target-cmd-not-on-path", "http-target", "misspelt-capability", "missing-baseline",
        "firehose-without-private"])
def test_usage_mistake_is_one_message_and_exit_4(tmp_path, args, expected):
    """Each usage mistake gives one message, exit 4, no traceback, and no test runs."""
    code, output = run(tmp_path, *args)
    assert code == 4, output
    assert_one_message(output, expected)
    assert not (tmp_path / "report" / "report.json").exists()


def test_wrong_password_is_reported_as_a_refused_login(tmp_path):
    """A wrong password is a refused login (ACCESS_REFUSED), exit 3, not "does not answer a handshake"."""
    code, output = run(tmp_path, "--amqp-uri", f"amqp://guest:{SECRET}@127.0.0.1:5672/%2F", "--target-cmd", REFERENCE)
    assert code == 3, output
    assert_one_message(output, "refused the login of user 'guest' (ACCESS_REFUSED)", "amqp://guest:***@127.0.0.1")
    assert "handshake" not in output
    assert not (tmp_path / "report" / "report.json").exists()


def test_dead_broker_is_one_message_and_exit_3(tmp_path):
    """A broker that nothing serves is named with its address; exit 3; no test runs."""
    port = closed_port()
    code, output = run(tmp_path, "--target", f"amqp://guest:{SECRET}@127.0.0.1:{port}/%2F?service=x")
    assert code == 3, output
    assert_one_message(output, f"nothing accepts connections at 127.0.0.1:{port}", "the --target URI")


def test_failing_target_command_is_one_message_with_its_output(tmp_path):
    """A target command that exits before serving: one message with its output tail, exit 3, no test runs; with
    --debug the traceback is added."""
    command = f"{sys.executable} -c \"print('boom from the target'); raise SystemExit(7)\""
    code, output = run(tmp_path, "--target-cmd", command)
    assert code == 3, output
    assert "the target could not be started" in output and "exited with 7" in output
    assert "boom from the target" in output and "Traceback" not in output
    assert " passed" not in output and "EEE" not in output
    code, output = run(tmp_path, "--target-cmd", command, "--debug")
    assert code == 3 and "Traceback" in output


def test_header_names_the_broker_and_progress_lines_appear(tmp_path):
    """A run names the broker it resolved and the observer, then writes a line per chapter; --quiet drops the
    progress lines but keeps the verdicts."""
    code, output = run(tmp_path, "--target-cmd", REFERENCE, "--req", "01-topology*")
    assert code == 0, output
    assert "broker: local RabbitMQ 3." in output or "broker: explicit RabbitMQ" in output, output
    assert "observer: the kit's own reply queues" in output
    assert "None" not in output.split("nameko conformance verdicts")[0]
    assert [line for line in output.splitlines() if line.startswith("chapter 01-topology: ")], output
    code, quiet = run(tmp_path, "--target-cmd", REFERENCE, "--req", "01-topology*", "--quiet")
    assert code == 0, quiet
    assert "chapter 01-topology" not in quiet and "gate: PASS" in quiet


def test_fuzz_run_prints_a_line_per_property_with_the_rate(tmp_path):
    """Each fuzz property ends with a line giving its examples and their rate, whether it passed or failed."""
    code, output = cli(tmp_path, "fuzz", "--target-cmd", REFERENCE, "--fuzz-examples", "10",
                       f"--report-dir={tmp_path / 'report'}")
    assert code in (0, 1), output  # the verdicts are the suite's business; the lines are this test's
    lines = [line for line in output.splitlines() if line.startswith("fuzz ") and line.endswith(", done")]
    assert len(lines) == 3, output  # one per property
    assert all(" examples in " in line and "/s)" in line for line in lines)


@pytest.mark.skipif(not PrivateNode.available(), reason="needs rabbitmq-server for a private node")
def test_private_node_start_is_announced(tmp_path):
    """While the kit starts its private node it says so, and when it is ready."""
    code, output = run(tmp_path, "--broker", "private", "--req", "01-topology*")
    assert code == 0, output
    assert "starting a private RabbitMQ node" in output
    assert "ready in" in output and "broker: private-node RabbitMQ" in output
    assert "observer: firehose" in output


RECORDED_PROGRAM = """
import os, sys, pika
connection = pika.BlockingConnection(pika.URLParameters(os.environ["AMQP_URI"]))
channel = connection.channel()
channel.exchange_declare("nameko-rpc", "topic", durable=True)
props = pika.BasicProperties(content_type="application/json", correlation_id="c-1", reply_to="r-1", delivery_mode=2,
                             headers={"nameko.call_id_stack": ["standalone_rpc_proxy.call.1"]})
channel.basic_publish("nameko-rpc", "greeter.hello", b'{"args": [], "kwargs": {}}', props)
channel.basic_publish("nameko-rpc", "r-1", b'{"result": 1}', pika.BasicProperties(correlation_id="c-1"))
connection.close()
"""


@pytest.mark.skipif(not PrivateNode.available(), reason="needs rabbitmq-server for a private node")
def test_record_marks_an_invalid_reply_and_masks_passwords(tmp_path):
    """record marks the case with a reply that breaks the wire-message schema invalid, says why, and writes no
    password (neither the node's nor one on the command line)."""
    program = tmp_path / "publish.py"
    program.write_text(RECORDED_PROGRAM)
    out = tmp_path / "recorded.json"
    code, output = cli(tmp_path, "record", "--out", str(out), "--", sys.executable, str(program),
                       f"amqp://guest:{SECRET}@example.invalid/")
    assert code == 0, output
    document = json.loads(out.read_text("utf-8"))
    case = document["cases"][0]
    assert case["valid"] is False and "RPC-REPLY-3" in case["violates"], case
    assert "RPC-REPLY-3/envelope-members" in case["comment"]
    assert "1 invalid" in output
    text = out.read_text("utf-8") + output
    assert SECRET not in text and "guest:guest@" not in text


@pytest.mark.nameko
@pytest.mark.parametrize("role, args", [
    ("server", ("--target-cmd", "nameko-conformance testee nameko")),
    ("client", ("--client-cmd", "nameko-conformance driver nameko")),
])
def test_packaged_nameko_testee_and_driver_pass_with_their_packaged_baselines(tmp_path, role, args):
    """From an empty directory, the nameko testee and client driver the kit ships, each with its baseline chosen by
    name (nameko-<version>, nameko-<version>-client), pass the gate: what a pip user does to check nameko."""
    from importlib.metadata import version
    baseline = f"nameko-{version('nameko')}" + ("-client" if role == "client" else "")
    code, output = run(tmp_path, *args, "--baseline", baseline)
    assert code == 0, output
    assert "gate: PASS" in output
    assert "DeprecationWarning" not in output
