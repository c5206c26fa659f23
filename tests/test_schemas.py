"""The schemas are valid draft-07, resolve every reference locally, cite only known requirements, and draw the lines
the spec draws."""

import pytest
from jsonschema import Draft7Validator
from referencing.exceptions import Unresolvable

from conftest import SCHEMAS_DIR, load_schemas

SCHEMA_FILES = sorted(load_schemas())
BASE_URI = "https://nameko-wire.example/schemas/"
DOCUMENTED_KEYS = ("$schema", "$id", "title", "description")


def _subschemas(node, path=()):
    """Every dict inside a schema document with its JSON-pointer-like path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _subschemas(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, (*path, index))


def _annotations(schema):
    for path, node in _subschemas(schema):
        if "x-requirement" in node:
            value = node["x-requirement"]
            yield path, [value] if isinstance(value, str) else value


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_is_valid_draft_07(name, schemas):
    """Each schema is a valid draft-07 schema with its own ``$id`` under the common base, a title and a description."""
    schema = schemas[name]
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == BASE_URI + name
    missing = [key for key in DOCUMENTED_KEYS if not schema.get(key)]
    assert not missing, f"{name} lacks {missing}"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_property_is_described(name, schemas):
    """Every member a schema defines under ``properties`` carries a description (directly or through its ``$ref``)."""
    undocumented = [
        "/".join(map(str, (*path, "properties", member)))
        for path, node in _subschemas(schemas[name])
        if isinstance(node.get("properties"), dict) and path[-1:] != ("properties",)
        and not {"if", "then", "else", "not"} & set(path)  # conditions refine members defined elsewhere
        for member, subschema in node["properties"].items()
        if isinstance(subschema, dict) and not ({"description", "$ref"} & subschema.keys())
        and not set(subschema) <= {"properties", "required", "allOf"}  # a refinement of a member described elsewhere
    ]
    assert not undocumented, f"{name}: members without description: {undocumented}"


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_ref_resolves_locally(name, schemas, schema_registry):
    """Every ``$ref`` resolves through the registry built from ``schemas/``, without the network."""
    resolver = schema_registry.resolver(base_uri=schemas[name]["$id"])
    refs = [(path, node["$ref"]) for path, node in _subschemas(schemas[name]) if isinstance(node.get("$ref"), str)]
    unresolved = []
    for path, ref in refs:
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            unresolved.append(f"{'/'.join(map(str, path))}: {ref} ({exc})")
    assert not unresolved, "\n".join(unresolved)


def test_registry_refuses_unknown_documents(schema_registry):
    """A reference outside ``schemas/`` is unresolvable rather than fetched."""
    with pytest.raises(Unresolvable):
        schema_registry.resolver(base_uri=BASE_URI).lookup("no-such.schema.json")


@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_every_x_requirement_is_a_known_id(name, schemas, requirement_ids):
    """Each ``x-requirement`` names requirements that exist in ``spec/requirements.json``."""
    unknown = [
        f"{'/'.join(map(str, path))}: {requirement}"
        for path, requirements in _annotations(schemas[name])
        for requirement in requirements
        if requirement not in requirement_ids
    ]
    assert not unknown, "\n".join(unknown)


def test_schemas_folder_holds_the_documented_schemas():
    """The folder holds exactly the schemas its README documents."""
    readme = (SCHEMAS_DIR / "README.md").read_text(encoding="utf-8")
    assert set(SCHEMA_FILES) == {
        "amqp-properties.schema.json", "context-headers.schema.json", "error.schema.json", "event-body.schema.json",
        "fixture-file.schema.json", "rpc-reply-body.schema.json", "rpc-request-body.schema.json",
        "wire-message.schema.json",
    }
    assert [name for name in SCHEMA_FILES if f"`{name}`" not in readme] == []


# --- sharp cases: where the schemas draw the lines ------------------------------------------------------------------

VALUE_ERROR = {"exc_type": "ValueError", "exc_path": "builtins.ValueError", "exc_args": ["boom"], "value": "boom"}

SHARP_CASES = [
    # (schema, instance, valid, why)
    ("rpc-reply-body.schema.json", {"result": None, "error": None}, True, "both null is a success whose value is null"),
    ("rpc-reply-body.schema.json", {"result": [1, {"a": None}], "error": None}, True, "any JSON result on success"),
    ("rpc-reply-body.schema.json", {"result": None, "error": VALUE_ERROR}, True, "failure with a null result"),
    ("rpc-reply-body.schema.json", {"result": 0, "error": VALUE_ERROR}, False, "failure with a non-null result"),
    ("rpc-reply-body.schema.json", {"result": None, "error": "boom"}, False, "error is not an error object"),
    ("rpc-reply-body.schema.json", {"result": None, "error": None, "extra": 1}, False, "a third member"),
    ("rpc-reply-body.schema.json", {"result": 1}, False, "error missing"),
    ("rpc-reply-body.schema.json", {"error": None}, False, "result missing"),
    ("rpc-reply-body.schema.json", [None, None], False, "not an object"),
    ("rpc-request-body.schema.json", {"args": [], "kwargs": {}}, True, "empty call"),
    ("rpc-request-body.schema.json", {"args": [], "kwargs": {}, "extra": 1}, True, "extra members are ignored"),
    ("rpc-request-body.schema.json", {"args": {}, "kwargs": {}}, False, "args an object"),
    ("rpc-request-body.schema.json", {"args": [], "kwargs": []}, False, "kwargs an array"),
    ("rpc-request-body.schema.json", {"args": []}, False, "kwargs missing"),
    ("error.schema.json", {**VALUE_ERROR, "exc_args": [1, None, {"k": []}], "extra": True}, True, "extras and non-strings"),
    ("error.schema.json", {**VALUE_ERROR, "exc_type": ""}, False, "empty exc_type"),
    ("error.schema.json", {**VALUE_ERROR, "exc_type": "builtins.ValueError"}, False, "module prefix"),
    ("error.schema.json", {**VALUE_ERROR, "exc_path": "ValueError"}, False, "exc_path without a dot"),
    ("error.schema.json", {**VALUE_ERROR, "exc_path": "builtins..ValueError"}, False, "an empty segment"),
    ("error.schema.json", {**VALUE_ERROR, "exc_path": ".ValueError"}, False, "an empty first segment"),
    ("error.schema.json", {**VALUE_ERROR, "value": None}, False, "value not a string"),
    ("error.schema.json", {**VALUE_ERROR, "exc_args": "boom"}, False, "exc_args not an array"),
    ("event-body.schema.json", None, True, "null payload"),
    ("event-body.schema.json", "text", True, "string payload"),
    ("event-body.schema.json", [1, {"a": 2}], True, "array payload"),
    ("context-headers.schema.json", {}, True, "empty table"),
    ("context-headers.schema.json", {"nameko.call_id_stack": [], "x-other": 1}, True, "empty stack, foreign header"),
    ("context-headers.schema.json", {"nameko.call_id_stack": "a.b.c"}, False, "stack as a string"),
    ("context-headers.schema.json", {"nameko.call_id_stack": ["a", 1]}, False, "stack with a number"),
    ("amqp-properties.schema.json", {"delivery_mode": 2, "priority": 0}, True, "nameko's defaults"),
    ("amqp-properties.schema.json", {"delivery_mode": 3}, False, "delivery_mode 3"),
    ("amqp-properties.schema.json", {"priority": 10}, False, "priority above 9"),
    ("amqp-properties.schema.json", {"headers": {}}, False, "headers are not a basic property here"),
    ("amqp-properties.schema.json", {"correlation_id": None}, False, "unset properties are absent, not null"),
]


@pytest.mark.parametrize(("name", "instance", "valid"), [pytest.param(*case[:3], id=f"{case[0]}:{case[3]}") for case in SHARP_CASES])
def test_sharp_case(name, instance, valid, validator_for):
    """The schema accepts or rejects the instance as the spec requires."""
    errors = [error.message for error in validator_for(name).iter_errors(instance)]
    assert (not errors) is valid, errors or "accepted"


def _request(**overrides):
    message = {
        "role": "request", "exchange": "nameko-rpc", "routing_key": "svc.method",
        "properties": {"content_type": "application/json", "reply_to": "a1b2", "correlation_id": "c1"},
        "body_text": '{"args": [], "kwargs": {}}', "body": {"args": [], "kwargs": {}},
    }
    message.update(overrides)
    return message


WIRE_CASES = [
    (_request(), True, "a minimal request"),
    (_request(routing_key="svc.*"), False, "a wildcard method"),
    (_request(routing_key="svc"), False, "no method part"),
    (_request(routing_key=".method"), False, "an empty service name"),
    (_request(exchange=""), False, "the default exchange"),
    (_request(headers={"nameko.call_id_stack": ["x"]}), True, "a call id stack"),
    (_request(body_base64="gA=="), False, "both body_text and body_base64"),
    ({k: v for k, v in _request().items() if k != "body"}, False, "a request whose bytes are not JSON"),
    (_request(role="reply", routing_key="a1b2", properties={"content_type": "application/json"},
              body={"result": None, "error": None}), True, "a reply without correlation_id"),
    (_request(role="reply", routing_key="a1b2", properties={"content_type": "application/json"}, exchange=""),
     False, "a reply to the default exchange"),
    (_request(role="event", exchange="svc.events", routing_key="thing_happened", properties={"content_type": "application/json"},
              body=None), True, "an event with a null payload"),
    (_request(role="event", exchange="svc", routing_key="thing_happened", properties={"content_type": "application/json"}),
     False, "an event outside S.events"),
    (_request(role="notice"), False, "an unknown role"),
]


@pytest.mark.parametrize(("message", "valid"), [pytest.param(*case[:2], id=case[2]) for case in WIRE_CASES])
def test_wire_message_case(message, valid, validator_for):
    """The wire-message schema applies the rules of the message's role."""
    errors = [error.message for error in validator_for("wire-message.schema.json").iter_errors(message)]
    assert (not errors) is valid, errors or "accepted"


