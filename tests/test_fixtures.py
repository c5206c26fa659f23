"""Every fixture file is well formed, and each of its cases is valid or invalid against the schemas as it says.

An invalid case fails *for the stated reason*: a validation error of its first message lies under a subschema whose
nearest ``x-requirement`` names one of the case's ``violates`` IDs, or one of the few byte-level faults below (which
JSON Schema cannot express) is keyed by such an ID.
"""

import base64
import binascii
import functools
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from conftest import FIXTURES_DIR, build_registry, load_schemas

WIRE_SCHEMA = "wire-message.schema.json"
FIXTURE_SCHEMA = "fixture-file.schema.json"
FORBIDDEN_DESCRIPTION_WORDS = re.compile(r"\bshould\b|\btests? that\b", re.IGNORECASE)


# --- byte-level faults: the short, explicit list of what JSON Schema cannot see --------------------------------------


class _ConstantFound(ValueError):
    pass


class _DuplicateName(ValueError):
    pass


def _reject_constant(name):
    raise _ConstantFound(name)


def _reject_duplicate_names(pairs):
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise _DuplicateName(sorted(name for name, count in Counter(names).items() if count > 1))
    return dict(pairs)


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(name) or _has_lone_surrogate(item) for name, item in value.items())
    return False


def body_bytes(message: dict) -> bytes:
    if "body_base64" in message:
        return base64.b64decode(message["body_base64"], validate=True)
    return message["body_text"].encode("utf-8")


def strict_decode(data: bytes):
    """Decode a body as SER-1 and SER-7 demand; return ``(value, faults)`` where faults maps requirement ID to reason.

    The faults: bytes that are not UTF-8 (SER-1); text that is not RFC 8259 JSON (SER-1), including the
    non-standard constants ``NaN``/``Infinity``/``-Infinity`` (SER-1, SER-3); duplicate member names and lone
    surrogates, which RFC 8259 tolerates but SER-7 forbids. ``value`` is None when there is a fault.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, {"SER-1": f"body is not UTF-8 ({exc.reason} at byte {exc.start})"}
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicate_names)
    except _ConstantFound as exc:
        reason = f"body contains the non-JSON constant {exc}"
        return None, {"SER-1": reason, "SER-3": reason}
    except _DuplicateName as exc:
        return None, {"SER-7": f"body has duplicate member names {exc}"}
    except ValueError as exc:
        return None, {"SER-1": f"body is not JSON ({exc})"}
    if _has_lone_surrogate(value):
        return None, {"SER-7": "body contains a lone surrogate"}
    return value, {}


def error_object_faults(message: dict) -> dict[str, str]:
    """RPC-ERR-3's second half: the last segment of ``exc_path`` equals ``exc_type`` (one member against another)."""
    body = message.get("body")
    if message.get("role") != "reply" or not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return {}
    error = body["error"]
    exc_type, exc_path = error.get("exc_type"), error.get("exc_path")
    if isinstance(exc_type, str) and isinstance(exc_path, str) and exc_path.rsplit(".", 1)[-1] != exc_type:
        return {"RPC-ERR-3": f"exc_path {exc_path!r} does not end in exc_type {exc_type!r}"}
    return {}


def code_faults(message: dict) -> dict[str, str]:
    """Faults found in code rather than by the schema, by requirement ID."""
    try:
        _, faults = strict_decode(body_bytes(message))
    except (KeyError, binascii.Error, UnicodeEncodeError):
        faults = {}  # the shape check reports malformed body fields
    return {**faults, **error_object_faults(message)}


# --- schema errors, attributed to requirements ---------------------------------------------------------------------


@functools.cache
def _local_registry():
    return build_registry(load_schemas())


def _requirements_of(subschema) -> tuple[str, ...]:
    if not isinstance(subschema, dict) or "x-requirement" not in subschema:
        return ()
    annotation = subschema["x-requirement"]
    return (annotation,) if isinstance(annotation, str) else tuple(annotation)


