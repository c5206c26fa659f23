"""Property tests: whatever pika can hand over, the reference's cores answer, discard or settle; they never raise.

The hostile corpus (reference/tests/live) replays kinds of bad input someone thought of. These generate inputs
nobody listed: every AMQP field-table value type in headers (nested tables and arrays, bytes, Decimal, datetime,
huge integers), properties and routing keys that are text or undecodable bytes, and bodies that are random bytes,
random JSON or request-shaped JSON with hostile members. What must hold (CONN-10, CONN-11, MAL-10, MAL-13):
- a request gets exactly one decision; a reply the decision calls for always encodes as strict UTF-8 JSON;
- an event is handled or discarded;
- a reply handed to the client's call table settles the call it names (never leaves it hanging) or is ignored.
"""

import datetime
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nameko_reference import client_core, codec, server_core
from nameko_reference.server_core import Discard, HandleEvent, Invoke, ReplyError

from .test_hostile_input import SIGNATURES

# derandomize: the same examples in every CI run (a new seed is for exploring by hand, not for a gate)
SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

# What pika decodes a field-table value into (AMQP 0-9-1 field types as RabbitMQ sends them).
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 64), 2 ** 64), st.floats(allow_nan=True),
    st.text(max_size=20), st.binary(max_size=20),
    st.decimals(allow_nan=False, allow_infinity=False, places=3),
    st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2100, 1, 1)),
)
names_ = st.one_of(st.text(max_size=12), st.binary(max_size=12), st.sampled_from(
    ["nameko.call_id_stack", "nameko.language", "nameko.user_id", "nameko.", "x-death"]))
field_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(names_, inner, max_size=4)), max_leaves=12)
headers = st.one_of(st.none(), st.dictionaries(names_, field_values, max_size=6))
texty = st.one_of(st.none(), st.text(max_size=30), st.binary(max_size=30))

# JSON values, including those a strict encoder refuses (NaN, lone surrogates) once they come back as results.
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=15)


def _dumps(value):
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(_dumps),
    st.fixed_dictionaries({"args": json_values, "kwargs": json_values},
                          optional={"extra": json_values}).map(_dumps),
    st.fixed_dictionaries({"args": st.lists(json_values, max_size=3),
                           "kwargs": st.dictionaries(st.text(max_size=8), json_values, max_size=3)}).map(_dumps),
)
routing_keys = st.one_of(st.sampled_from(["svc.echo", "svc.nosuch", "svc.", "svc", "", "other.echo", "svc.a.b"]),
                         st.text(max_size=20), st.binary(max_size=20))
content_types = st.one_of(st.just(codec.JSON_CONTENT_TYPE), texty)
properties = st.fixed_dictionaries(
    {"content_type": content_types, "reply_to": texty, "correlation_id": texty},
    optional={"content_encoding": texty, "delivery_mode": st.sampled_from([1, 2]), "priority": st.integers(0, 9),
              "expiration": texty, "message_id": texty, "type": texty, "user_id": texty, "app_id": texty})
messages = st.builds(lambda body, props, hdrs, key: codec.Message(
    body, {k: v for k, v in props.items() if v is not None}, hdrs, "nameko-rpc", key),
    bodies, properties, headers, routing_keys)


def strictly_encoded(reply):
    """The reply's body is a JSON object in strict UTF-8 with exactly result and error (RPC-REPLY-3, SER-7)."""
    body = json.loads(reply.body.decode("utf-8"))
    assert set(body) == {"result", "error"}
    return body


@SETTINGS
@given(messages)
def test_a_request_of_any_shape_gets_one_decision_and_any_reply_encodes(message):
    decision = server_core.decide_request("svc", SIGNATURES, message)
    assert isinstance(decision, (Invoke, ReplyError, Discard))
    if isinstance(decision, Discard):
        assert not message.properties.get("reply_to")  # only a request nowhere to answer goes unanswered
        return
    if isinstance(decision, ReplyError):
        body = strictly_encoded(server_core.error_reply("nameko-rpc", decision.address, decision.error))
        assert body["result"] is None and isinstance(body["error"]["exc_type"], str)
        return
    assert all(isinstance(entry, str) for entry in decision.worker.call_id_stack)
    # The testee's echo returns what it got; whatever that is, the reply encodes (or is an error reply that does).
    reply = server_core.success_reply("nameko-rpc", decision.address, {"args": decision.args,
                                                                        "kwargs": decision.kwargs})
    strictly_encoded(reply)


@SETTINGS
@given(messages)
def test_an_event_of_any_shape_is_handled_or_discarded(message):
    decision = server_core.decide_event("svc", "on_ping", message)
    assert isinstance(decision, (HandleEvent, Discard))


@SETTINGS
@given(bodies, st.one_of(st.none(), content_types), headers, st.booleans())
def test_a_reply_of_any_shape_settles_its_call_or_is_ignored(body, content_type, hdrs, own_id):
    table = client_core.CallTable("nameko-rpc", "reply-key")
    request = table.new_call("svc", "echo", [], {}, None, "token")
    props = {"correlation_id": request.properties["correlation_id"] if own_id else "someone-else"}
    if content_type is not None:
        props["content_type"] = content_type
    outcome = table.on_reply(codec.Message(body, props, hdrs))
    if own_id:
        assert isinstance(outcome, client_core.Settled) and outcome.token == "token"
        assert outcome.error is None or isinstance(outcome.error, Exception)
        assert len(table) == 0
    else:
        assert isinstance(outcome, client_core.Ignored) and len(table) == 1


@SETTINGS
@given(json_values, st.one_of(st.text(max_size=20), st.binary(max_size=20)), texty)
def test_any_result_becomes_a_reply_that_encodes(result, reply_to, correlation_id):
    address = server_core.ReplyAddress(reply_to, correlation_id)
    strictly_encoded(server_core.success_reply("nameko-rpc", address, result))


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.one_of(json_values, st.dictionaries(st.text(max_size=8), json_values, max_size=5),
                 st.fixed_dictionaries({}, optional={"exc_path": json_values, "exc_type": json_values,
                                                     "exc_args": json_values, "value": json_values})))
def test_any_error_member_becomes_an_exception(error):
    from nameko_reference.errors import exception_from_error
    assert isinstance(exception_from_error(error), Exception)


def test_the_properties_find_what_they_look_for():
    """Guards the strategies: they reach the decisions and types the properties are about."""
    bad_path = {"exc_path": ["unhashable"], "exc_type": "X", "value": "v", "exc_args": []}
    from nameko_reference.errors import exception_from_error
    assert isinstance(exception_from_error(bad_path), Exception)
    table = client_core.CallTable("nameko-rpc", "reply-key")
    request = table.new_call("svc", "echo", [], {}, None, "token")
    outcome = table.on_reply(codec.Message(json.dumps({"result": None, "error": bad_path}).encode(),
                                           {"correlation_id": request.properties["correlation_id"]}))
    assert isinstance(outcome, client_core.Settled) and outcome.error is not None
