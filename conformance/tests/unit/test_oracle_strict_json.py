"""The one strict JSON reader, value comparisons, protocol names and the serialization checks."""

import json

import pytest
from oracle_fakes import Msg, summary

from nameko_conformance.oracle import names, serialization, strict_json, values
from nameko_conformance.oracle.strict_json import Fault, decode


def fault_of(body):
    value, fault = decode(body)
    assert value is None
    return (fault.requirement, fault.slug, fault.also)


def test_valid_json_in_bytes_bytearray_memoryview_and_text():
    for body in (b'{"a": [1, 2.5, "x", null, true]}', bytearray(b'{"a": [1, 2.5, "x", null, true]}'),
                 memoryview(b'{"a": [1, 2.5, "x", null, true]}'), '{"a": [1, 2.5, "x", null, true]}'):
        assert decode(body) == ({"a": [1, 2.5, "x", None, True]}, None)
    assert decode(b"null") == (None, None)


def test_invalid_utf8_names_the_byte():
    value, fault = decode(b'"a\xffb"')
    assert value is None and fault == Fault("SER-1", "not-utf8", "invalid UTF-8 (invalid start byte at byte 2)")


def test_not_json():
    assert fault_of(b"{'a': 1}") == ("SER-1", "not-json", ())
    assert fault_of(b"") == ("SER-1", "not-json", ())
    _, fault = decode(b"[1,")
    assert fault.reason.startswith("not a JSON text (Expecting value")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_constants_break_ser3_and_ser1(constant):
    _, fault = decode(f"[{constant}]".encode())
    assert fault == Fault("SER-3", "non-standard-constant", f"the non-standard constant {constant}", ("SER-1",))


def test_duplicate_member_names_are_listed_once_sorted():
    _, fault = decode(b'{"b": 1, "a": 2, "b": 3, "a": 4, "c": 5}')
    assert fault == Fault("SER-7", "duplicate-member", "duplicate member names ['a', 'b']")
    assert fault_of(b'[{"x": {"y": 1, "y": 1}}]') == ("SER-7", "duplicate-member", ())
    assert decode(b'{"a": 1, "b": {"a": 2}}') == ({"a": 1, "b": {"a": 2}}, None)


def test_lone_surrogates_fail_but_paired_and_escaped_backslashes_pass():
    _, fault = decode(b'["\\ud800"]')
    assert fault == Fault("SER-7", "lone-surrogate", "a lone surrogate escape in the string '\\ud800'")
    assert fault_of(b'{"\\udc00": 1}') == ("SER-7", "lone-surrogate", ())  # in a member name too
    assert fault_of(b'{"k": ["ok", "\\udfff"]}') == ("SER-7", "lone-surrogate", ())
    assert decode(b'"\\ud83d\\ude00"') == ("\U0001F600", None)  # a pair is one code point
    assert decode(b'"\\\\ud800"') == ("\\ud800", None)  # an escaped backslash, then plain text
    assert decode(b'"\\ud7ff\\ue000"') == ("\ud7ff\ue000", None)  # just outside the surrogate range
    _, long = decode(b'"' + b"x" * 100 + b'\\ud800"')
    assert long.reason == f"a lone surrogate escape in the string {('x' * 60)!r}"


def test_deep_nesting_is_a_fault_not_a_crash():
    assert decode("[" * 200 + "]" * 200)[1] is None
    assert fault_of("[" * 201 + "]" * 201) == ("SER-1", "too-deep", ())
    _, fault = decode("{\"a\":" * 201 + "1" + "}" * 201)
    assert fault.reason == "nesting deeper than 200 levels"
    assert fault_of("[" * 100000) == ("SER-1", "too-deep", ())


def test_brackets_inside_strings_and_siblings_are_not_depth():
    inside = json.dumps(["[" * 300, "{" * 300, 'a"\\[' * 100])
    assert decode(inside)[1] is None
    siblings = "[" + ",".join(["[]"] * 300) + "]"
    assert decode(siblings)[1] is None
    escaped_quote = '["\\"' + "[" * 300 + '"]'
    assert decode(escaped_quote)[1] is None
    deep_after_string = '["x", ' + "[" * 201 + "]" * 201 + "]"
    assert fault_of(deep_after_string) == ("SER-1", "too-deep", ())


