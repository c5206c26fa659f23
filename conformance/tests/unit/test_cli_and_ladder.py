"""The console script's offline parts (list filters, exit codes of usage mistakes), the broker ladder's messages
and the recorder's valid/invalid marking."""

import os
import socket
import sys
import types
import warnings

import pytest

from nameko_conformance import broker as brokers
from nameko_conformance import cli
from nameko_conformance.capture.recorder import group_into_cases, judge_case, schema_judge
from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.registry import load_registry


def run_cli(capsys, *argv):
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_list_has_a_header_and_filters(capsys):
    """list prints a header line and keeps only the requirements matching --level, --role and --chapter."""
    code, out, _ = run_cli(capsys, "list", "--level", "MUST", "--role", "server", "--chapter", "04")
    lines = out.splitlines()
    registry = load_registry()
    expected = [r for r in registry.requirements.values()
                if r.level.startswith("MUST") and r.role == "server" and r.chapter.startswith("04-")]
    assert code == 0 and expected
    assert lines[0].startswith(f"# {len(expected)} of {len(registry.requirements)} requirements")
    assert lines[1].split()[:4] == ["ID", "LEVEL", "ROLE", "CHAPTER"]
    assert [line.split()[0] for line in lines[2:]] == [r.id for r in expected]


def test_list_into_a_pipe_closed_early_exits_quietly():
    """`nameko-conformance list | head -1`: the reader leaves early; no traceback, no "kit error", exit 0."""
    import fcntl
    import subprocess
    reader, writer = os.pipe()
    # A pipe smaller than the listing, so the listing cannot land in its buffer before the reader leaves.
    fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, 4096)
    process = subprocess.Popen([sys.executable, "-c", "from nameko_conformance.cli import main; "
                                "raise SystemExit(main(['list']))"], stdout=writer, stderr=subprocess.PIPE)
    os.close(writer)
    process.stdout = os.fdopen(reader, "rb", buffering=0)
    first = process.stdout.read(16)
    process.stdout.close()  # the reader is gone; the rest of the listing meets a broken pipe
    _, err = process.communicate(timeout=60)
    assert first.startswith(b"# ")
    assert process.returncode == 0, err
    assert err == b""


def test_list_level_must_includes_must_not_and_chapter_globs_work(capsys):
    """--level MUST lists MUST NOT too; --chapter takes names and globs; no match exits 5."""
    _, out, _ = run_cli(capsys, "list", "--level", "must")
    levels = {line.split()[1] + (" NOT" if line.split()[2] == "NOT" else "") for line in out.splitlines()[2:]}
    assert levels == {"MUST", "MUST NOT"}
    _, out, _ = run_cli(capsys, "list", "--chapter", "16-client-driver-contract")
    assert all(line.split()[0].startswith("DRIVER-") for line in out.splitlines()[2:])
    _, glob_out, _ = run_cli(capsys, "list", "--chapter", "1[06]*")
    assert {line.split()[0].split("-")[0] for line in glob_out.splitlines()[2:]} >= {"MAL", "DRIVER"}
    code, _, err = run_cli(capsys, "list", "--role", "nobody")
    assert code == cli.EXIT_NOTHING and "no requirement matches" in err


def test_argument_mistakes_exit_4_not_2(capsys):
    """argparse's own usage errors exit with the documented 4 (2 means interrupted)."""
    code, _, err = run_cli(capsys, "run", "--no-such-option")
    assert code == cli.EXIT_USAGE and "unrecognized arguments" in err
    code, _, _ = run_cli(capsys, "testee", "nosuch")
    assert code == cli.EXIT_USAGE


def test_an_unexpected_error_is_one_line_unless_debug(capsys, monkeypatch):
    """A kit bug surfaces as one masked line and exit 3; --debug re-raises it with its traceback."""
    def broken(args):
        raise RuntimeError("boom at amqp://guest:secret@h/%2F")
    monkeypatch.setattr(cli, "_report", broken)
    code, out, err = run_cli(capsys, "report", "x.json")
    assert code == cli.EXIT_KIT_FAULT
    assert err.strip() == ("nameko-conformance: kit error: RuntimeError: boom at amqp://guest:***@h/%2F "
                           "(run again with --debug for the traceback)")
    with pytest.raises(RuntimeError):
        cli.main(["report", "x.json", "--debug"])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_probe_says_nothing_listens_and_the_explicit_rung_names_it():
    """A dead explicit broker is one message naming the address and the option, password masked."""
    port = closed_port()
    result = brokers.probe(f"amqp://guest:secret@127.0.0.1:{port}/%2F", timeout=1)
    assert result.version is None and not result.refused
    assert f"nothing accepts connections at 127.0.0.1:{port}" in result.problem
    with pytest.raises(brokers.KitFault) as raised:
        brokers.resolve(f"amqp://guest:secret@127.0.0.1:{port}/%2F", None)
    assert "--amqp-uri" in str(raised.value) and "secret" not in str(raised.value)