def nearest_requirements(validator: Draft7Validator, schema_path) -> tuple[str, ...]:
    """The ``x-requirement`` nearest to the failing keyword along the schema path.

    jsonschema leaves ``$ref`` out of ``absolute_schema_path``; under draft-07 a schema holding ``$ref`` is that
    reference and nothing else, so the walk follows the reference before taking the next step.
    """
    node = validator.schema
    resolver = _local_registry().resolver(base_uri=node.get("$id", ""))
    nearest = _requirements_of(node)
    for step in schema_path:
        while isinstance(node, dict) and "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            nearest = _requirements_of(node) or nearest
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            break
        nearest = _requirements_of(node) or nearest
    return nearest


def _flatten(errors):
    for error in errors:
        yield error
        yield from _flatten(error.context)


def schema_failure_reasons(validator: Draft7Validator, instance) -> dict[str, list[str]]:
    """Requirement ID → validation messages, for every error and sub-error the instance raises."""
    reasons: dict[str, list[str]] = {}
    for error in _flatten(validator.iter_errors(instance)):
        for requirement in nearest_requirements(validator, error.absolute_schema_path) or ("(unannotated)",):
            reasons.setdefault(requirement, []).append(f"{'/'.join(map(str, error.absolute_schema_path))}: {error.message}")
    return reasons


# --- the checks, as pure functions returning problems ----------------------------------------------------------------


def _describe(message: dict) -> str:
    return f"{message.get('role')} {message.get('exchange')!r}/{message.get('routing_key')!r}"


def _strictly_equal(left, right) -> bool:
    """JSON equality that keeps true/1 and 1/1.0 apart (SER-5)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_strictly_equal(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_strictly_equal, left, right))
    return left == right


def description_problems(where: str, description: str) -> list[str]:
    problems = []  # the length limit (150) is the fixture-file schema's
    if FORBIDDEN_DESCRIPTION_WORDS.search(description):
        problems.append(f"{where}: description says 'should' or 'test that'; state the behaviour: {description!r}")
    return problems


def cited_ids(case: dict) -> list[str]:
    ids = list(case.get("requirements", [])) + list(case.get("violates", []))
    ids += case.get("outcome", {}).get("requirements", [])
    deviation = case.get("observed", {}).get("deviation", [])
    ids += [deviation] if isinstance(deviation, str) else deviation
    return ids


def file_problems(data, fixture_validator: Draft7Validator, known_ids) -> list[str]:
    """The file's shape, unique case ids and descriptions, description style, and known requirement IDs."""
    problems = [
        f"fixture-file schema: {'/'.join(map(str, error.absolute_path)) or '(file)'}: {error.message}"
        for error in fixture_validator.iter_errors(data)
    ]
    if problems or not isinstance(data, dict):
        return problems
    cases = data["cases"]
    for field in ("id", "description"):
        repeated = sorted(value for value, count in Counter(case[field] for case in cases).items() if count > 1)
        if repeated:
            problems.append(f"case {field}s repeat within the file: {repeated}")
    problems += description_problems("file", data["description"])
    for case in cases:
        problems += description_problems(f"case {case['id']}", case["description"])
        unknown = sorted(set(cited_ids(case)) - known_ids)
        if unknown:
            problems.append(f"case {case['id']}: cites requirement IDs not in spec/requirements.json: {unknown}")
    return problems


