"""Hypothesis strategies for request bodies and context headers, seeded with the hazards.

Importing this module needs the optional extra `fuzz`; without it the import raises `FuzzExtraMissing` with the
install hint. Request bodies are mostly built from precomputed hazard pools and Hypothesis scalars, which costs
Hypothesis a few draws per value; bodies from `schemas/rpc-request-body.schema.json` through hypothesis-jsonschema,
long strings and near-1 MiB bodies are mixed in at a few per hundred, since each is slow to draw or to send (see
`ECHO_BODY_WEIGHTS`; `hazards.hazard_classes` and the unit tests prove every class still occurs). Context header
values are limited to what both a JSON job and an AMQP field table can carry: strings, integers within ±2^63,
booleans, finite floats, nested tables and arrays.
"""

from __future__ import annotations

import json

from nameko_conformance.data import load_schema
from nameko_conformance.fuzz import hazards, raw_json, require_fuzz_extra

st, hypothesis_jsonschema = require_fuzz_extra()

REQUEST_BODY_SCHEMA = "rpc-request-body.schema.json"
AMQP_SHORTSTR_MAX_BYTES = 255
CONTEXT_HEADER_PREFIX = "nameko."
CALL_ID_STACK_KEY = "call_id_stack"


def _indexed(items):
    # Sampling indexes keeps the strategy's repr short; the hazards themselves run to megabytes of text.
    items = tuple(items)
    return st.integers(min_value=0, max_value=len(items) - 1).map(lambda index: items[index])


def _pool(values):
    """One of `values` with a single draw; shrinks towards the first."""
    return st.sampled_from(tuple(values))


def weighted(choices):
    """One of `choices` ((weight, strategy) pairs), picked by weight with one draw; shrinks towards the first."""
    choices = tuple(choices)
    # Built once: a strategy created inside a draw costs Hypothesis its label and validation on every draw.
    picks = st.integers(min_value=0, max_value=sum(weight for weight, _ in choices) - 1)

    @st.composite
    def pick(draw):
        index = draw(picks)
        for weight, strategy in choices:
            if index < weight:
                return draw(strategy)
            index -= weight
        raise AssertionError("unreachable: the index is below the total weight")
    return pick()


# Hazards are precomputed pools drawn with a single choice each: a recursive build of the same values costs
# Hypothesis dozens of draws per example. Heavy ones (long strings) are a separate pool, drawn rarely.
LIGHT_HAZARDS = tuple(hazard for hazard in hazards.all_hazards() if not hazards.is_heavy(hazard))
HEAVY_HAZARDS = tuple(hazard for hazard in hazards.all_hazards() if hazards.is_heavy(hazard))
PLANE_STRINGS = tuple(hazards.plane_sample(plane) * 3 for plane in range(hazards.MAX_UNICODE_PLANE + 1))
LEAF_POOL = tuple(hazard.value for hazard in LIGHT_HAZARDS) + PLANE_STRINGS


def _structures():
    """Containers of hazards, deterministic: one draw gives a value a recursive strategy needs dozens for."""
    integers = [hazard.value for hazard in hazards.INTEGER_HAZARDS]
    floats = [hazard.value for hazard in hazards.FLOAT_HAZARDS]
    strings = [hazard.value for hazard in hazards.STRING_HAZARDS if not hazards.is_heavy(hazard)]
    keyed = dict(zip(hazards.KEY_HAZARDS, integers + floats + strings))
    deep = hazards.DEFAULT_MAX_NESTING - 4  # room for the body, args and a random container around it
    return (
        integers, floats, strings, keyed, [keyed, [floats, {"": integers}]],
        {"": {"": {"": -0.0}}}, [[], {}, [[]], [{}], {"": []}],
        hazards.nested_arrays(deep, leaf=2**64), hazards.nested_objects(deep, leaf=-0.0, key=""),
        hazards.nested_arrays(deep // 2, leaf={"\u00e9": 5e-324, "e\u0301": -(2**63)}),
    )


STRUCTURE_POOL = _structures()


def hazard_values(*, heavy: bool = False):
    """One of the hazard values (integers, floats, strings, odd-key objects, bounded nesting); `heavy` adds the
    long strings."""
    return _indexed(hazard.value for hazard in (hazards.all_hazards() if heavy else LIGHT_HAZARDS))


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


# Hypothesis's text never holds surrogates, so every value encodes as UTF-8; its unbounded integers reach 2^64+.
_HYPOTHESIS_SCALARS = (st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))


