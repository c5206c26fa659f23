"""Message-level checks per role (oracle/message.py) and schema failures as findings (oracle/schemas.py)."""

import json

from oracle_fakes import Msg

from nameko_conformance.oracle import message as m
from nameko_conformance.oracle.schemas import all_schema_findings, schema_findings

REQUEST_PROPS = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
                 "reply_to": "9c3a4e0f-2b7d-4f61-8a5e-3d2c1b0a9f87", "correlation_id": "c1"}
REPLY_PROPS = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
               "correlation_id": "c1"}
EVENT_PROPS = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2}
ERROR = {"exc_type": "E", "exc_path": "a.E", "exc_args": ["x"], "value": "x"}


def form(role, routing_key, props, body=None, raw=None, headers=None, exchange=None):
    """A message and its fixture form, as the fixtures spell them."""
    data = raw if raw is not None else json.dumps(body).encode()
    exchange = exchange if exchange is not None else ("s.events" if role == "event" else "nameko-rpc")
    fixture = {"role": role, "exchange": exchange, "routing_key": routing_key, "properties": props,
               "headers": headers or {}}
    try:
        fixture["body"] = json.loads(data)
    except ValueError:
        pass
    fixture["body_base64"] = __import__("base64").b64encode(data).decode()
    return Msg(exchange=exchange, routing_key=routing_key, properties=dict(props), headers=headers, body=data), fixture


def judged(role, routing_key, props, body=None, **kw):
    message, fixture = form(role, routing_key, props, body, **kw)
    return m.judge(message, fixture)


REQUEST_EXAMINED = {"RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-5", "RPC-REQ-6", "RPC-REQ-7",
                    "RPC-REQ-9", "TOPO-6", "RPC-CORR-3", "RPC-CORR-12", "SER-1", "SER-3", "SER-7", "SER-8", "CTX-10"}


def test_valid_request():
    judgement = judged("request", "s.m", REQUEST_PROPS, {"args": [1], "kwargs": {}})
    assert judgement.ok and judgement.examined == REQUEST_EXAMINED and judgement.inconclusive == ()


def test_role_from_the_fixture_or_given():
    message, fixture = form("request", "s.m", REQUEST_PROPS, {"args": [], "kwargs": {}})
    assert m.judge(message, fixture).examined == REQUEST_EXAMINED
    assert m.judge(message, dict(fixture, role=None), role="request").examined == REQUEST_EXAMINED
    assert m.judge(message, fixture, role="event").examined != REQUEST_EXAMINED


def test_unknown_role_decides_nothing():
    message, fixture = form("request", "s.m", REQUEST_PROPS, {"args": [], "kwargs": {}})
    judgement = m.judge(message, dict(fixture, role="other"))
    assert judgement.examined == {"SER-1", "SER-7"} and judgement.findings == ()
    assert judgement.inconclusive == (("RPC-REQ-1", "the message's role 'other' is none of "
                                                    "('request', 'reply', 'event'): give it"),)
    assert m.judge(message, {k: v for k, v in fixture.items() if k != "role"}).inconclusive[0][0] == "RPC-REQ-1"


def test_request_routing_keys():
    for key in ("s", "s.m.x", ".m", "s.", "s.*", "s#.m"):
        judgement = judged("request", key, REQUEST_PROPS, {"args": [], "kwargs": {}})
        assert "TOPO-6/name-syntax" in judgement.codes(), key
        assert any(code.startswith("RPC-REQ-1/") for code in judgement.codes()), key
        plain = m._request(form("request", key, REQUEST_PROPS, {"args": [], "kwargs": {}})[0])
        # The service and method are read from the key itself: a key of two names is the one they name, and only
        # the names' syntax (TOPO-6) can be wrong; a key of another shape names no <service>.<method> at all.
        two_names = len(key.split(".")) == 2
        assert plain.codes() == ([] if two_names else ["RPC-REQ-1/wrong-destination"]) + ["TOPO-6/name-syntax"], key
        assert repr(key) in plain.findings[-1].observed and plain.findings[0].messages


