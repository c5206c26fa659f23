"""`nameko-conformance validate`: one message, a fixture file, JSON lines; each violation named, exit codes."""

import io
import json

from nameko_conformance import validate
from nameko_conformance.data import data_dir

GOOD_REQUEST = {"exchange": "nameko-rpc", "routing_key": "svc.echo",
                "properties": {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
                               "reply_to": "9c3a4e0f-2b7d-4f61-8a5e-3d2c1b0a9f87",
                               "correlation_id": "5b0d3f1e-8a2c-4e7b-9f6d-1c2b3a4d5e6f"},
                "headers": {}, "body_text": "{\"args\": [1], \"kwargs\": {}}"}


def run(text, role=None):
    out = io.StringIO()
    code = validate.render(validate.verdicts(text, role), out)
    return code, out.getvalue()


def test_a_conforming_request_passes():
    code, text = run(json.dumps(GOOD_REQUEST))
    assert code == 0 and text.startswith("ok"), text


def test_a_request_without_reply_to_names_its_requirement():
    message = dict(GOOD_REQUEST, properties={k: v for k, v in GOOD_REQUEST["properties"].items() if k != "reply_to"})
    code, text = run(json.dumps(message))
    assert code == 1
    assert "RPC-REQ-3 MUST: RPC-REQ-3/no-reply-to" in text


def test_json_lines_judge_each_line():
    bad_reply = {"exchange": "nameko-rpc", "routing_key": "9c3a4e0f-2b7d-4f61-8a5e-3d2c1b0a9f87",
                 "properties": {"content_type": "application/json", "correlation_id": "x"},
                 "body_text": "{\"result\": 1}"}
    code, text = run(json.dumps(GOOD_REQUEST) + "\n" + json.dumps(bad_reply) + "\n")
    assert code == 1
    assert "#1 request" in text and "#2 reply" in text
    assert "RPC-REPLY-3" in text


def test_every_fixture_file_is_as_valid_as_it_says():
    for path in sorted(data_dir("fixtures").glob("*/*.json")):
        code, text = run(path.read_text(encoding="utf-8"))
        assert code == 0, f"{path}:\n{text}"


def test_a_fixture_case_that_lies_about_its_violation_is_reported():
    case = {"id": "lie", "description": "d", "requirements": ["RPC-REQ-3"], "valid": False, "violates": ["RPC-REQ-3"],
            "messages": [dict(GOOD_REQUEST, role="request")]}
    code, text = run(json.dumps({"description": "x", "source": {"kind": "hand-written"}, "cases": [case]}))
    assert code == 1
    assert "the case says it breaks RPC-REQ-3, and no check found that" in text


def test_unreadable_input_is_a_usage_error(capsys, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("not json at all")
    assert validate.main(str(path)) == validate.EXIT_USAGE
    assert "not JSON" in capsys.readouterr().err
    assert validate.main(str(tmp_path / "missing.json")) == validate.EXIT_USAGE


def test_the_recorder_judge_marks_must_violations_only():
    from nameko_conformance.capture.wire import WireMessage
    valid, reasons = validate.record_judge(WireMessage.from_fixture(dict(GOOD_REQUEST, role="request")))
    assert valid and reasons == []
    no_cid = dict(GOOD_REQUEST, role="request", properties={"content_type": "application/json", "reply_to": "r"})
    valid, reasons = validate.record_judge(WireMessage.from_fixture(no_cid))
    assert not valid and any(r.startswith("RPC-REQ-4: ") for r in reasons)