def message_encoding_problems(message: dict) -> list[str]:
    """The body fields agree with each other: base64 only for non-UTF-8 bytes, ``body`` exactly when strict JSON."""
    where = _describe(message)
    if "body_base64" in message:
        try:
            data = base64.b64decode(message["body_base64"], validate=True)
        except binascii.Error as exc:
            return [f"{where}: body_base64 is not base64 ({exc})"]
        try:
            data.decode("utf-8")
            return [f"{where}: body_base64 holds UTF-8 bytes; use body_text"]
        except UnicodeDecodeError:
            pass
    else:
        try:
            data = message["body_text"].encode("utf-8")
        except UnicodeEncodeError:
            return [f"{where}: body_text holds a lone surrogate and cannot be UTF-8 bytes; use body_base64"]
    value, faults = strict_decode(data)
    if faults and "body" in message:
        return [f"{where}: body is present although the bytes are not strict JSON ({'; '.join(faults.values())})"]
    if not faults and "body" not in message:
        return [f"{where}: the bytes are JSON but body is missing"]
    if not faults and not _strictly_equal(message["body"], value):
        return [f"{where}: body differs from the parsed bytes: {message['body']!r} != {value!r}"]
    return []


def conformance_problems(case: dict, wire_validator: Draft7Validator) -> list[str]:
    """A valid case's messages all conform; an invalid case's first message fails for a reason in ``violates``."""
    messages = case["messages"]
    problems = []
    for message in messages:
        problems += message_encoding_problems(message)
    # Later messages of an invalid case may carry the first one's fault onwards (an echo does), but no other.
    tolerated = set() if case["valid"] else set(case["violates"])
    for message in messages if case["valid"] else messages[1:]:
        reasons = schema_failure_reasons(wire_validator, message)
        faults = code_faults(message)
        details = [text for rid, texts in reasons.items() if rid not in tolerated for text in texts]
        details += [text for rid, text in faults.items() if rid not in tolerated]
        problems += [f"{_describe(message)} does not conform: {detail}" for detail in details]
    if not case["valid"]:
        first = messages[0]
        reasons = schema_failure_reasons(wire_validator, first)
        faults = code_faults(first)
        found = set(reasons) | set(faults)
        if not found:
            problems.append(f"first message ({_describe(first)}) is marked invalid but conforms")
        elif not found & set(case["violates"]):
            seen = "; ".join([f"{rid}: {texts[0]}" for rid, texts in reasons.items()] + [f"{rid}: {text}" for rid, text in faults.items()])
            problems.append(f"first message fails, but not for {case['violates']}; it fails for {seen}")
    return problems


# --- parametrisation over whatever fixtures exist -----------------------------------------------------------------


def _fixture_files() -> list[Path]:
    return sorted(FIXTURES_DIR.rglob("*.json"))


def _file_id(path: Path) -> str:
    return path.relative_to(FIXTURES_DIR).as_posix()


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _case_params():
    params = []
    for path in _fixture_files():
        try:
            cases = _load(path)["cases"]
            entries = [(index, case["id"]) for index, case in enumerate(cases)]
        except Exception:  # noqa: BLE001 -- the file-level test reports why; one placeholder keeps the file visible
            entries = [(None, "(unreadable)")]
        params += [pytest.param(path, index, id=f"{_file_id(path)}::{case_id}") for index, case_id in entries]
    return params


@pytest.fixture(scope="module")
def fixture_validator(validator_for):
    return validator_for(FIXTURE_SCHEMA)


@pytest.fixture(scope="module")
def case_validator(schemas, schema_registry):
    case_ref = schemas[FIXTURE_SCHEMA]["$id"] + "#/definitions/case"
    return Draft7Validator({"$ref": case_ref}, registry=schema_registry)


@pytest.fixture(scope="module")
def wire_validator(validator_for):
    return validator_for(WIRE_SCHEMA)


def test_fixture_files_exist():
    """The fixtures folder holds the hand-written vectors at least."""
    assert any(path.parts[-2] == "hand-written" for path in _fixture_files()), f"no fixtures under {FIXTURES_DIR}/hand-written"


@pytest.mark.parametrize("path", [pytest.param(p, id=_file_id(p)) for p in _fixture_files()])
def test_file_is_well_formed(path, fixture_validator, requirement_ids):
    """The file is UTF-8 JSON of the fixture-file format, with unique ids and descriptions and only known IDs."""
    data, faults = strict_decode(path.read_bytes())
    assert not faults, f"the file itself is not strict JSON, which every language can read: {faults}"
    problems = file_problems(data, fixture_validator, requirement_ids)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("path", "index"), _case_params())
