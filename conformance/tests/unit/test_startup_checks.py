"""Start-up checks without a broker: every usage mistake is one sentence, packaged baselines resolve by name."""

import os
import stat
import sys

import pytest

from nameko_conformance import startup
from nameko_conformance.registry import load_registry
from nameko_conformance.startup import Options, command_problem, resolve_baseline, usage_message, usage_problems


def problems(**options):
    return usage_problems(Options(**options), set(load_registry().requirements))


def test_good_options_have_no_problem():
    """A usable set of options yields no problem."""
    assert problems(target_uri="amqp://guest:guest@127.0.0.1:5672/%2F?service=x", capabilities="server,client",
                    target_cmd=f"{sys.executable} -m nameko_reference.testee",
                    amqp_uri="amqps://u:p@h/%2F", observer="firehose", broker_mode="private") == []


def test_misspelt_capability_is_named_with_a_suggestion():
    """A misspelt capability is named, with the closest known one."""
    found = problems(capabilities="server,evnts-dispatch")
    assert len(found) == 1
    assert "'evnts-dispatch'" in found[0] and "did you mean 'events-dispatch'" in found[0]


def test_misspelt_capability_in_the_target_uri_is_found_too():
    """A capability given in the target URI's query is checked like the option."""
    found = problems(target_uri="amqp://g:secret@h/%2F?capabilities=servr")
    assert len(found) == 1 and "'servr'" in found[0] and "secret" not in found[0]


def test_http_target_is_a_usage_error_with_the_password_masked():
    """An http:// target is refused with the expected form, and its password never shows."""
    found = problems(target_uri="http://guest:secret@localhost:15672/")
    assert len(found) == 1
    assert "amqp://" in found[0] and "http://" in found[0] and "secret" not in found[0]


def test_missing_target_command_is_found_before_running_it(tmp_path):
    """A command whose program does not exist, or is not executable, is named; shell forms are left to the shell."""
    assert "does not exist" in command_problem("/nonexistent/serve --port 1")
    assert "not found on PATH" in command_problem("no-such-program-xyz --flag")
    script = tmp_path / "serve"
    script.write_text("#!/bin/sh\n")
    assert "not executable" in command_problem(str(script))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert command_problem(str(script)) is None
    assert command_problem(f"FOO=1 {script} --x") is None
    assert command_problem("cd /tmp && ./anything") is None
    assert "empty" in command_problem("   ")
    assert command_problem("'unbalanced") is not None


def test_missing_baseline_file_lists_the_packaged_names():
    """A baseline that is neither a file nor a packaged name is refused, naming what is packaged."""
    found = problems(baseline="no-such-baseline.json")
    assert len(found) == 1 and "nameko-2.14.1" in found[0]


def test_packaged_baselines_resolve_by_name(tmp_path, monkeypatch):
    """nameko-2.14.1 and nameko-2.14.1-client name packaged files; an existing path wins over a name."""
    assert resolve_baseline("nameko-2.14.1").name == "nameko-2.14.1.json"
    assert resolve_baseline("nameko-2.14.1-client").name == "nameko-2.14.1-client.json"
    assert resolve_baseline("nameko-3.0.0rc11.json").name == "nameko-3.0.0rc11.json"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nameko-2.14.1").write_text("{}")
    assert resolve_baseline("nameko-2.14.1") == tmp_path.joinpath("nameko-2.14.1").relative_to(tmp_path)
    with pytest.raises(startup.StartupError) as raised:
        resolve_baseline("nameko-9")
    assert raised.value.exit_code == startup.EXIT_USAGE


def test_unreadable_baseline_is_one_problem(tmp_path):
    """A baseline that is not JSON, or lists an unknown ID, is one problem naming the file."""
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    assert len(problems(baseline=str(bad))) == 1 and str(bad) in problems(baseline=str(bad))[0]
    bad.write_text('{"deviations": [{"id": "NOPE-1", "reason": "x"}]}')
    found = problems(baseline=str(bad))
    assert len(found) == 1 and "NOPE-1" in found[0]


def test_firehose_observer_needs_a_private_broker():
    """--observer firehose without --broker private is a usage mistake."""
    found = problems(observer="firehose")
    assert len(found) == 1 and "--broker private" in found[0]


def test_several_problems_make_one_message():
    """Several mistakes are reported together, in one message."""
    found = problems(capabilities="nope", target_uri="http://x/", amqp_uri="localhost:5672")
    assert len(found) == 3
    message = usage_message(found)
    assert message.startswith("nameko-conformance: 3 problems") and message.count("\n") == 3


def test_kit_data_is_found_in_the_checkout():
    """Baselines, testees and drivers are found beside the package in a checkout (in the wheel: _data/)."""
    for name in startup.KIT_DATA_NAMES:
        assert startup.kit_data_dir(name).is_dir()
    assert (startup.kit_data_dir("testees") / "nameko_testee.py").is_file()
    with pytest.raises(ValueError):
        startup.kit_data_dir("secrets")


def test_start_up_failure_message_has_no_traceback_unless_debug():
    """A start-up failure is one masked line; --conformance-debug adds the traceback."""
    try:
        raise RuntimeError("cannot reach amqp://guest:secret@h:1/%2F")
    except RuntimeError as exc:
        plain, debug = startup.describe_error(exc, False), startup.describe_error(exc, True)
    assert plain == "RuntimeError: cannot reach amqp://guest:***@h:1/%2F"
    assert "Traceback" in debug and "secret" not in debug


def test_is_kit_run_recognises_the_suite_by_name():
    """The chapter lines are for kit runs: a requested kit, or the suite named on the command line."""
    class Kit:
        requested = False

    class Config:
        args = ["--pyargs", "nameko_conformance.suite"]
    assert startup.is_kit_run(Config, Kit)
    Config.args = [os.getcwd()]
    assert not startup.is_kit_run(Config, Kit)


def test_own_console_script_runs_with_this_interpreter_when_not_on_path(monkeypatch):
    """'nameko-conformance testee nameko' works from a virtualenv that is not activated; other commands stay."""
    monkeypatch.setattr(startup.shutil, "which", lambda name: None)
    assert startup.own_command("nameko-conformance testee nameko") == \
        f"{sys.executable} -m nameko_conformance.cli testee nameko"
    assert startup.own_command("./serve --x") == "./serve --x"
    monkeypatch.setattr(startup.shutil, "which", lambda name: "/usr/bin/" + name)
    assert startup.own_command("nameko-conformance testee nameko") == "nameko-conformance testee nameko"


def test_fuzz_options_are_checked_before_the_run():
    """A fuzz seed that is no integer, or a non-positive example count or budget, is a usage mistake."""
    assert startup.fuzz_option_problems(None, None, None) == []
    assert startup.fuzz_option_problems("random", 5, 1.5) == []
    assert startup.fuzz_option_problems("42", None, None) == []
    found = startup.fuzz_option_problems("lucky", 0, -1.0)
    assert len(found) == 3 and "--fuzz-seed lucky" in found[0]
