"""The kit's body checks: strict JSON judged on decoded strings, schema failures named by the violated subschema."""

from types import SimpleNamespace

import pytest

from nameko_conformance.oracle import reply as replies
from nameko_conformance.oracle.model import Check
from nameko_conformance.oracle.schemas import schema_findings


def body(raw: bytes):
    return SimpleNamespace(body=raw)


@pytest.mark.parametrize("raw", [
    rb'{"a": "\\ud800"}',            # an escaped backslash followed by "ud800": six plain characters
    rb'{"a": "\ud83d\ude00"}',       # a surrogate pair: one code point
    '{"a": "\U0001F600"}'.encode(),  # the same code point as raw UTF-8
])
def test_accepts_text_without_lone_surrogates(raw):
    """Pairs, raw UTF-8 and escaped backslashes pass."""
    assert replies.json_text(body(raw)).ok


@pytest.mark.parametrize("raw", [rb'{"a": "\ud800"}', rb'{"a": ["x\udc00"]}', rb'{"\udbff": 1}'])
def test_rejects_a_lone_surrogate_in_values_and_names(raw):
    """A lone surrogate escape anywhere, member names included, breaks SER-7."""
    assert {f.requirement for f in replies.json_text(body(raw)).findings} == {"SER-7"}


@pytest.mark.parametrize("raw, requirement", [
    (b'{"a": NaN}', "SER-3"),  # and SER-1: NaN is no RFC 8259 JSON
    (b'{"a": 1, "a": 2}', "SER-7"),
    (b'{"a": ', "SER-1"),
    (b'{"a": "\xff"}', "SER-1"),
])
def test_rejects_what_only_lenient_parsers_read(raw, requirement):
    """NaN, duplicate names, truncation and invalid UTF-8 each fail with their requirement."""
    assert requirement in {f.requirement for f in replies.json_text(body(raw)).findings}


@pytest.mark.parametrize("reply, requirement", [
    ({"result": None, "error": {"exc_type": "X", "exc_args": [], "value": "v"}}, "RPC-ERR-1"),
    ({"result": 1, "error": {"exc_type": "X", "exc_path": "m.X", "exc_args": [], "value": "v"}}, "RPC-REPLY-5"),
    ({"result": 1, "error": None, "extra": 2}, "RPC-REPLY-3"),
    ({"result": None, "error": {"exc_type": "m.X", "exc_path": "m.X", "exc_args": [], "value": "v"}}, "RPC-ERR-2"),
])
def test_schema_failures_name_the_requirement_of_the_violated_subschema(reply, requirement):
    """A schema violation is reported under the x-requirement of the deepest subschema it breaks."""
    check = Check()
    for finding in schema_findings("rpc-reply-body.schema.json", reply, "RPC-REPLY-3"):
        check.fail(*finding)
    assert requirement in {f.requirement for f in check.done().findings}
