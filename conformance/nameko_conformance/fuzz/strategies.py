"""Hypothesis strategies for request bodies and context headers, seeded with the hazards.

Importing this module needs the optional extra `fuzz`; without it the import raises `FuzzExtraMissing` with the
install hint. Request bodies come from `schemas/rpc-request-body.schema.json` through hypothesis-jsonschema, mixed
with bodies built around `hazards`. Context header values are limited to what both a JSON job and an AMQP field
table can carry: strings, integers within ±2^63, booleans, finite floats, nested tables and arrays.
"""

from __future__ import annotations

from nameko_conformance.data import load_schema
from nameko_conformance.fuzz import hazards, require_fuzz_extra

st, hypothesis_jsonschema = require_fuzz_extra()

REQUEST_BODY_SCHEMA = "rpc-request-body.schema.json"
AMQP_SHORTSTR_MAX_BYTES = 255
CONTEXT_HEADER_PREFIX = "nameko."
CALL_ID_STACK_KEY = "call_id_stack"


def _indexed(items):
    # Sampling indexes keeps the strategy's repr short; the hazards themselves run to megabytes of text.
    items = tuple(items)
    return st.integers(min_value=0, max_value=len(items) - 1).map(lambda index: items[index])


def hazard_values():
    """One of the hazard values (integers, floats, strings, odd-key objects, bounded nesting)."""
    return _indexed(hazard.value for hazard in hazards.all_hazards())


def hypothesis_jsonschema_handles_objects() -> bool:
    """hypothesis-jsonschema 0.23 generates objects through `many.more()`, which newer Hypothesis removed."""
    from hypothesis.internal.conjecture import utils

    return hasattr(utils.many, "more")


def _from_simple_schema(schema: dict):
    """A strategy for the small draft-07 subset the request-body schema uses (type, required, properties,
    additionalProperties, allOf of required lists); the fallback when hypothesis-jsonschema cannot run."""
    kind = schema.get("type")
    if kind == "array":
        return st.lists(json_values(with_hazards=False), max_size=5)
    if kind != "object":
        return json_values(with_hazards=False)
    required = set(schema.get("required", ()))
    for part in schema.get("allOf", ()):
        required |= set(part.get("required", ()))
    properties = schema.get("properties", {})
    members = {name: _from_simple_schema(properties.get(name, {})) for name in sorted(required)}
    optional = {name: _from_simple_schema(sub) for name, sub in properties.items() if name not in required}
    base = st.fixed_dictionaries(members, optional=optional)
    if schema.get("additionalProperties", True) is False:
        return base
    extra_keys = st.text(max_size=8).filter(lambda key: key not in properties)
    extras = st.dictionaries(extra_keys, json_values(with_hazards=False), max_size=2)
    return st.tuples(base, extras).map(lambda pair: {**pair[1], **pair[0]})


def json_scalars():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    )


def json_values(*, with_hazards: bool = True, max_leaves: int = 25):
    """Any JSON value; with hazards, some leaves and object keys come from `hazards`."""
    leaves = st.one_of(json_scalars(), hazard_values()) if with_hazards else json_scalars()
    keys = st.one_of(st.text(), _indexed(hazards.KEY_HAZARDS)) if with_hazards else st.text()
    return st.recursive(
        leaves,
        lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=5)),
        max_leaves=max_leaves,
    )


def schema_request_bodies():
    """Bodies valid by the request-body schema, extra members included (servers ignore them, RPC-REQ-10)."""
    schema = load_schema(REQUEST_BODY_SCHEMA)
    if not schema:
        # The schema is not there (a partial checkout); RPC-REQ-5 alone describes the shape.
        return st.fixed_dictionaries({"args": st.lists(json_values(with_hazards=False), max_size=5),
                                      "kwargs": st.dictionaries(st.text(), json_values(with_hazards=False),
                                                                max_size=5)})
    if not hypothesis_jsonschema_handles_objects():
        return _from_simple_schema(schema)
    return hypothesis_jsonschema.from_schema(schema)