FIXTURE_FILE_CASES = [
    ({"id": "a", "description": "d", "valid": False, "messages": [_request()]}, False, "invalid without violates"),
    ({"id": "a", "description": "d", "valid": False, "violates": [], "messages": [_request()]}, False, "empty violates"),
    ({"id": "a", "description": "d", "valid": True, "violates": ["SER-1"], "messages": [_request()]}, False,
     "valid with violates"),
    ({"id": "a", "description": "d", "valid": False, "violates": ["SER-1"], "messages": [_request()]}, True, "invalid"),
    ({"id": "A_b", "description": "d", "valid": True, "messages": [_request()]}, False, "id not kebab-case"),
    ({"id": "a", "description": "d", "valid": True, "messages": [_request()], "outcome": {"reply": "success", "ack": True}},
     False, "ack with a reply"),
    ({"id": "a", "description": "d", "valid": True, "messages": [_request()], "outcome": {"reply": "none", "exc_type": "X"}},
     False, "exc_type without an error reply"),
    ({"id": "a", "description": "d", "valid": True, "messages": [_request(properties={"headers": {}})]}, False,
     "headers among the properties"),
]


@pytest.mark.parametrize(("case", "valid"), [pytest.param(*case[:2], id=case[2]) for case in FIXTURE_FILE_CASES])
def test_fixture_file_case(case, valid, validator_for):
    """The fixture-file schema ties ``violates`` to ``valid`` and keeps messages in the agreed shape."""
    data = {"description": "File", "source": {"kind": "hand-written"}, "cases": [case]}
    errors = [error.message for error in validator_for("fixture-file.schema.json").iter_errors(data)]
    assert (not errors) is valid, errors or "accepted"


