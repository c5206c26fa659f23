"""Hypothesis strategies: generated bodies are valid and round-trip; context headers fit AMQP tables."""

import json
import sys

import jsonschema
import pytest

from nameko_conformance.data import load_schema
from nameko_conformance.fuzz import FuzzExtraMissing, require_fuzz_extra

from hypothesis import HealthCheck, given, settings  # noqa: E402
import pika.data  # noqa: E402
import pika.exceptions  # noqa: E402

from nameko_conformance.fuzz import strategies  # noqa: E402
from nameko_conformance.fuzz.canonical import compare  # noqa: E402
from nameko_conformance.fuzz.raw_json import strict_json_problems  # noqa: E402

FUZZ_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                                 HealthCheck.data_too_large])
REQUEST_SCHEMA = load_schema("rpc-request-body.schema.json")


@FUZZ_SETTINGS
@given(strategies.echo_request_bodies())
def test_echo_bodies_are_valid_requests_that_round_trip_through_json(body):
    jsonschema.validate(body, REQUEST_SCHEMA)
    assert set(body) == {"args", "kwargs"} and "self" not in body["kwargs"]
    text = json.dumps(body, allow_nan=False)
    assert strict_json_problems(text.encode("utf-8")) == []
    assert compare(body, json.loads(text)) == []


@FUZZ_SETTINGS
@given(strategies.schema_request_bodies())
def test_schema_bodies_satisfy_the_request_schema(body):
    jsonschema.validate(body, REQUEST_SCHEMA)


@FUZZ_SETTINGS
@given(strategies.context_headers())
def test_context_headers_survive_json(headers):
    assert compare(headers, json.loads(json.dumps(headers, allow_nan=False))) == []
    assert all(name.startswith("nameko.") for name in headers)


def test_pika_cannot_encode_a_float_in_a_table():
    """pika 1.4 has no encoder for AMQP doubles, which is why pika clients generate headers without floats."""
    with pytest.raises(pika.exceptions.UnsupportedAMQPFieldException):
        pika.data.encode_table([], {"nameko.ratio": 0.5})


@FUZZ_SETTINGS
@given(strategies.context_headers(with_floats=False))
def test_float_free_context_headers_survive_a_pika_field_table(headers):
    """pika encodes and decodes every generated header table to the same typed values."""
    encoded = []
    pika.data.encode_table(encoded, headers)
    decoded, _ = pika.data.decode_table(b"".join(encoded), 0)
    assert compare(headers, decoded) == []
    stack = headers.get("nameko.call_id_stack")
    assert stack is None or all(isinstance(item, str) for item in stack)


@FUZZ_SETTINGS
@given(strategies.context_data())
def test_context_data_leaves_out_the_call_id_stack(data):
    assert "call_id_stack" not in data
    assert all(len(f"nameko.{key}".encode("utf-8")) <= 255 for key in data)


def test_missing_extra_raises_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis_jsonschema", None)
    with pytest.raises(FuzzExtraMissing, match=r"nameko-wire-kit\[fuzz\]"):
        require_fuzz_extra()