def test_case_conforms_as_stated(path, index, case_validator, wire_validator):
    """Valid cases conform to the wire-message schema; invalid ones fail for a requirement they name in ``violates``."""
    data = _load(path)
    assert index is not None, f"{_file_id(path)} has no readable cases list"
    case = data["cases"][index]
    shape_errors = [error.message for error in case_validator.iter_errors(case)]
    assert not shape_errors, "the case does not have the fixture format: " + "; ".join(shape_errors)
    problems = conformance_problems(case, wire_validator)
    assert not problems, "\n".join(problems)


# --- the checks can fail: deliberately broken in-memory fixtures ---------------------------------------------------


def _good_request() -> dict:
    return {
        "role": "request", "exchange": "nameko-rpc", "routing_key": "greeting_service.hello",
        "properties": {"content_type": "application/json", "reply_to": "r1", "correlation_id": "c1"},
        "body_text": '{"args": ["world"], "kwargs": {}}', "body": {"args": ["world"], "kwargs": {}},
    }


def _good_case(**overrides) -> dict:
    case = {"id": "plain-call", "description": "A client calls a method", "valid": True, "messages": [_good_request()]}
    case.update(overrides)
    return case


def _file(*cases) -> dict:
    return {"description": "Hand-made cases", "source": {"kind": "hand-written"}, "cases": list(cases) or [_good_case()]}


def _without_property(message: dict, name: str) -> dict:
    return {**message, "properties": {k: v for k, v in message["properties"].items() if k != name}}