def test_only_recorded_files_carry_observed(validator_for):
    """``observed`` belongs to recordings; a hand-written case cannot claim what an implementation did."""
    case = {"id": "a", "description": "d", "valid": True, "messages": [_request()],
            "observed": {"reply": "none", "note": "dropped", "deviation": "MAL-1"}}
    validator = validator_for("fixture-file.schema.json")
    hand_written = {"description": "File", "source": {"kind": "hand-written"}, "cases": [case]}
    recorded = {"description": "File", "cases": [case], "source": {
        "kind": "recorded", "implementation": "nameko", "version": "2.14.1", "recorded_on": "2026-11-21",
        "broker": "RabbitMQ 3.10.8", "tool": "nameko-conformance record"}}
    assert not validator.is_valid(hand_written)
    assert list(validator.iter_errors(recorded)) == []


def test_recorded_source_needs_its_provenance(validator_for):
    """A recorded file names implementation, version, date, broker and tool."""
    case = {"id": "a", "description": "d", "valid": True, "messages": [_request()]}
    data = {"description": "File", "source": {"kind": "recorded", "implementation": "nameko"}, "cases": [case]}
    errors = [error.message for error in validator_for("fixture-file.schema.json").iter_errors(data)]
    assert any("'version' is a required property" in message for message in errors), errors
