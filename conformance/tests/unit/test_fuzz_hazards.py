"""Hazard values: valid JSON that Python round-trips exactly, tagged with existing requirement IDs."""

import json
import re

import jsonschema
import pytest

from nameko_conformance.data import data_file, load_schema
from nameko_conformance.fuzz import hazards
from nameko_conformance.fuzz.canonical import canonical, compare

REQUIREMENT_IDS = {entry["id"] for entry in json.loads(data_file("spec", "requirements.json").read_text())["requirements"]}
ALL = hazards.all_hazards()


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["ascii-escaped", "raw-utf8"])
@pytest.mark.parametrize("hazard", ALL, ids=[hazard.name for hazard in ALL])
def test_hazard_survives_python_json_round_trip(hazard, ensure_ascii):
    """Python's json module writes and reads every hazard back to the same typed value."""
    text = json.dumps(hazards.hazard_request_body(hazard), ensure_ascii=ensure_ascii, allow_nan=False)
    assert compare(hazards.hazard_request_body(hazard), json.loads(text)) == []


def test_hazard_names_are_unique_kebab_case():
    names = [hazard.name for hazard in ALL]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in names)


def test_hazards_cite_existing_requirements():
    assert {hazard.requirement for hazard in ALL} <= REQUIREMENT_IDS


def test_integer_hazards_split_at_the_safe_integer_limit():
    """Integers within ±(2^53−1) are SER-4 hazards, larger ones SER-13 hazards."""
    for hazard in hazards.INTEGER_HAZARDS:
        expected = "SER-4" if abs(hazard.value) <= 2**53 - 1 else "SER-13"
        assert hazard.requirement == expected, hazard.name
    values = {hazard.value for hazard in hazards.INTEGER_HAZARDS}
    assert {2**53 + 1, 2**64, 2**63} <= values


def test_float_hazards_include_negative_zero_and_subnormals():
    floats = [hazard.value for hazard in hazards.FLOAT_HAZARDS]
    assert any(value == 0 and str(value) == "-0.0" for value in floats)
    assert 5e-324 in floats and 1.7976931348623157e308 in floats


def test_every_unicode_plane_is_sampled():
    assert {ord(char) >> 16 for char in hazards.EVERY_PLANE} == set(range(17))
    with pytest.raises(ValueError):
        hazards.plane_sample(17)


def test_key_hazards_hold_empty_dotted_nul_and_normalisation_twins():
    keys = hazards.KEY_HAZARDS
    assert len(keys) == len(set(keys))
    assert {"", " ", "__type__", "a.b", "a\x00b", "\u00e9", "e\u0301"} <= set(keys)


def test_nesting_is_bounded_and_exact():
    value = hazards.nested_arrays(hazards.DEFAULT_MAX_NESTING)
    depth = 0
    while isinstance(value, list):
        value, depth = value[0], depth + 1
    assert depth == hazards.DEFAULT_MAX_NESTING


@pytest.mark.parametrize("target", [1024 * 1024, 4096, 100])
@pytest.mark.parametrize("filler", ["x", "\u00e9", "\U0001f600"])
def test_body_of_size_has_exactly_the_requested_size(target, filler):
    width = len(filler.encode("utf-8"))
    overhead = len(b'{"args": [""], "kwargs": {}}')
    target -= (target - overhead) % width
    body = hazards.body_of_size(target, filler)
    assert hazards.encoded_size(body) == target


def test_body_of_size_refuses_fillers_json_escapes():
    with pytest.raises(ValueError):
        hazards.body_of_size(1000, '"')
    with pytest.raises(ValueError):
        hazards.body_of_size(10)


def test_hazard_bodies_are_valid_request_bodies():
    schema = load_schema("rpc-request-body.schema.json")
    for hazard in ALL:
        jsonschema.validate(hazards.hazard_request_body(hazard), schema)
    jsonschema.validate(hazards.odd_kwarg_names_body(), schema)
    jsonschema.validate(hazards.body_of_size(), schema)


def test_odd_kwarg_names_leave_out_python_reserved_names():
    body = hazards.odd_kwarg_names_body()
    assert "self" not in body["kwargs"] and "" in body["kwargs"]


def test_canonical_form_tells_negative_zero_from_zero():
    assert canonical(-0.0) != canonical(0.0)
    assert canonical({"a": 1, "b": 2}) == canonical({"b": 2, "a": 1})


def test_hazard_classes_name_what_a_body_holds():
    body = {"args": [2**64, -0.0, 5e-324, 1e308, hazards.EVERY_PLANE], "kwargs": {"": 0, "__type__": 1}}
    assert hazards.hazard_classes(body) == {"int-beyond-2^53", "int-beyond-2^64", "negative-zero",
                                            "subnormal-float", "extreme-float", "empty-key", "odd-key"} | {
        f"plane-{plane}" for plane in range(17)}


def test_hazard_classes_ignore_the_body_members_and_plain_values():
    """args and kwargs themselves are not odd keys; 0.0, 2^53−1 and ASCII text are no hazards beyond plane 0."""
    assert hazards.hazard_classes({"args": [0.0, 2**53 - 1, "abc", True, None], "kwargs": {"a": 1}}) == {"plane-0"}


def test_hazard_classes_find_deep_nesting_long_strings_and_large_bodies():
    assert "deep-nesting" in hazards.hazard_classes(
        {"args": [hazards.nested_arrays(hazards.DEFAULT_MAX_NESTING - 1)], "kwargs": {}})
    assert "deep-nesting" not in hazards.hazard_classes({"args": [hazards.nested_arrays(10)], "kwargs": {}})
    assert {"long-string", "large-body"} <= hazards.hazard_classes(hazards.body_of_size())
    assert "large-body" not in hazards.hazard_classes({"args": ["x" * 65536], "kwargs": {}})