def test_request_properties_one_by_one():
    def codes(**changes):
        props = {k: v for k, v in dict(REQUEST_PROPS, **changes).items() if v is not None}
        return m._request(Msg(routing_key="s.m", properties=props, body=b'{"args": [], "kwargs": {}}')).codes()

    assert codes() == []
    assert codes(content_type="text/plain") == ["RPC-REQ-2/content-type"]
    assert codes(reply_to="") == ["RPC-REQ-3/no-reply-to"]
    assert codes(reply_to=None) == ["RPC-REQ-3/no-reply-to"]
    for bad in ("a.b", "a*", "#"):
        assert codes(reply_to=bad) == ["RPC-CORR-3/reply-to-pattern", "RPC-CORR-12/reply-to-not-uuid4"]
    assert codes(correlation_id="") == ["RPC-REQ-4/no-correlation-id"]
    assert codes(content_encoding="latin-1") == ["RPC-REQ-6/content-encoding"]
    assert codes(delivery_mode=1) == ["RPC-REQ-7/delivery-mode"]
    wrong = m._request(Msg(routing_key="s.m", properties={}, body=b'{"args": [], "kwargs": {}}'))
    assert [(f.expected, f.observed) for f in wrong.findings] == [
        ("content_type 'application/json'", "None"), ("a reply_to property", "None"),
        ("a correlation_id property", "None"), ("content_encoding 'utf-8'", "None"), ("delivery_mode 2", "None")]
    assert all(f.messages for f in wrong.findings)
    corr = m._request(Msg(routing_key="s.m", properties=dict(REQUEST_PROPS, reply_to="a.b"),
                          body=b'{"args": [], "kwargs": {}}')).findings[0]
    assert (corr.expected, corr.observed) == ("a reply_to without '.', '*' or '#'", "'a.b'") and corr.messages


def test_request_body():
    def plain(body):
        return m._request(Msg(routing_key="s.m", properties=REQUEST_PROPS, body=body))

    for shape in (b"[]", b'{"args": {}, "kwargs": {}}', b'{"args": []}', b'{"args": [], "kwargs": []}',
                  b'{"kwargs": {}}'):
        judgement = plain(shape)
        assert judgement.codes() == ["RPC-REQ-5/schema"], shape
        assert judgement.findings[0].messages
    extra = plain(b'{"args": [], "kwargs": {}, "z": 1, "y": 2}')
    assert extra.codes() == ["RPC-REQ-9/extra-members"] and extra.findings[0].observed == "['y', 'z']"
    broken = plain(b"{")
    assert broken.codes() == ["SER-1/not-json"]
    assert broken.inconclusive == (("RPC-REQ-5", "the body is not strict JSON"),
                                   ("RPC-REQ-9", "the body is not strict JSON"))
    assert "RPC-REQ-5" not in broken.examined
    tagged = plain(b'{"args": [{"__type__": "t", "__value__": 1}], "kwargs": {}}')
    assert tagged.codes() == ["SER-8/tagged-object"]  # a SHOULD NOT: the body is still judged as a request


def test_headers_of_a_request_or_event():
    def plain(headers, role=m._request):
        return role(Msg(routing_key="s.m", properties=REQUEST_PROPS, headers=headers,
                        body=b'{"args": [], "kwargs": {}}'))

    assert "CTX-2" not in plain({}).examined and "CTX-10" in plain(None).examined
    assert plain({"nameko.call_id_stack": ["a", "b"]}).ok, plain({"nameko.call_id_stack": ["a", "b"]}).codes()
    assert "CTX-2" in plain({"nameko.call_id_stack": []}).examined
    for stack in ("a", ["a", 1], None):
        assert "CTX-2/stack-not-string-array" in plain({"nameko.call_id_stack": stack}).codes(), stack
    void = plain({"nameko.b": None, "nameko.a": None, "other": None, "nameko.c": "x"})
    assert void.codes() == ["CTX-10/void-context-header"] and void.findings[0].observed == "['nameko.a', 'nameko.b']"
    assert void.findings[0].messages
    typed = plain({"nameko.call_id_stack": 5}).findings[0]
    assert typed.observed == "5 (int)" and typed.messages


