"""Property test: ``nameko-conformance validate`` takes any JSON a user may hand it. A document that is not a
message, a fixture file or JSON lines of messages is an input error with one clear line (exit 4); anything else is
judged. Nothing else escapes: no traceback, no "kit error" for a user's typo (and the message checks of the oracle
meet every JSON type in every member on the way)."""

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nameko_conformance import validate

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=10)
# Plausible values beside arbitrary ones, so the checks behind the shape gate are reached too.
member = st.one_of(json_values, st.sampled_from(["nameko-rpc", "svc.echo", "svc_src.events", "application/json",
                                                 "rpc.reply-x", "utf-8", "request", "reply", "event"]))
properties = st.one_of(json_values, st.dictionaries(st.sampled_from(
    ["content_type", "reply_to", "correlation_id", "delivery_mode", "content_encoding", "headers", "priority"]),
    member))
headers = st.one_of(json_values, st.dictionaries(st.sampled_from(["nameko.call_id_stack", "nameko.x", "y"]),
                                                 json_values))
messages = st.fixed_dictionaries(
    {"exchange": member, "routing_key": member},
    optional={"properties": properties, "headers": headers, "body_text": member, "body_base64": member,
              "body": json_values, "role": member, "routed_queues": json_values, "mandatory": json_values})
cases = st.one_of(json_values, st.fixed_dictionaries(
    {"id": json_values, "messages": st.one_of(json_values, st.lists(messages, max_size=2)), "valid": json_values,
     "violates": json_values}))
documents = st.one_of(messages, st.fixed_dictionaries({"cases": st.lists(cases, max_size=2)}), json_values)


# derandomize: the same examples in every CI run (a new seed is for exploring by hand, not for a gate)
@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(documents, st.booleans())
def test_any_document_is_judged_or_refused_with_an_input_error(document, as_lines):
    text = json.dumps(document)
    if as_lines and isinstance(document, dict) and "cases" not in document:
        text = text + "\n" + text  # the JSON-lines form of the same message
    try:
        verdicts = validate.verdicts(text)
    except validate.InputError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    out = io.StringIO()
    assert validate.render(verdicts, out) in (0, 1)
    assert out.getvalue()


def test_a_wrongly_typed_member_is_named_in_the_input_error():
    for document, words in (({"exchange": [1], "routing_key": "a"}, "exchange must be a string"),
                            ({"exchange": "x", "routing_key": "a", "properties": 5}, "properties must be an object"),
                            ({"cases": [None]}, "case #1"),
                            ({"cases": [{"id": 7, "valid": False, "violates": 3, "messages": [
                                {"exchange": "nameko-rpc", "routing_key": "a.b", "body": {}}]}]}, "violates")):
        try:
            validate.verdicts(json.dumps(document))
        except validate.InputError as exc:
            assert words in str(exc), (document, str(exc))
        else:
            raise AssertionError(f"{document} was judged, not refused")
