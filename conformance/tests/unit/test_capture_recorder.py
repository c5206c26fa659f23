"""The recorder's broker-free parts: grouping free-form traffic into cases, and the fixture document it writes."""

import json

import pytest

from nameko_conformance.capture.recorder import (
    RecordedCase, fixture_document, group_into_cases, kebab, recorded_source, write_fixture)
from nameko_conformance.capture.spy import UnsafeBindingError, check_binding_keys
from nameko_conformance.capture.wire import WireMessage


def request(correlation_id, routing_key="greeting_service.hello"):
    properties = {"content_type": "application/json", "reply_to": "r-1"}
    if correlation_id is not None:
        properties["correlation_id"] = correlation_id
    return WireMessage("nameko-rpc", routing_key, properties, {}, b'{"args": [], "kwargs": {}}', ("rpc-x",),
                       role="request")


def reply(correlation_id):
    return WireMessage("nameko-rpc", "r-1", {"correlation_id": correlation_id}, {}, b'{"result": 1, "error": null}',
                       ("q",), role="reply")


def event(source="greeting_service", event_type="greeted"):
    return WireMessage(f"{source}.events", event_type, {"content_type": "application/json"}, {}, b"{}", (),
                       role="event")


def test_calls_group_by_correlation_id_whatever_the_reply_order():
    """Each request opens a case; a reply joins the case of its correlation_id, even out of order."""
    cases = group_into_cases([request("a"), request("b"), reply("b"), event(), reply("a")])
    assert [case.id for case in cases] == ["call-1-greeting-service-hello", "call-2-greeting-service-hello",
                                           "event-1-greeting-service-greeted"]
    assert [m.role for m in cases[0].messages] == ["request", "reply"]
    assert cases[0].messages[1].properties["correlation_id"] == "a"
    assert cases[0].requirements == ["RPC-REQ-1", "RPC-REPLY-1"]
    assert "receives a reply" in cases[1].description
    assert cases[2].requirements == ["EVT-1"]


def test_request_without_correlation_id_and_stray_reply_get_cases_of_their_own():
    """A request without correlation_id and a reply matching no request each become a case."""
    cases = group_into_cases([request(None), reply("zzz")])
    assert [case.id for case in cases] == ["call-1-greeting-service-hello", "message-1-reply"]
    assert [len(case.messages) for case in cases] == [1, 1]


def test_grouped_cases_make_a_well_formed_document(tmp_path):
    """Grouped cases have unique kebab-case ids and descriptions within 150 characters."""
    cases = group_into_cases([request(str(n), f"svc.m{n}") for n in range(3)] + [event()])
    document = fixture_document("Traffic of a port", recorded_source("port", "1.0", "3.10.8"), cases)
    path = write_fixture(tmp_path / "sub" / "file.json", document)
    reread = json.loads(path.read_text(encoding="utf-8"))
    assert reread == document
    assert reread["source"]["kind"] == "recorded" and reread["source"]["broker"] == "RabbitMQ 3.10.8"
    assert len({case["id"] for case in reread["cases"]}) == 4


def test_document_refuses_duplicate_ids_and_descriptions():
    """Two cases with one id, or one description, are refused."""
    source = recorded_source("x", "1", "3.10.8")
    same_id = [RecordedCase("a", "One", []), RecordedCase("a", "Two", [])]
    same_text = [RecordedCase("a", "One", []), RecordedCase("b", "One", [])]
    for cases in (same_id, same_text):
        with pytest.raises(ValueError):
            fixture_document("d", source, cases)


@pytest.mark.parametrize("case", [
    RecordedCase("Not_Kebab", "d", []),
    RecordedCase("long", "x" * 151, []),
    RecordedCase("invalid-without-reason", "d", [], valid=False),
    RecordedCase("valid-with-violation", "d", [], violates=["RPC-REQ-4"]),
])
def test_case_checks_refuse_malformed_cases(case):
    """Ids are kebab-case, descriptions short, and only invalid cases name violations (which they must)."""
    with pytest.raises(ValueError):
        case.check()


def test_case_fixture_form_keeps_optional_members_only_when_set():
    """violates, outcome and observed appear only when given."""
    plain = RecordedCase("a", "d", ["RPC-REQ-1"], messages=[request("c")]).to_fixture()
    assert set(plain) == {"id", "description", "requirements", "valid", "messages"}
    invalid = RecordedCase("b", "d", ["MAL-5"], valid=False, violates=["RPC-REQ-3"],
                           outcome={"reply": "none", "ack": True, "requeue": False},
                           observed={"reply": "none", "note": "n", "deviation": "MAL-5"}).to_fixture()
    assert invalid["violates"] == ["RPC-REQ-3"] and invalid["observed"]["deviation"] == "MAL-5"


def test_kebab_makes_ids_from_names():
    """Service and method names become kebab-case id parts."""
    assert kebab("greeting_service.hello") == "greeting-service-hello"
    assert kebab("...") == "x"


@pytest.mark.parametrize("exchange, keys", [
    ("nameko-rpc", ["#"]),
    ("nameko-rpc", ["greeting_service.*"]),
    ("nameko-rpc", ["*.hello"]),
    ("nameko-rpc", ["a.#"]),
    ("greeting_service.events", ["#"]),
    ("nameko-rpc", []),
])
def test_spy_refuses_bindings_that_change_routing(exchange, keys):
    """Wildcards on the RPC exchange, `#` anywhere and empty key lists are refused (TOPO-7)."""
    with pytest.raises(UnsafeBindingError):
        check_binding_keys(exchange, keys)


def test_spy_accepts_exact_keys_and_event_wildcards():
    """Exact reply_to keys on the RPC exchange and narrow patterns on event exchanges are allowed."""
    check_binding_keys("nameko-rpc", ["0b7e1f0e-2f4a-4a55-bb1e-9f6c1d2e3a44"])
    check_binding_keys("greeting_service.events", ["greeted", "greet.*"])
    check_binding_keys("my-rpc", ["svc.*"], rpc_exchange="nameko-rpc")
    with pytest.raises(UnsafeBindingError):
        check_binding_keys("my-rpc", ["svc.*"], rpc_exchange="my-rpc")