def test_strings_walks_values_and_member_names():
    assert list(strict_json.strings({"a": ["b", {"c": "d"}, 1, None], "e": 2})) == ["a", "b", "c", "d", "e"]
    assert list(strict_json.strings(3)) == []
    assert strict_json.has_lone_surrogate("a\udc00") and not strict_json.has_lone_surrogate("a\ue000")


def test_tagged_object_finds_the_first_exact_pair_at_any_depth():
    tagged = {"__type__": "t", "__value__": 1}
    assert strict_json.tagged_object(tagged) is tagged
    assert strict_json.tagged_object({"a": 1, "b": [2, {"c": tagged}]}) is tagged
    assert strict_json.tagged_object([1, [tagged]]) is tagged
    assert strict_json.tagged_object({"__type__": "t", "__value__": 1, "x": 2}) is None
    assert strict_json.tagged_object({"__type__": "t"}) is None
    assert strict_json.tagged_object([{"a": 1}, "__type__"]) is None
    first, second = {"__type__": 1, "__value__": 1}, {"__type__": 2, "__value__": 2}
    assert strict_json.tagged_object({"a": first, "b": second}) is first
    assert strict_json.tagged_object([first, second]) is first


# --- values -----------------------------------------------------------------------------------------------------

def test_equal_tells_json_kinds_apart():
    good = values.equal("R-1", "s", "the value", {"a": [1, True]}, {"a": [1, True]}, "m")
    assert summary(good) == (["R-1"], [], []) and good.value == {"a": [1, True]}
    for observed in ({"a": [1.0, True]}, {"a": [1, 1]}, {"a": [True, True]}, {"a": [1]}, {"b": [1, True]},
                     {"a": (1, True)}, [1, True], "x"):
        bad = values.equal("R-1", "s", "the value", {"a": [1, True]}, observed)
        assert bad.codes() == ["R-1/s"] and bad.value == observed, observed
    (finding,) = values.equal("R-1", "s", "the value", 1, 2).findings
    assert (finding.expected, finding.observed) == ("the value 1", "2")
    assert values.equal("R-1", "s", "v", "1", 1).codes() == ["R-1/s"]
    assert values.equal("R-1", "s", "v", None, None).ok and values.equal("R-1", "s", "v", 1.5, 1.5).ok
    assert values.equal("R-1", "s", "v", False, 0).codes() == ["R-1/s"]
    assert values.equal("R-1", "s", "v", 0, False).codes() == ["R-1/s"]
    assert values.equal("R-1", "s", "v", {"a": 1}, {"a": 2}).codes() == ["R-1/s"]
    assert values.equal("R-1", "s", "v", [1, 2], [1, 3]).codes() == ["R-1/s"]
    assert values.equal("R-1", "s", "v", True, True).ok


def test_holds():
    assert summary(values.holds("R-1", "s", "positive", 3, lambda v: v > 0)) == (["R-1"], [], [])
    bad = values.holds("R-1", "s", "positive", -1, lambda v: v > 0, {"m": 1})
    assert bad.codes() == ["R-1/s"] and bad.findings[0].expected == "positive"
    assert bad.findings[0].observed == "-1" and bad.value == -1 and bad.findings[0].messages == ({"m": 1},)
    raising = values.holds("R-1", "s", "positive", "x", lambda v: v > 0)
    assert raising.codes() == ["R-1/s"]


# --- names ------------------------------------------------------------------------------------------------------

def test_names():
    assert names.service_queue("s") == "rpc-s" and names.service_binding("s") == "s.*"
    assert names.request_key("s", "m") == "s.m" and names.events_exchange("s") == "s.events"
    assert names.context_header("k") == "nameko.k" and names.reply_queue("c", "r") == "rpc.reply-c-r"
    assert names.handler_queues("src", "t", "svc", "m") == {"service_pool": "evt-src-t--svc.m",
                                                          "singleton": "evt-src-t",
                                                          "broadcast": "evt-src-t--svc.m-"}
    assert names.is_recommended_reply_queue("rpc.reply-standalone_rpc_proxy-abc", "abc")
    assert names.is_recommended_reply_queue("rpc.reply-x-abc", "abc")
    assert not names.is_recommended_reply_queue("rpc.reply--abc", "abc")
    assert not names.is_recommended_reply_queue("rpc.reply-x-abd", "abc")
    assert not names.is_recommended_reply_queue("rpc-reply-x-abc", "abc")
    assert names.is_uuid4("0f8fad5b-d9cb-469f-a165-70867728950e")
    assert not names.is_uuid4("0f8fad5b-d9cb-169f-a165-70867728950e")  # version 1
    assert not names.is_uuid4("0f8fad5b-d9cb-469f-c165-70867728950e")  # variant
    assert not names.is_uuid4("x0f8fad5b-d9cb-469f-a165-70867728950e")
    assert not names.is_uuid4(None) and not names.is_uuid4(123)