def test_valid_replies():
    for body in ({"result": [1], "error": None}, {"result": None, "error": ERROR}):
        judgement = judged("reply", "r1", REPLY_PROPS, body)
        assert judgement.ok and judgement.inconclusive == (), body
    success = judged("reply", "r1", REPLY_PROPS, {"result": 1, "error": None})
    assert {"RPC-REPLY-3", "RPC-REPLY-7", "RPC-REPLY-13", "SER-1", "SER-8"} <= success.examined
    assert not {"RPC-REPLY-5", "RPC-REPLY-6", "RPC-ERR-1", "RPC-ERR-5", "RPC-ERR-13"} & m._reply(
        Msg(properties=REPLY_PROPS, body=b'{"result": 1, "error": null}')).examined
    error = m._reply(Msg(properties=REPLY_PROPS, body=json.dumps({"result": None, "error": ERROR}).encode()))
    assert {"RPC-REPLY-5", "RPC-ERR-1", "RPC-ERR-5", "RPC-ERR-13"} <= error.examined and error.ok


def test_reply_faults():
    def plain(props=REPLY_PROPS, body=None, raw=None, headers=None):
        data = raw if raw is not None else json.dumps(body).encode()
        return m._reply(Msg(properties=props, body=data, headers=headers))

    content = plain(dict(REPLY_PROPS, content_type="text/plain"), {"result": 1, "error": None})
    assert content.codes() == ["RPC-REPLY-6/content-type"] and "RPC-REPLY-6" in content.examined
    assert content.findings[0].observed == "'text/plain'" and content.findings[0].messages
    assert plain(dict(REPLY_PROPS, delivery_mode=1), {"result": 1, "error": None}).codes() == [
        "RPC-REPLY-7/delivery-mode"]
    assert plain(headers={"nameko.x": 1}, body={"result": 1, "error": None}).codes() == [
        "RPC-REPLY-13/context-headers-on-reply"]
    assert plain(raw=b"{").codes() == ["SER-1/not-json"]
    both = plain(body={"result": 2, "error": ERROR})
    assert both.codes() == ["RPC-REPLY-5/result-not-null"] and both.findings[0].observed == "2"
    assert both.findings[0].messages
    assert plain(body={"result": None, "error": dict(ERROR, exc_args=[1])}).codes() == [
        "RPC-ERR-5/non-string-exc-args"]
    assert plain(body={"result": None, "error": dict(ERROR, value="Traceback (most recent call last)")}).codes() == [
        "RPC-ERR-13/internals-leaked"]
    not_object = plain(body={"result": None, "error": "boom"})
    assert "RPC-ERR-1/not-an-object" in not_object.codes()
    assert "RPC-ERR-5" not in not_object.examined and "RPC-ERR-13" not in not_object.examined


def test_events():
    good = judged("event", "t", EVENT_PROPS, {"x": 1}, headers={"nameko.call_id_stack": ["a"]})
    assert good.ok and {"EVT-2", "EVT-4", "CTX-2", "CTX-10", "SER-1"} <= good.examined
    plain = m._event(Msg(properties=EVENT_PROPS, body=b"null"))
    assert plain.ok and plain.examined == {"EVT-2", "EVT-4", "SER-1", "SER-3", "SER-7", "SER-8", "CTX-10"}
    content = m._event(Msg(properties={}, body=b"1"))
    assert content.codes() == ["EVT-2/content-type"] and content.findings[0].observed == "None"
    assert content.findings[0].messages
    rpc = m._event(Msg(properties=dict(EVENT_PROPS, reply_to="r", correlation_id="c"), body=b"1"))
    assert rpc.codes() == ["EVT-4/rpc-properties-on-event"]
    assert rpc.findings[0].observed == "{'reply_to': 'r', 'correlation_id': 'c'}" and rpc.findings[0].messages
    one = m._event(Msg(properties=dict(EVENT_PROPS, reply_to="", correlation_id="c"), body=b"1"))
    assert one.findings[0].observed == "{'correlation_id': 'c'}"
    broken = m._event(Msg(properties=EVENT_PROPS, body=b"\xff"))
    assert broken.codes() == ["SER-1/not-utf8", "EVT-2/body-not-json"]
    assert broken.findings[1].messages
    assert m._event(Msg(properties=EVENT_PROPS, body=b"[NaN]")).codes() == [
        "SER-3/non-standard-constant", "SER-1/non-standard-constant", "EVT-2/body-not-json"]
    void = m._event(Msg(properties=EVENT_PROPS, body=b"1", headers={"nameko.a": None}))
    assert void.codes() == ["CTX-10/void-context-header"]