def hazard_request_bodies(*, exclude_kwarg_names=hazards.PYTHON_TESTEE_RESERVED_KWARGS):
    keys = st.one_of(st.text(), _indexed(hazards.KEY_HAZARDS)).filter(lambda k: k not in exclude_kwarg_names)
    return st.one_of(
        _indexed(hazards.all_hazards()).map(hazards.hazard_request_body),
        st.fixed_dictionaries({"args": st.lists(json_values(), max_size=5),
                               "kwargs": st.dictionaries(keys, json_values(), max_size=5)}),
    )


def echo_request_bodies(*, exclude_kwarg_names=hazards.PYTHON_TESTEE_RESERVED_KWARGS):
    """Bodies of only `args` and `kwargs` (RPC-REQ-9), whose echo must return both unchanged (TESTEE-2).

    Keyword names in `exclude_kwarg_names` are left out: they collide with the testee method's own parameters.
    """
    from_schema = schema_request_bodies().map(lambda body: {"args": body["args"], "kwargs": body["kwargs"]})
    return st.one_of(from_schema, hazard_request_bodies(exclude_kwarg_names=exclude_kwarg_names)).filter(
        lambda body: not (body["kwargs"].keys() & exclude_kwarg_names))


def _fits_shortstr(text: str, reserved: int = 0) -> bool:
    return len(text.encode("utf-8")) + reserved <= AMQP_SHORTSTR_MAX_BYTES


def amqp_table_keys(reserved_bytes: int = 0):
    """Field-table member names: short strings of at most 255 UTF-8 bytes, less `reserved_bytes`."""
    return st.text(min_size=1, max_size=40).filter(lambda key: _fits_shortstr(key, reserved_bytes))


def context_values(*, max_leaves: int = 10, with_floats: bool = True):
    """Values that survive JSON (the driver job) and an AMQP field table alike.

    AMQP tables carry doubles (`d`), and nameko (py-amqp) sends them, but pika 1.4 cannot encode a float in a
    table: pass `with_floats=False` for clients built on pika.
    """
    floats = st.floats(allow_nan=False, allow_infinity=False) if with_floats else st.nothing()
    scalars = st.one_of(
        st.text(max_size=200),
        st.integers(min_value=hazards.AMQP_LONG_LONG_MIN, max_value=hazards.AMQP_LONG_LONG_MAX),
        st.sampled_from([2**31 - 1, 2**31, -(2**31) - 1, hazards.AMQP_LONG_LONG_MIN, hazards.AMQP_LONG_LONG_MAX]),
        st.booleans(),
        floats,
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(amqp_table_keys(), children, max_size=4)),
        max_leaves=max_leaves,
    )


def context_data(*, max_size: int = 5, with_floats: bool = True):
    """Context data for a call (the job's `context`): keys become `nameko.<key>` headers (CTX-1)."""
    keys = amqp_table_keys(len(CONTEXT_HEADER_PREFIX)).filter(lambda key: key != CALL_ID_STACK_KEY)
    return st.dictionaries(keys, context_values(with_floats=with_floats), max_size=max_size)


def call_id_stacks(max_size: int = 12):
    """Call id stacks as CTX-2 requires them: arrays of strings, possibly longer than the CTX-5 cap."""
    call_id = st.builds(lambda s, m, u: f"{s}.{m}.{u}", st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
                        st.from_regex(r"[a-z_]{1,12}", fullmatch=True), st.uuids().map(str))
    return st.lists(call_id, max_size=max_size)


def context_headers(*, with_call_id_stack: bool = True, with_floats: bool = True):
    """A whole application headers table as a client sends it: context data with the `nameko.` prefix."""
    def to_headers(data_and_stack):
        data, stack = data_and_stack
        headers = {f"{CONTEXT_HEADER_PREFIX}{key}": value for key, value in data.items()}
        if stack is not None:
            headers[f"{CONTEXT_HEADER_PREFIX}{CALL_ID_STACK_KEY}"] = stack
        return headers

    stacks = call_id_stacks() if with_call_id_stack else st.none()
    return st.tuples(context_data(with_floats=with_floats), stacks).map(to_headers)