# --- serialization ----------------------------------------------------------------------------------------------

def test_number_kinds():
    body = b'{"result": {"args": [1, 2.0, 3e2], "kwargs": {}}, "error": null}'
    assert summary(serialization.number_kinds(body, ["int", "float", "float"])) == (["SER-5"], [], [])
    lost = serialization.number_kinds(b'{"result": {"args": [1, 2, 300]}, "error": null}', ["int", "float", "float"])
    assert summary(lost) == (["SER-5"], ["SER-5/number-kind-lost"], [])
    assert lost.findings[0].expected == "kinds ['int', 'float', 'float']"
    assert lost.findings[0].observed == short_args([("int", "1"), ("int", "2"), ("int", "300")])
    for broken in (b"not json", b'{"result": null}', b'{"error": 1}', b"\xff", memoryview(b'{"result": {}}')):
        judgement = serialization.number_kinds(broken, ["int"])
        assert summary(judgement) == ([], [], ["SER-5"]), broken
        assert judgement.inconclusive[0][1].startswith("the echo reply is not the echo's result (")


def short_args(args):
    from nameko_conformance.oracle.model import short
    return short(args)


def test_no_non_standard_constants():
    assert summary(serialization.no_non_standard_constants(Msg(body=b"[1]"))) == (["SER-3"], [], [])
    nan = serialization.no_non_standard_constants(Msg(body=b"[NaN]"))
    assert summary(nan) == (["SER-3"], ["SER-3/non-standard-constant"], [])
    assert nan.findings[0].observed == "the non-standard constant NaN"
    # Other faults are other checks' findings.
    assert serialization.no_non_standard_constants(Msg(body=b"[")).ok


def test_depth_is_counted_exactly_around_strings_escapes_and_closes():
    exactly = "[" + "[" * 199 + "]" * 199 + ", []]"  # 201 brackets, never deeper than 200
    assert decode(exactly)[1] is None
    reopened = "[[[]," + "[" * 199 + "]" * 199 + "]]"  # back to 2 after a close, then 199 more: 201
    assert fault_of(reopened) == ("SER-1", "too-deep", ())
    after_escape = '["a\\\\n", ' + "[" * 201 + "]" * 201 + "]"  # an escape ends with its one character
    assert fault_of(after_escape) == ("SER-1", "too-deep", ())
    letters = "[" * 150 + "X" * 100  # only brackets open a level
    assert fault_of(letters) == ("SER-1", "not-json", ())
    interleaved = "[X" * 201  # and nothing but brackets closes one
    assert fault_of(interleaved) == ("SER-1", "too-deep", ())


def test_a_long_parse_error_is_cut_to_80_characters():
    body = " " * 100000 + "{x"
    try:
        json.loads(body)
    except ValueError as exc:
        message = str(exc)
    assert len(message) > 80
    assert decode(body)[1].reason == f"not a JSON text ({message[:80]})"


def test_equal_strings_and_unequal_values_of_one_type():
    assert values.equal("R-1", "s", "v", "a", "a").ok
    assert values.equal("R-1", "s", "v", "a", "b").codes() == ["R-1/s"]
    assert values.equal("R-1", "s", "v", [None, "x"], [None, "x"]).ok


def test_letters_never_open_a_level():
    # 201 brackets (so the depth walk runs), never deeper than 199; letters between them open nothing.
    text = "[" * 199 + "X" * 5 + "]" * 199 + "[][]"
    assert fault_of(text) == ("SER-1", "not-json", ())


def test_number_kinds_says_why_it_cannot_decide():
    assert serialization.number_kinds(b"not json", ["int"]).inconclusive == (
        ("SER-5", "the echo reply is not the echo's result (Expecting value: line 1 column 1 (char 0))"),)
    body = b" " * 100000 + b"{x"
    with pytest.raises(ValueError) as raised:
        json.loads(body)
    assert len(str(raised.value)) > 80
    assert serialization.number_kinds(body, ["int"]).inconclusive[0][1] == (
        f"the echo reply is not the echo's result ({str(raised.value)[:80]})")
