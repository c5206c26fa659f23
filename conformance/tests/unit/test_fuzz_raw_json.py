"""Raw JSON texts: each is really outside strict JSON, and names existing requirements and allowed outcomes."""

import json
import re

import pytest

from nameko_conformance.data import data_file
from nameko_conformance.fuzz import hazards
from nameko_conformance.fuzz.raw_json import (MALFORMED_REQUEST, RAW_JSON_CASES, SUCCESS, UNSERIALIZABLE,
                                              case_by_id, duplicate_key_case, lone_surrogate_case,
                                              strict_json_problems)

REQUIREMENT_IDS = {entry["id"] for entry in json.loads(data_file("spec", "requirements.json").read_text())["requirements"]}
CASE_IDS = [case.id for case in RAW_JSON_CASES]


def test_case_ids_and_descriptions_are_unique_and_well_formed():
    assert len(set(CASE_IDS)) == len(CASE_IDS)
    descriptions = [case.description for case in RAW_JSON_CASES]
    assert len(set(descriptions)) == len(descriptions)
    for case in RAW_JSON_CASES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", case.id)
        assert len(case.description) <= 150 and "should" not in case.description.lower()


@pytest.mark.parametrize("case", RAW_JSON_CASES, ids=CASE_IDS)
def test_case_cites_existing_requirements(case):
    assert case.violates and set(case.violates) <= REQUIREMENT_IDS
    assert set(case.outcome_requirements) <= REQUIREMENT_IDS
    assert set(case.allowed_outcomes) <= {SUCCESS, MALFORMED_REQUEST, UNSERIALIZABLE} and MALFORMED_REQUEST in case.allowed_outcomes


@pytest.mark.parametrize("case", RAW_JSON_CASES, ids=CASE_IDS)
def test_strict_checker_flags_each_case_with_its_requirement(case):
    """The strict checker reports at least the first requirement the case's sender breaks."""
    found = {requirement for requirement, _ in strict_json_problems(case.body)}
    assert case.violates[0] in found


@pytest.mark.parametrize("case", [c for c in RAW_JSON_CASES if c.must_be_rejected], ids=lambda c: c.id)
def test_cases_that_must_be_rejected_are_not_json_for_python_either(case):
    """Python's own decoder refuses every text whose only allowed answer is MalformedRequest."""
    with pytest.raises(ValueError):
        json.loads(case.body.decode("utf-8"))
    assert case.fixture_outcome() == {"reply": "error", "exc_type": "MalformedRequest"}


def test_python_json_accepts_the_non_finite_words_that_ser_12_allows():
    """Python decodes NaN and Infinity, which is why SER-12 leaves a success reply open, and an echo of the value
    then cannot be written without NaN (SER-3), so UnserializableValueError is allowed too."""
    for case_id in ("nan-literal", "infinity-literal", "negative-infinity-literal"):
        case = case_by_id(case_id)
        json.loads(case.body)
        assert case.allowed_outcomes == (SUCCESS, MALFORMED_REQUEST, UNSERIALIZABLE)
        assert case.fixture_outcome() is None
        assert {"SER-3", "SER-1"} <= {requirement for requirement, _ in strict_json_problems(case.body)}


def test_python_json_keeps_the_last_duplicate_and_passes_lone_surrogates():
    assert json.loads(case_by_id("duplicate-top-level-key").body)["args"] == [2]
    assert json.loads(case_by_id("lone-high-surrogate").body)["args"] == ["\ud800"]


def test_strict_checker_accepts_what_json_dumps_writes():
    for hazard in hazards.all_hazards():
        body = hazards.hazard_request_body(hazard)
        for ensure_ascii in (True, False):
            assert strict_json_problems(json.dumps(body, ensure_ascii=ensure_ascii).encode("utf-8")) == []


def test_strict_checker_finds_a_lone_surrogate_in_a_key():
    problems = strict_json_problems(b'{"args": [], "kwargs": {"\\udfff": 1}}')
    assert problems and problems[0][0] == "SER-7" and "(key)" in problems[0][1]


def test_unknown_case_id_raises():
    with pytest.raises(KeyError):
        case_by_id("no-such-case")


def test_unserializable_is_allowed_exactly_where_an_echo_cannot_be_written_back():
    """NaN, Infinity and lone surrogates decoded leniently cannot be re-encoded strictly; duplicates and a BOM can."""
    unencodable = {c.id for c in RAW_JSON_CASES if UNSERIALIZABLE in c.allowed_outcomes}
    assert unencodable == {"nan-literal", "infinity-literal", "negative-infinity-literal", "lone-high-surrogate",
                           "lone-low-surrogate", "reversed-surrogate-pair"}


@pytest.mark.parametrize("code_unit", [0xD800, 0xDBFF, 0xDC00, 0xDFFF])
@pytest.mark.parametrize("args", [[], [1, "\u00e9"]], ids=["no-args", "args"])
def test_lone_surrogate_case_is_the_body_plus_one_escaped_surrogate(code_unit, args):
    """The generated text holds the lone surrogate as a \\u escape and otherwise the body's own values."""
    case = lone_surrogate_case(args, {"a": 2}, code_unit, ensure_ascii=False)
    assert f"\\u{code_unit:04x}".encode() in case.body
    assert strict_json_problems(case.body) == [("SER-7", "a lone surrogate at /args/0")]
    parsed = json.loads(case.body.decode("utf-8"))
    assert parsed["args"][1:] == args and parsed["kwargs"] == {"a": 2}
    assert set(case.allowed_outcomes) == {SUCCESS, MALFORMED_REQUEST, UNSERIALIZABLE}


def test_lone_surrogate_case_refuses_other_code_points():
    with pytest.raises(ValueError):
        lone_surrogate_case([], {}, 0xE000)


def test_duplicate_key_case_names_the_key_twice_before_the_other_members():
    case = duplicate_key_case([1], {"a": 2, "b": 3}, "a", -0.0, [1])
    assert case.body == b'{"args": [1], "kwargs": {"a": -0.0, "a": [1], "b": 3}}'
    assert strict_json_problems(case.body) == [("SER-7", "an object names the member 'a' twice")]
    assert set(case.allowed_outcomes) == {SUCCESS, MALFORMED_REQUEST}