def json_scalars():
    return st.one_of(st.none(), st.booleans(), *_HYPOTHESIS_SCALARS)


def json_values(*, with_hazards: bool = True, max_leaves: int = 4):
    """Any JSON value. With hazards it is flat, for speed: each value costs Hypothesis two or three draws (a hazard
    leaf, a precomputed structure of hazards with deep nesting among them, a scalar), a small container of those
    a few more."""
    if not with_hazards:
        return st.recursive(json_scalars(), lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)),
            max_leaves=max_leaves)
    leaves = st.one_of(_pool(LEAF_POOL), *_HYPOTHESIS_SCALARS)
    containers = st.one_of(st.lists(leaves, max_size=max_leaves - 1),
                           st.dictionaries(object_keys(), leaves, max_size=max_leaves - 2))
    # one_of picks its branches alike: two hazard pools against three kinds of scalar and one of containers.
    return st.one_of(_pool(LEAF_POOL), _pool(LEAF_POOL + STRUCTURE_POOL + (None, True, False)), *_HYPOTHESIS_SCALARS,
                     containers)


def object_keys():
    return st.one_of(st.text(max_size=12), _pool(hazards.KEY_HAZARDS))


_SCHEMA_STRATEGY = None


def schema_request_bodies():
    """Bodies valid by the request-body schema, extra members included (servers ignore them, RPC-REQ-10).

    Built once per process: hypothesis-jsonschema resolves and canonicalises the schema, which is expensive."""
    global _SCHEMA_STRATEGY
    if _SCHEMA_STRATEGY is None:
        _SCHEMA_STRATEGY = _build_schema_strategy()
    return _SCHEMA_STRATEGY


def _build_schema_strategy():
    schema = load_schema(REQUEST_BODY_SCHEMA)
    if not hypothesis_jsonschema_handles_objects():
        return _from_simple_schema(schema)
    return hypothesis_jsonschema.from_schema(schema)


def _without(names):
    return lambda body: {"args": body["args"],
                         "kwargs": {key: value for key, value in body["kwargs"].items() if key not in names}}


def generated_bodies(*, exclude_kwarg_names=hazards.PYTHON_TESTEE_RESERVED_KWARGS):
    """args and kwargs of generated values whose leaves and keys are often hazards."""
    return st.fixed_dictionaries({"args": st.lists(json_values(), max_size=3),
                                  "kwargs": st.dictionaries(object_keys(), json_values(), max_size=2)}
                                 ).map(_without(exclude_kwarg_names))


# Bytes per filler character in the longer JSON form, with \u escapes (ensure_ascii): 4-byte UTF-8 needs two.
LARGE_BODY_FILLERS = {"x": 1, "\u00e9": 6, "\u4e2d": 6, "\U0001f600": 12}


