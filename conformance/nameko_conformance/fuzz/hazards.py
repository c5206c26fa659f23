"""Values that break cross-language ports of the protocol, as plain JSON data (Python form).

Each hazard is a valid JSON value that a conforming implementation echoes back unchanged (TESTEE-2), yet which
commonly goes wrong outside Python: integers beyond the IEEE-754 double range (SER-4, SER-13), negative zero,
subnormal and extreme doubles (SER-5), strings from every Unicode plane (SER-2), odd object keys (SER-6, SER-9),
deep nesting and large bodies (MAL-12). Invalid JSON texts live in `raw_json`, not here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

SAFE_INTEGER_MAX = 2**53 - 1            # the largest integer every IEEE-754 double holds exactly (SER-4)
AMQP_LONG_LONG_MIN = -(2**63)          # AMQP field tables carry signed 64-bit integers at most
AMQP_LONG_LONG_MAX = 2**63 - 1
DEFAULT_LARGE_BODY_BYTES = 1024 * 1024  # MAL-12 bounds what every server answers; the broker allows 128 MiB
DEFAULT_MAX_NESTING = 100               # below common parser limits (serde_json: 128) so a conforming port copes
MAX_UNICODE_PLANE = 16


@dataclass(frozen=True)
class Hazard:
    name: str          # kebab-case, unique across all hazards
    value: object      # a JSON value as Python's json module produces it
    why: str           # what breaks in ports
    requirement: str   # the requirement a port breaks when it does not echo the value unchanged


def _integer(name, value, why):
    requirement = "SER-4" if abs(value) <= SAFE_INTEGER_MAX else "SER-13"
    return Hazard(name, value, why, requirement)


INTEGER_HAZARDS = (
    _integer("int-32-max", 2**31 - 1, "largest 32-bit signed integer"),
    _integer("int-32-overflow", 2**31, "one past the 32-bit signed range"),
    _integer("int-32-underflow", -(2**31) - 1, "one below the 32-bit signed range"),
    _integer("int-safe-max", SAFE_INTEGER_MAX, "largest integer a double holds exactly"),
    _integer("int-safe-min", -SAFE_INTEGER_MAX, "smallest integer a double holds exactly"),
    _integer("int-2-53", 2**53, "first integer where doubles start skipping"),
    _integer("int-2-53-plus-1", 2**53 + 1, "first integer a double cannot hold"),
    _integer("int-64-max", 2**63 - 1, "largest 64-bit signed integer"),
    _integer("int-64-min", -(2**63), "smallest 64-bit signed integer"),
    _integer("int-64-overflow", 2**63, "one past the 64-bit signed range"),
    _integer("int-u64-max", 2**64 - 1, "largest 64-bit unsigned integer"),
    _integer("int-u64-overflow", 2**64, "one past the 64-bit unsigned range"),
    _integer("int-128-bit", -(2**127) + 1, "needs arbitrary precision"),
    _integer("int-40-digits", 10**40 + 1, "needs arbitrary precision; a double rounds away the last digit"),
)

FLOAT_HAZARDS = (
    Hazard("float-negative-zero", -0.0, "sign of zero is lost, or -0.0 becomes the integer 0", "SER-5"),
    Hazard("float-one-point-zero", 1.0, "a number with a fraction is echoed as the integer 1", "SER-5"),
    Hazard("float-2-53", 9007199254740992.0, "integral double beyond the safe range, printed as an integer", "SER-5"),
    Hazard("float-1e21", 1e21, "JavaScript switches to exponent notation here", "SER-5"),
    Hazard("float-tenth", 0.1, "shortest round-trip representation is needed", "TESTEE-2"),
    Hazard("float-third", 1 / 3, "17 significant digits are needed", "TESTEE-2"),
    Hazard("float-max", 1.7976931348623157e308, "largest finite double", "TESTEE-2"),
    Hazard("float-lowest", -1.7976931348623157e308, "most negative finite double", "TESTEE-2"),
    Hazard("float-min-normal", 2.2250738585072014e-308, "smallest normal double", "TESTEE-2"),
    Hazard("float-max-subnormal", 2.225073858507201e-308, "largest subnormal double", "TESTEE-2"),
    Hazard("float-min-subnormal", 5e-324, "smallest subnormal double; flushed to zero by some parsers", "TESTEE-2"),
)


def plane_sample(plane: int) -> str:
    """One code point from Unicode plane `plane` (0–16); unassigned code points are still valid scalar values."""
    if not 0 <= plane <= MAX_UNICODE_PLANE:
        raise ValueError(f"Unicode planes are 0..{MAX_UNICODE_PLANE}, not {plane}")
    return chr(plane * 0x10000 + 0x4E2D)


EVERY_PLANE = "".join(plane_sample(plane) for plane in range(MAX_UNICODE_PLANE + 1))

STRING_HAZARDS = (
    Hazard("str-empty", "", "empty string mistaken for a missing value", "TESTEE-2"),
    Hazard("str-nul", "a\x00b", "NUL terminates C strings", "TESTEE-2"),
    Hazard("str-controls", "\b\f\n\r\t\x1f\x7f", "control characters need escapes", "TESTEE-2"),
    Hazard("str-json-metachars", "\"\\/'", "quote, backslash and solidus need escaping", "TESTEE-2"),
    Hazard("str-latin1", "w\u00f6rld", "non-ASCII arrives as \\u escape from nameko (ensure_ascii)", "SER-2"),
    Hazard("str-combining", "e\u0301", "decomposed form must not be normalised", "SER-2"),
    Hazard("str-line-separators", "\u2028\u2029", "JavaScript string literals reject them raw", "SER-2"),
    Hazard("str-bom", "\ufeff", "byte order mark stripped by some decoders", "SER-2"),
    Hazard("str-noncharacters", "\ufffe\uffff\U0010ffff", "noncharacters replaced by some encoders", "SER-2"),
    Hazard("str-replacement-char", "\ufffd", "looks like an earlier decoding failure", "SER-2"),
    Hazard("str-astral-emoji", "\U0001f600", "needs a surrogate pair as a \\u escape (SER-2)", "SER-2"),
    Hazard("str-every-plane", EVERY_PLANE, "one code point from each of the 17 Unicode planes", "SER-2"),
    Hazard("str-long-ascii", "x" * 65536, "longer than a 16-bit length field", "TESTEE-2"),
    Hazard("str-long-astral", "\U0001f600" * 20000, "80 000 UTF-8 bytes, 40 000 UTF-16 units", "SER-2"),
)

# Object keys; they are exercised as members of nested objects and as kwargs names.
KEY_HAZARDS = (
    "",
    " ",
    "__type__",
    "__value__",
    "a.b",
    ".",
    "*",
    "#",
    "a\x00b",
    "nameko.call_id_stack",
    "args",
    "kwargs",
    "__proto__",
    "constructor",
    "0",
    "\u00e9",
    "e\u0301",
    "\U0001f600",
    "k" * 1024,
)

# Keyword names a Python testee cannot take through `echo(self, *args, **kwargs)`: they collide with a
# parameter of the method itself, so a real nameko testee answers IncorrectSignature for them.
PYTHON_TESTEE_RESERVED_KWARGS = frozenset({"self"})


def nested_arrays(depth: int, leaf=0):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_objects(depth: int, leaf=0, key="k"):
    value = leaf
    for _ in range(depth):
        value = {key: value}
    return value


def nesting_hazards(max_depth: int = DEFAULT_MAX_NESTING) -> tuple[Hazard, ...]:
    return (
        Hazard(f"nested-arrays-{max_depth}", nested_arrays(max_depth), "recursive parsers hit a depth limit",
               "TESTEE-2"),
        Hazard(f"nested-objects-{max_depth}", nested_objects(max_depth), "recursive parsers hit a depth limit",
               "TESTEE-2"),
    )


def key_hazard_objects() -> tuple[Hazard, ...]:
    """Objects whose keys are odd; the NFC/NFD pair is two distinct keys that normalise to the same text."""
    odd_keys = {key: index for index, key in enumerate(KEY_HAZARDS)}
    return (
        Hazard("object-odd-keys", odd_keys, "empty, dotted, NUL and reserved-looking keys", "SER-6"),
        Hazard("object-nfc-nfd-keys", {"\u00e9": "nfc", "e\u0301": "nfd"}, "keys equal after normalisation",
               "SER-6"),
        Hazard("object-tagged-lookalike", {"__type__": "datetime", "__value__": "2020-01-02T03:04:05"},
               "kombu 5.3+ decodes it as a tagged value (SER-8 says not to send it)", "SER-9"),
        Hazard("object-tagged-unknown", {"__type__": "no-such-type", "__value__": 1},
               "kombu 5.3+ fails to decode an unknown tag and drops the message", "SER-9"),
    )


def all_hazards(max_depth: int = DEFAULT_MAX_NESTING) -> tuple[Hazard, ...]:
    return INTEGER_HAZARDS + FLOAT_HAZARDS + STRING_HAZARDS + nesting_hazards(max_depth) + key_hazard_objects()


def hazard_request_body(hazard: Hazard) -> dict:
    """An RPC request body carrying the hazard once as a positional and once as a keyword argument."""
    return {"args": [hazard.value], "kwargs": {"value": hazard.value}}


def odd_kwarg_names_body(exclude=PYTHON_TESTEE_RESERVED_KWARGS) -> dict:
    """A request body whose kwargs names are the key hazards (servers map them to parameters)."""
    return {"args": [], "kwargs": {key: index for index, key in enumerate(KEY_HAZARDS) if key not in exclude}}


def body_of_size(target_bytes: int = DEFAULT_LARGE_BODY_BYTES, filler: str = "x") -> dict:
    """A request body whose compact-or-default `json.dumps` text is exactly `target_bytes` UTF-8 bytes long.

    `filler` must be one character that JSON writes unescaped, so its UTF-8 length fixes the padding.
    """
    if len(filler) != 1 or json.dumps(filler, ensure_ascii=False) != f'"{filler}"':
        raise ValueError("filler must be one character that JSON writes without an escape")
    skeleton = {"args": [""], "kwargs": {}}
    overhead = len(json.dumps(skeleton, ensure_ascii=False).encode("utf-8"))
    width = len(filler.encode("utf-8"))
    room = target_bytes - overhead
    if room < 0 or room % width:
        raise ValueError(f"cannot fill {target_bytes} bytes with {width}-byte characters after {overhead} bytes")
    return {"args": [filler * (room // width)], "kwargs": {}}


def encoded_size(body) -> int:
    """The UTF-8 size of `body` as nameko would not escape it (ensure_ascii=False)."""
    return len(json.dumps(body, ensure_ascii=False).encode("utf-8"))


# -- which hazard classes a generated value holds (used to prove that fast strategies keep their coverage) ------

HEAVY_HAZARD_BYTES = 8 * 1024      # hazards above this size are drawn rarely: they cost time on every hop
LARGE_BODY_BYTES = 512 * 1024      # a body this large approaches the MAL-12 limit (1 MiB)
SMALLEST_NORMAL_DOUBLE = 2.2250738585072014e-308
EXTREME_DOUBLE = 1e300
LONG_STRING_BYTES = 65536


def is_heavy(hazard: Hazard) -> bool:
    return encoded_size(hazard.value) > HEAVY_HAZARD_BYTES


def _planes(text: str) -> set[int]:
    return {0} if text.isascii() else {ord(char) >> 16 for char in set(text)}


def _collect(value, depth: int, classes: set[str]) -> int:
    """Adds the classes found in `value` to `classes`; returns the nesting depth of `value`."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        if abs(value) > SAFE_INTEGER_MAX:
            classes.add("int-beyond-2^53")
        if abs(value) >= 2**64:
            classes.add("int-beyond-2^64")
        return 0
    if isinstance(value, float):
        if value == 0 and str(value).startswith("-"):
            classes.add("negative-zero")
        elif 0 < abs(value) < SMALLEST_NORMAL_DOUBLE:
            classes.add("subnormal-float")
        elif abs(value) >= EXTREME_DOUBLE:
            classes.add("extreme-float")
        return 0
    if isinstance(value, str):
        classes.update(f"plane-{plane}" for plane in _planes(value))
        if len(value) * 4 >= LONG_STRING_BYTES and len(value.encode("utf-8", "surrogatepass")) >= LONG_STRING_BYTES:
            classes.add("long-string")
        return 0
    if isinstance(value, list):
        return 1 + max((_collect(item, depth + 1, classes) for item in value), default=0)
    if isinstance(value, dict):
        for key in value:
            if key == "":
                classes.add("empty-key")
            elif key in KEY_HAZARDS:
                classes.add("odd-key")
            classes.update(f"plane-{plane}" for plane in _planes(key))
        return 1 + max((_collect(item, depth + 1, classes) for item in value.values()), default=0)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def hazard_classes(body) -> set[str]:
    """The hazard classes a request body holds: big integers, -0.0, subnormal and extreme doubles, the Unicode
    planes of its text, empty and odd keys, deep nesting (≥ DEFAULT_MAX_NESTING), long strings (≥ 64 KiB of
    UTF-8), a large body (≥ LARGE_BODY_BYTES written with \\u escapes, its longer form)."""
    classes: set[str] = set()
    # The body's own members (args, kwargs) are not hazards; what they hold is, kwargs names included.
    if _collect([body.get("args"), body.get("kwargs")], 0, classes) >= DEFAULT_MAX_NESTING:
        classes.add("deep-nesting")
    if len(json.dumps(body)) >= LARGE_BODY_BYTES:  # the longer form: non-ASCII written as \u escapes
        classes.add("large-body")
    return classes


EXPECTED_HAZARD_CLASSES = frozenset(
    {"int-beyond-2^53", "int-beyond-2^64", "negative-zero", "subnormal-float", "extreme-float", "empty-key",
     "odd-key", "deep-nesting", "long-string", "large-body"} | {f"plane-{plane}" for plane in range(17)})
