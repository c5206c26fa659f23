"""compare() flags each kind of echo difference with the requirement it breaks."""

import json

import pytest

from nameko_conformance.data import data_file
from nameko_conformance.fuzz.canonical import MISSING, REQUIREMENT_LEVELS, Difference, compare

REQUIREMENTS = {entry["id"]: entry for entry in json.loads(data_file("spec", "requirements.json").read_text())["requirements"]}


def only(differences) -> Difference:
    assert len(differences) == 1, differences
    return differences[0]


def test_levels_match_the_spec():
    for requirement, level in REQUIREMENT_LEVELS.items():
        assert REQUIREMENTS[requirement]["level"] == level


def test_member_order_is_no_difference():
    """Object member order carries no meaning (SER-6)."""
    assert compare({"a": 1, "b": [1, {"x": None, "y": True}]}, {"b": [1, {"y": True, "x": None}], "a": 1}) == []


@pytest.mark.parametrize("sent, received, requirement", [
    (2**53 - 1, 2**53 - 2, "SER-4"),
    (-(2**53 - 1), -(2**53 - 1) + 1, "SER-4"),
    (2**53 + 1, 2**53, "SER-13"),
    (2**64, 2**64 - 1, "SER-13"),
    (2**53 + 1, float(2**53 + 1), "SER-13"),
    (7, 7.5, "SER-4"),
])
def test_changed_integer_is_ser4_within_the_safe_range_and_ser13_beyond(sent, received, requirement):
    difference = only(compare(sent, received))
    assert difference.requirement == requirement
    assert difference.level == ("MUST" if requirement == "SER-4" else "SHOULD")


@pytest.mark.parametrize("sent, received", [(1, 1.0), (1.0, 1), (2**60, float(2**60)), (-0.0, 0)])
def test_integer_fraction_swap_of_equal_value_is_ser5(sent, received):
    difference = only(compare(sent, received))
    assert (difference.requirement, difference.level) == ("SER-5", "SHOULD")


def test_negative_zero_turned_positive_breaks_the_echo_contract():
    assert only(compare(-0.0, 0.0)).requirement == "TESTEE-2"


@pytest.mark.parametrize("sent, received", [(True, 1), (False, 0), (1, True), (None, 0), (None, ""), ("1", 1),
                                            ([], {}), (True, False), ("a", "b"), (0.1, 0.10000000000000002)])
def test_other_changes_break_the_echo_contract(sent, received):
    assert only(compare(sent, received)).requirement == "TESTEE-2"


def test_changed_non_ascii_string_is_ser2():
    assert only(compare("w\u00f6rld", "w?rld")).requirement == "SER-2"
    assert only(compare("e\u0301", "\u00e9")).requirement == "SER-2"


def test_paths_are_json_pointers_with_escapes():
    difference = only(compare({"a/b": {"m~n": [0, 1]}}, {"a/b": {"m~n": [0, 2]}}))
    assert difference.path == "/a~1b/m~0n/1"


def test_missing_and_added_members_and_elements_are_reported():
    differences = compare({"keep": 1, "lost": 2, "list": [1, 2]}, {"keep": 1, "new": 3, "list": [1, 2, 3]})
    found = {(d.path, d.expected is MISSING, d.actual is MISSING) for d in differences}
    assert found == {("/lost", False, True), ("/new", True, False), ("/list/2", True, False)}
    assert {d.requirement for d in differences} == {"TESTEE-2"}


def test_describe_names_requirement_level_and_values():
    text = only(compare({"n": 2**53 + 1}, {"n": 2**53})).describe()
    assert text.startswith("SER-13 (SHOULD) at /n:") and "9007199254740993" in text


def test_path_prefix_is_kept():
    assert only(compare([1], [2], path="/result/args")).path == "/result/args/0"


def test_non_json_values_are_refused():
    with pytest.raises(TypeError):
        compare({1, 2}, [1, 2])