def large_bodies(*, min_bytes: int = hazards.LARGE_BODY_BYTES, max_bytes: int = hazards.DEFAULT_LARGE_BODY_BYTES):
    """Bodies of `min_bytes` to `max_bytes` in their longer JSON form (MAL-12 bounds what every server answers
    at 1 MiB), one string of a character JSON writes unescaped raw: ASCII, or 2- to 4-byte UTF-8."""
    overhead = len(b'{"args": [""], "kwargs": {}}')

    def build(size_and_filler):
        size, filler = size_and_filler
        width = LARGE_BODY_FILLERS[filler]
        fewest, most = -(-(min_bytes - overhead) // width), (max_bytes - overhead) // width
        return {"args": [filler * min(most, max(fewest, (size - overhead) // width))], "kwargs": {}}
    return st.tuples(st.integers(min_value=min_bytes, max_value=max_bytes),
                     st.sampled_from(sorted(LARGE_BODY_FILLERS))).map(build)


def hazard_request_bodies(*, exclude_kwarg_names=hazards.PYTHON_TESTEE_RESERVED_KWARGS):
    """A single hazard as a positional and a keyword argument, or generated args and kwargs."""
    return st.one_of(_indexed(LIGHT_HAZARDS).map(hazards.hazard_request_body),
                     generated_bodies(exclude_kwarg_names=exclude_kwarg_names))


# Relative weights of the kinds of echo bodies. Generated bodies are cheap and hazard-seeded; the schema-based
# ones are slow to draw (hypothesis-jsonschema merges subschemas on every draw), heavy and large ones slow on
# every hop, so a few per hundred suffice.
ECHO_BODY_WEIGHTS = {"generated": 85, "single-hazard": 9, "schema": 1, "heavy-hazard": 2, "large": 2}


def echo_request_bodies(*, exclude_kwarg_names=hazards.PYTHON_TESTEE_RESERVED_KWARGS):
    """Bodies of only `args` and `kwargs` (RPC-REQ-9), whose echo must return both unchanged (TESTEE-2).

    Keyword names in `exclude_kwarg_names` are left out: they collide with the testee method's own parameters.
    """
    kinds = {
        "generated": generated_bodies(exclude_kwarg_names=exclude_kwarg_names),
        "single-hazard": _indexed(LIGHT_HAZARDS).map(hazards.hazard_request_body),
        # hypothesis-jsonschema's text may hold surrogate code points, which no valid request holds (SER-7).
        "schema": schema_request_bodies().filter(utf8_encodable).map(_without(exclude_kwarg_names)),
        "heavy-hazard": _indexed(HEAVY_HAZARDS).map(hazards.hazard_request_body),
        "large": large_bodies(),
    }
    return weighted([(ECHO_BODY_WEIGHTS[name], strategy) for name, strategy in kinds.items()])


def utf8_encodable(body) -> bool:
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def echo_examples():
    """One echo request: (body, ensure_ascii), the body written with or without \\u escapes for non-ASCII."""
    return st.tuples(echo_request_bodies(), st.booleans())


ECHO_BATCH_MAX = 8


def echo_batches(max_size: int = ECHO_BATCH_MAX):
    """The echo property's examples, as the suite and the benchmark draw them: 1 to `max_size` echo requests that
    are published back to back (several in flight hide the broker round trip). Shrinking drops the requests a
    failure does not need, so a shrunk failing example is a single message."""
    return st.lists(echo_examples(), min_size=1, max_size=max_size)


def truncated_body_cases():
    """A valid request body cut short anywhere: never a JSON text, so MalformedRequest is the one answer (MAL-1,
    or MAL-4 when the cut splits a UTF-8 sequence)."""
    def cut(body_and_fraction):
        body, fraction = body_and_fraction
        text = json.dumps(body, ensure_ascii=False).encode("utf-8")
        prefix = text[:int(len(text) * fraction)]
        try:
            prefix.decode("utf-8")
            requirement = "MAL-1"
        except UnicodeDecodeError:
            requirement = "MAL-4"
        return raw_json.RawJsonCase("truncated-valid-body", "A valid request body cut short", prefix, ("SER-1",),
                                    (raw_json.MALFORMED_REQUEST,), (requirement,))
    return st.tuples(generated_bodies(), st.floats(min_value=0, max_value=0.999)).map(cut)


def lone_surrogate_cases():
    """Generated bodies with an escaped lone surrogate (high or low) in a string: raw text, SER-7 forbids it."""
    code_units = st.one_of(st.sampled_from([0xD800, 0xDBFF, 0xDC00, 0xDFFF]),
                           st.integers(min_value=0xD800, max_value=0xDFFF))
    return st.builds(lambda body, unit, ascii_only: raw_json.lone_surrogate_case(body["args"], body["kwargs"], unit,
                                                                                 ascii_only),
                     generated_bodies(), code_units, st.booleans())


def duplicate_key_cases():
    """Generated bodies whose kwargs name one key twice with two generated values: raw text, SER-7 forbids it."""
    return st.builds(lambda body, key, first, second, ascii_only: raw_json.duplicate_key_case(
        body["args"], body["kwargs"], key, first, second, ascii_only),
        generated_bodies(), object_keys(), json_values(), json_values(), st.booleans())


def invalid_raw_bodies():
    """The invalid-input property's examples: the fixed raw cases, and generated truncated bodies, lone surrogates
    and duplicate keys."""
    return st.one_of(st.sampled_from(raw_json.RAW_JSON_CASES), truncated_body_cases(), lone_surrogate_cases(),
                     duplicate_key_cases())


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
    # st.text over a fixed alphabet draws the same names as a regex strategy would, at a fraction of its cost.
    name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
    call_id = st.builds(lambda s, m, u: f"{s}.{m}.{u}", name, name, st.uuids().map(str))
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