def test_schema_findings_are_added_once_per_requirement_not_repeating_plain_ones():
    # The plain checks already found RPC-REQ-2; the wire schema's RPC-REQ-2 failure adds nothing.
    judgement = judged("request", "s.m", dict(REQUEST_PROPS, content_type="text/plain"), {"args": [], "kwargs": {}})
    assert judgement.codes() == ["RPC-REQ-2/content-type"]
    # A reply published to the default exchange: only the schema knows (RPC-REPLY-1), and says so once.
    misrouted = judged("reply", "r1", REPLY_PROPS, {"result": 1, "error": None}, exchange="")
    assert misrouted.codes() == ["RPC-REPLY-1/schema"] and "RPC-REPLY-1" in misrouted.examined
    assert misrouted.findings[0].expected == "valid against schemas/wire-message.schema.json"


def test_schema_findings_charge_the_deepest_annotation():
    assert list(schema_findings("error.schema.json", {"exc_type": "E", "exc_path": "a.E", "exc_args": [],
                                                      "value": ""}, "X")) == []
    (finding,) = schema_findings("error.schema.json", {"exc_type": "E", "exc_args": [], "value": ""}, "X", "msg")
    assert finding[:3] == ("RPC-ERR-1", "schema", "valid against schemas/error.schema.json")
    assert finding[3] == "'exc_path' is a required property" and finding[4] == "msg"
    (args,) = schema_findings("error.schema.json", {"exc_type": "E", "exc_path": "a.E", "exc_args": 1,
                                                    "value": ""}, "X")
    assert args[0] == "RPC-ERR-4"
    assert [f[0] for f in schema_findings("rpc-reply-body.schema.json", {"result": 1, "error": 5}, "X")] == [
        "RPC-REPLY-5"]
    assert [f[0] for f in schema_findings("rpc-reply-body.schema.json", {"result": None, "error": 5}, "X")] == [
        "RPC-ERR-1"]
    assert [f[0] for f in all_schema_findings("rpc-reply-body.schema.json", {"result": None, "error": 5})] == [
        "RPC-REPLY-4", "RPC-REPLY-5", "RPC-ERR-1"]


def test_schema_findings_fall_back_to_the_default_requirement():
    # The reply body's top level says RPC-REPLY-3; a schema without annotations would use the default.
    (finding,) = schema_findings("rpc-reply-body.schema.json", [], "X")
    assert finding[0] == "RPC-REPLY-3"
    assert len(finding[3]) <= 300


def test_all_schema_findings_charge_each_error_to_its_nearest_requirement():
    _, fixture = form("request", "s.m.x", {}, {"args": [], "kwargs": {}})
    found = [f[0] for f in all_schema_findings(m.WIRE_SCHEMA, fixture, "msg")]
    assert len(found) == len(set(found))
    assert {"RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4"} <= set(found)
    first = next(iter(all_schema_findings(m.WIRE_SCHEMA, fixture, "msg")))
    assert first[1:3] == ("schema", "valid against schemas/wire-message.schema.json") and first[4] == "msg"
    _, valid = form("request", "s.m", REQUEST_PROPS, {"args": [], "kwargs": {}})
    assert list(all_schema_findings(m.WIRE_SCHEMA, valid)) == []


def custom_schema(monkeypatch, schema):
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    from nameko_conformance.oracle import schemas
    schema = dict(schema, **{"$id": "https://example.invalid/custom.json"})
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema, default_specification=DRAFT7))
    monkeypatch.setattr(schemas, "schema_validator", lambda _name: Draft7Validator(schema, registry=registry))
    monkeypatch.setattr(schemas, "schema_registry", lambda: registry)


def test_schema_findings_with_no_annotation_use_the_default_and_bound_the_reason(monkeypatch):
    custom_schema(monkeypatch, {"type": "object", "properties": {"a": {"const": "x" * 400}}})
    (finding,) = schema_findings("custom.json", {"a": 1}, "DEF-1", "msg")
    assert finding[:3] == ("DEF-1", "schema", "valid against schemas/custom.json") and finding[4] == "msg"
    assert len(finding[3]) == 300