def test_docker_rung_says_package_missing(monkeypatch):
    """Without testcontainers the Docker rung says "package missing"."""
    monkeypatch.setitem(sys.modules, "testcontainers", None)
    monkeypatch.setitem(sys.modules, "testcontainers.rabbitmq", None)
    broker, problem = brokers.testcontainers_rung()
    assert broker is None and problem.startswith("package missing")


def test_docker_rung_says_no_engine_without_warnings(monkeypatch):
    """With testcontainers but no Docker engine the rung says "no engine", and its deprecation warnings stay out."""
    def from_env(timeout):
        class Client:
            def ping(self):
                raise ConnectionError("no socket")
        return Client()
    docker = types.ModuleType("docker")
    docker.from_env = from_env
    testcontainers = types.ModuleType("testcontainers")
    rabbitmq = types.ModuleType("testcontainers.rabbitmq")
    warnings.warn_explicit  # noqa: B018 - the module below warns on import like testcontainers 4 does
    rabbitmq.RabbitMqContainer = object
    monkeypatch.setitem(sys.modules, "docker", docker)
    monkeypatch.setitem(sys.modules, "testcontainers", testcontainers)
    monkeypatch.setitem(sys.modules, "testcontainers.rabbitmq", rabbitmq)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        broker, problem = brokers.testcontainers_rung()
    assert broker is None and problem.startswith("no engine") and "ConnectionError" in problem
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)]


def test_prepared_broker_is_handed_to_the_next_resolve_once(monkeypatch):
    """prepare resolves once; the session's resolve with the same arguments takes that broker, then it is gone."""
    calls = []
    monkeypatch.setattr(brokers, "probe", lambda uri, timeout=2.0: calls.append(uri) or brokers.Probe("3.x"))
    prepared = brokers.prepare("amqp://u:p@h:1/%2F", None)
    assert brokers.resolve("amqp://u:p@h:1/%2F", None) is prepared
    assert brokers.resolve("amqp://u:p@h:1/%2F", None) is not prepared
    assert len(calls) == 2
    brokers.release_prepared()


def message(role, body, **properties):
    return WireMessage("nameko-rpc", "svc.m" if role == "request" else "r-1", properties, {}, body, role=role)


def test_recorded_cases_are_marked_valid_or_invalid_with_reasons():
    """A reply without content_type and without an error member makes its case invalid, naming the requirements."""
    good_request = message("request", b'{"args": [], "kwargs": {}}', content_type="application/json",
                           correlation_id="c1", reply_to="r-1", delivery_mode=2)
    bad_reply = message("reply", b'{"result": 1}', correlation_id="c1")
    case = group_into_cases([good_request, bad_reply])[0]
    assert case.valid is False
    assert "RPC-REPLY-3" in case.violates
    assert "message 2 (reply)" in case.comment and "RPC-REPLY-3/envelope-members" in case.comment
    document = case.to_fixture()
    assert document["valid"] is False and document["violates"] == case.violates and "comment" in document


def test_the_judge_is_a_plug_in():
    """group_into_cases takes any (valid, reasons) judge: the oracle can replace the schema check."""
    request = message("request", b"{}", content_type="application/json")
    case = group_into_cases([request], judge=lambda m: (False, ["SER-1: not liked"]))[0]
    assert (case.valid, case.violates) == (False, ["SER-1"])
    assert group_into_cases([request], judge=None)[0].valid is True
    assert judge_case(group_into_cases([request], judge=None)[0], lambda m: (True, [])).valid is True
    assert schema_judge(WireMessage("x", "y", {}, None, b"")) == (True, [])  # no role: nothing to check against


def test_packaged_testees_and_drivers_are_named_choices(capsys):
    """testee and driver take the names of what the kit ships, and refuse others with exit 4."""
    assert set(cli.TESTEES) == {"nameko", "reference"} and set(cli.DRIVERS) == {"nameko", "reference"}
    from nameko_conformance.startup import kit_data_dir
    for name in cli.DRIVERS:
        assert (kit_data_dir("drivers") / f"{name}_driver.py").is_file()
    code, _, err = run_cli(capsys, "driver", "cobol")
    assert code == cli.EXIT_USAGE and "invalid choice" in err