def test_good_in_memory_fixture_has_no_problems(fixture_validator, wire_validator, requirement_ids):
    """The baseline for the broken variants below passes every check."""
    assert file_problems(_file(), fixture_validator, requirement_ids) == []
    assert conformance_problems(_good_case(), wire_validator) == []


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(_file(_good_case(), _good_case(description="Another")), "case ids repeat", id="repeated-id"),
        pytest.param(_file(_good_case(), _good_case(id="other")), "case descriptions repeat", id="repeated-description"),
        pytest.param(_file(_good_case(description="The server should reply")), "'should'", id="should"),
        pytest.param(_file(_good_case(description="Test that the server replies")), "'should' or 'test that'", id="test-that"),
        pytest.param(_file(_good_case(description="x" * 151)), "is too long", id="too-long"),
        pytest.param(_file(_good_case(requirements=["RPC-REQ-999"])), "RPC-REQ-999", id="unknown-id"),
        pytest.param(_file(_good_case(valid=False)), "'violates' is a required property", id="invalid-without-violates"),
        pytest.param({"description": "No cases", "source": {"kind": "hand-written"}}, "'cases' is a required", id="no-cases"),
    ],
)
def test_file_check_catches(data, expected, fixture_validator, requirement_ids):
    """The file-level check reports each kind of broken file."""
    problems = file_problems(data, fixture_validator, requirement_ids)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        pytest.param(_good_case(messages=[{**_good_request(), "body": {"args": ["earth"], "kwargs": {}}}]),
                     "body differs from the parsed bytes", id="body-differs"),
        pytest.param(_good_case(messages=[{**_good_request(), "body": {"args": [1.0], "kwargs": {}},
                                           "body_text": '{"args": [1], "kwargs": {}}'}]),
                     "body differs from the parsed bytes", id="int-versus-float"),
        pytest.param(_good_case(messages=[{**_good_request(), "body_text": '{"args": [}'}]),
                     "body is present although the bytes are not strict JSON", id="body-without-json"),
        pytest.param(_good_case(messages=[{k: v for k, v in _good_request().items() if k != "body"}]),
                     "the bytes are JSON but body is missing", id="body-missing"),
        pytest.param(_good_case(messages=[{**{k: v for k, v in _good_request().items() if k != "body_text"},
                                           "body_base64": "eyJhcmdzIjogW10sICJrd2FyZ3MiOiB7fX0="}]),
                     "body_base64 holds UTF-8 bytes", id="needless-base64"),
        pytest.param(_good_case(messages=[_without_property(_good_request(), "reply_to")]),
                     "'reply_to' is a required property", id="valid-case-breaks-a-rule"),
        pytest.param(_good_case(valid=False, violates=["RPC-REQ-3"]),
                     "marked invalid but conforms", id="invalid-case-conforms"),
        pytest.param(_good_case(valid=False, violates=["RPC-REQ-4"], messages=[_without_property(_good_request(), "reply_to")]),
                     "not for ['RPC-REQ-4']; it fails for RPC-REQ-3", id="invalid-for-another-reason"),
        pytest.param(_good_case(valid=False, violates=["SER-1"],
                                messages=[{**{k: v for k, v in _good_request().items() if k != "body"},
                                           "body_text": '{"args": [], "args": [1], "kwargs": {}}'}]),
                     "not for ['SER-1']; it fails for (unannotated)", id="duplicate-names-are-not-ser-1"),
    ],
)
def test_case_check_catches(case, expected, wire_validator):
    """The case-level check reports each kind of broken case."""
    problems = conformance_problems(case, wire_validator)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("data", "faults"),
    [
        (b'{"args": [], "kwargs": {}}', set()),
        (b'{"args": ["\\ud83d\\ude00"], "kwargs": {}}', set()),
        (b'{"args": [18446744073709551617], "kwargs": {}}', set()),
        (b'{"args": ["w\xf6rld"], "kwargs": {}}', {"SER-1"}),
        (b'{"args": [Infinity], "kwargs": {}}', {"SER-1", "SER-3"}),
        (b'{"args": [-Infinity], "kwargs": {}}', {"SER-1", "SER-3"}),
        (b'{"args": [], "kwargs": {"a": 1, "a": 2}}', {"SER-7"}),
        (b'{"args": ["\\udc00"], "kwargs": {}}', {"SER-7"}),
        (b'{"args": [], "kwargs": {"\\ud800": 1}}', {"SER-7"}),
        (b'\xef\xbb\xbf{"args": [], "kwargs": {}}', {"SER-1"}),
        (b'{"args": [], "kwargs": {}} trailing', {"SER-1"}),
    ],
    ids=["plain", "surrogate-pair", "big-int", "latin-1", "infinity", "minus-infinity", "duplicate-name",
         "lone-low-surrogate", "lone-surrogate-in-name", "byte-order-mark", "trailing-garbage"],
)
def test_strict_decode_keys_faults_by_requirement(data, faults):
    """The byte-level check finds exactly the faults JSON Schema cannot see, keyed by requirement ID."""
    assert set(strict_decode(data)[1]) == faults


def test_exc_path_must_end_in_exc_type():
    """A reply whose exc_path ends in another type than exc_type is an RPC-ERR-3 fault found in code."""
    error = {"exc_type": "ValueError", "exc_path": "builtins.ValueError", "exc_args": [], "value": ""}
    reply = {"role": "reply", "body": {"result": None, "error": error}}
    assert error_object_faults(reply) == {}
    reply["body"]["error"] = {**error, "exc_path": "builtins.KeyError"}
    assert set(error_object_faults(reply)) == {"RPC-ERR-3"}


def test_nearest_requirement_wins(wire_validator):
    """An error inside an annotated subschema is attributed to the innermost annotation, across ``$ref``s."""
    reply = {"role": "reply", "exchange": "nameko-rpc", "routing_key": "r1", "properties": {"content_type": "application/json"},
             "body_text": "{}", "body": {"result": None, "error": {"exc_type": "X", "exc_path": "a.X", "exc_args": [], "value": 1}}}
    assert set(schema_failure_reasons(wire_validator, reply)) == {"RPC-REPLY-4", "RPC-REPLY-5", "RPC-ERR-4"}