def test_schema_findings_one_per_requirement_of_a_list_annotation(monkeypatch):
    custom_schema(monkeypatch, {"x-requirement": "TOP", "properties": {
        "a": {"properties": {"b": {"x-requirement": ["A-1", "A-2"], "type": "string"}}},
        "c": {"x-requirement": "C-1", "anyOf": [{"x-requirement": "C-2", "type": "string"}, {"type": "null"}]}}})
    assert [f[0] for f in schema_findings("custom.json", {"a": {"b": 1}}, "D")] == ["A-1", "A-2"]
    assert [f[0] for f in schema_findings("custom.json", {"c": 1}, "D")] == ["C-2"]
    assert [f[0] for f in all_schema_findings("custom.json", {"a": {"b": 1}, "c": 1})] == ["A-1", "A-2", "C-2", "C-1"]
    assert list(schema_findings("custom.json", {"a": {"b": "x"}}, "D")) == []
    custom_schema(monkeypatch, {"x-requirement": "TOP", "type": "object"})
    assert [f[0] for f in all_schema_findings("custom.json", 1)] == ["TOP"]
    custom_schema(monkeypatch, {"type": "object"})
    assert list(all_schema_findings("custom.json", 1)) == []


def test_all_schema_findings_follow_references(monkeypatch):
    custom_schema(monkeypatch, {"definitions": {"s": {"x-requirement": "REF-1", "properties": {
        "n": {"type": "integer"}}}, "plain": {"properties": {"n": {"type": "integer"}}}},
        "x-requirement": "TOP", "properties": {"a": {"$ref": "#/definitions/s"}, "b": {"$ref": "#/definitions/plain"},
                                               "l": {"items": [{"x-requirement": "L-0", "type": "string"}]}}})
    assert [f[0] for f in all_schema_findings("custom.json", {"a": {"n": "x"}})] == ["REF-1"]
    assert [f[0] for f in all_schema_findings("custom.json", {"b": {"n": "x"}})] == ["TOP"]
    assert [f[0] for f in all_schema_findings("custom.json", {"l": [1]})] == ["L-0"]


def test_only_the_forbidden_characters_make_a_bad_name():
    ok = m._request(Msg(routing_key="sX.mX", properties=dict(REQUEST_PROPS, reply_to="aXb"),
                        body=b'{"args": [], "kwargs": {}}'))
    assert ok.codes() == ["RPC-CORR-12/reply-to-not-uuid4"]  # a SHOULD: no forbidden character, not a uuid4


def test_the_schema_judges_the_role_given_and_its_findings_carry_the_message():
    message, fixture = form("reply", "r1", REPLY_PROPS, {"result": 1, "error": None}, exchange="")
    judgement = m.judge(message, dict(fixture, role=None), role="reply")
    assert judgement.codes() == ["RPC-REPLY-1/schema"] and len(judgement.findings[0].messages) == 1
    assert judgement.examined == {"RPC-REPLY-1", "RPC-REPLY-3", "RPC-REPLY-7", "RPC-REPLY-13", "SER-1", "SER-3",
                                  "SER-7", "SER-8"}
    # A schema failure the plain checks already reported is examined, not repeated.
    plain, form_of = form("request", "s.m", dict(REQUEST_PROPS, content_type="text/plain"),
                          {"args": [], "kwargs": {}})
    judged_twice = m.judge(plain, form_of)
    assert judged_twice.examined == REQUEST_EXAMINED and judged_twice.codes() == ["RPC-REQ-2/content-type"]


def test_all_schema_findings_report_a_requirement_once_and_bound_the_reason(monkeypatch):
    custom_schema(monkeypatch, {"properties": {"a": {"x-requirement": "A-1", "type": "string"},
                                               "b": {"x-requirement": "A-1", "const": "y" * 400}}})
    (finding,) = all_schema_findings("custom.json", {"a": 1, "b": 2}, "msg")
    assert finding[0] == "A-1" and finding[4] == "msg"
    (long,) = all_schema_findings("custom.json", {"b": 2})
    assert len(long[3]) == 300


def test_schema_findings_of_a_false_subschema_use_the_default(monkeypatch):
    custom_schema(monkeypatch, {"x-requirement": "TOP", "properties": {"a": False}})
    assert [f[0] for f in schema_findings("custom.json", {"a": 1}, "DEF-1")] == ["DEF-1"]


def test_an_empty_correlation_id_is_shown_as_it_came():
    judgement = m._request(Msg(routing_key="s.m", properties=dict(REQUEST_PROPS, correlation_id=""),
                               body=b'{"args": [], "kwargs": {}}'))
    assert [(f.code, f.observed) for f in judgement.findings] == [("RPC-REQ-4/no-correlation-id", "''")]
