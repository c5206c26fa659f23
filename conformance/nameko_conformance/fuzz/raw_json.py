"""Raw request body texts that are not what `json.dumps` writes, for invalid-input properties.

Each case names the requirements its sender breaks (`violates`) and the outcomes the spec allows a server
(`allowed_outcomes`, with the requirements that allow them). `strict_json_problems` is the matching checker for
bodies a client under test sent: it reports which of SER-1, SER-3 and SER-7 a body breaks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

SUCCESS = "success"
MALFORMED_REQUEST = "MalformedRequest"
# A server that accepts NaN or Infinity (SER-12), or a lone surrogate, and echoes it cannot write the result back
# without breaking SER-3 or SER-7, so an UnserializableValueError error reply is an honest answer too.
UNSERIALIZABLE = "UnserializableValueError"
UTF8_BOM = b"\xef\xbb\xbf"
_SURROGATES = range(0xD800, 0xE000)


@dataclass(frozen=True)
class RawJsonCase:
    id: str
    description: str
    body: bytes
    violates: tuple[str, ...]              # requirements the sender of this body breaks
    allowed_outcomes: tuple[str, ...]      # what a conforming server may answer
    outcome_requirements: tuple[str, ...]  # the requirements that fix (or leave open) the server's answer

    @property
    def must_be_rejected(self) -> bool:
        return self.allowed_outcomes == (MALFORMED_REQUEST,)

    def fixture_outcome(self) -> dict | None:
        """The fixture `outcome` object when the spec fixes a single answer, else None."""
        if self.must_be_rejected:
            return {"reply": "error", "exc_type": MALFORMED_REQUEST}
        return None


def _malformed(case_id, description, body, violates=("SER-1",), outcome_requirements=("MAL-1",)):
    return RawJsonCase(case_id, description, body, violates, (MALFORMED_REQUEST,), outcome_requirements)


def _tolerated(case_id, description, body, violates, outcome_requirements):
    unencodable_echo = "SER-12" in outcome_requirements or "surrogate" in case_id
    allowed = (SUCCESS, MALFORMED_REQUEST) + ((UNSERIALIZABLE,) if unencodable_echo else ())
    return RawJsonCase(case_id, description, body, violates, allowed, outcome_requirements)


RAW_JSON_CASES = (
    _tolerated("nan-literal", "Body carries NaN as a bare word", b'{"args": [NaN], "kwargs": {}}',
               ("SER-1", "SER-3"), ("SER-12", "MAL-1")),
    _tolerated("infinity-literal", "Body carries Infinity as a bare word", b'{"args": [Infinity], "kwargs": {}}',
               ("SER-1", "SER-3"), ("SER-12", "MAL-1")),
    _tolerated("negative-infinity-literal", "Body carries -Infinity as a bare word",
               b'{"args": [-Infinity], "kwargs": {}}', ("SER-1", "SER-3"), ("SER-12", "MAL-1")),
    # The spec fixes no answer for a lone surrogate or a duplicate key; echoing one back would itself break SER-7.
    _tolerated("lone-high-surrogate", "A string holds an escaped high surrogate with no low surrogate",
               b'{"args": ["\\ud800"], "kwargs": {}}', ("SER-7",), ("MAL-1",)),
    _tolerated("lone-low-surrogate", "A string holds an escaped low surrogate alone",
               b'{"args": ["x\\udc00y"], "kwargs": {}}', ("SER-7",), ("MAL-1",)),
    _tolerated("reversed-surrogate-pair", "A string holds a surrogate pair in the wrong order",
               b'{"args": ["\\ude00\\ud83d"], "kwargs": {}}', ("SER-7",), ("MAL-1",)),
    _tolerated("duplicate-top-level-key", "The body object names args twice",
               b'{"args": [1], "args": [2], "kwargs": {}}', ("SER-7",), ("MAL-1",)),
    _tolerated("duplicate-kwargs-key", "The kwargs object names one keyword twice",
               b'{"args": [], "kwargs": {"a": 1, "a": 2}}', ("SER-7",), ("MAL-1",)),
    _tolerated("utf8-bom-prefix", "The body starts with a UTF-8 byte order mark",
               UTF8_BOM + b'{"args": [], "kwargs": {}}', ("SER-1",), ("MAL-1",)),
    _malformed("invalid-utf8-byte", "A string holds the byte 0xFF, which UTF-8 never uses",
               b'{"args": ["\xff"], "kwargs": {}}', outcome_requirements=("MAL-4",)),
    _malformed("overlong-utf8", "A string holds an overlong two-byte encoding of a slash",
               b'{"args": ["\xc0\xaf"], "kwargs": {}}', outcome_requirements=("MAL-4",)),
    _malformed("utf8-encoded-surrogate", "A string holds a surrogate encoded as three UTF-8 bytes (CESU-8)",
               b'{"args": ["\xed\xa0\x80"], "kwargs": {}}', outcome_requirements=("MAL-4",)),
    _malformed("truncated-utf8", "The body ends in the middle of a multi-byte character",
               b'{"args": [], "kwargs": {}}\xe2\x82', outcome_requirements=("MAL-4",)),
    _malformed("utf16-body", "The body is JSON encoded as UTF-16LE", '{"args": [], "kwargs": {}}'.encode("utf-16-le")),
    _malformed("trailing-garbage", "A valid object is followed by a bare word", b'{"args": [], "kwargs": {}} x'),
    _malformed("two-documents", "Two JSON objects follow each other",
               b'{"args": [], "kwargs": {}}{"args": [], "kwargs": {}}'),
    _malformed("truncated-document", "The body stops inside the args array", b'{"args": [1, '),
    _malformed("empty-body", "The body is empty", b""),
    _malformed("whitespace-body", "The body is only whitespace", b" \n\t "),
    _malformed("single-quotes", "Member names use single quotes", b"{'args': [], 'kwargs': {}}"),
    _malformed("trailing-comma", "The args array ends with a comma", b'{"args": [1,], "kwargs": {}}'),
    _malformed("comment", "A comment follows the args member", b'{"args": [] /* c */, "kwargs": {}}'),
    _malformed("raw-control-character", "A string holds a raw tab character",
               b'{"args": ["a\tb"], "kwargs": {}}'),
    _malformed("leading-zero", "A number has a leading zero", b'{"args": [01], "kwargs": {}}'),
    _malformed("hex-number", "A number is written in hexadecimal", b'{"args": [0x10], "kwargs": {}}'),
    _malformed("unquoted-key", "A member name has no quotes", b'{args: [], "kwargs": {}}'),
)


def case_by_id(case_id: str) -> RawJsonCase:
    for case in RAW_JSON_CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)


class _DuplicateKey(ValueError):
    pass


def _reject_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _reject_constant(name):
    raise ValueError(f"non-finite number {name}")


def _lone_surrogate_paths(value, path=""):
    if isinstance(value, str):
        if any(ord(char) in _SURROGATES for char in value):
            yield path or "/"
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _lone_surrogate_paths(item, f"{path}/{index}")
    elif isinstance(value, dict):
        for key, item in value.items():
            escaped = key.replace("~", "~0").replace("/", "~1")
            if any(ord(char) in _SURROGATES for char in key):
                yield f"{path}/{escaped} (key)"
            yield from _lone_surrogate_paths(item, f"{path}/{escaped}")


def strict_json_problems(body: bytes) -> list[tuple[str, str]]:
    """The (requirement ID, explanation) pairs a JSON body breaks; empty for a strict RFC 8259 UTF-8 text."""
    if body.startswith(UTF8_BOM):
        return [("SER-1", "the body starts with a byte order mark")]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [("SER-1", f"the body is not valid UTF-8 ({exc.reason} at byte {exc.start})")]
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except _DuplicateKey as exc:
        return [("SER-7", f"an object names the member {exc.args[0]!r} twice")]
    except ValueError as exc:
        if str(exc).startswith("non-finite number"):
            return [("SER-3", f"the body holds a {exc}"), ("SER-1", "NaN and Infinity are not JSON")]
        return [("SER-1", f"the body is not a JSON text ({exc})")]
    return [("SER-7", f"a lone surrogate at {path}") for path in _lone_surrogate_paths(value)]


# -- generated invalid texts: a valid body with one fault written into its text ---------------------------------

_BODY_HEAD = '{"args": ['


def _body_text(args: list, kwargs: dict, ensure_ascii: bool) -> str:
    return json.dumps({"args": args, "kwargs": kwargs}, ensure_ascii=ensure_ascii, allow_nan=False)


def lone_surrogate_case(args: list, kwargs: dict, code_unit: int, ensure_ascii: bool = True) -> RawJsonCase:
    """The body with a string holding `code_unit` (a surrogate) as a lone \\u escape put first in args."""
    if code_unit not in _SURROGATES:
        raise ValueError(f"{code_unit:#x} is not a surrogate code unit")
    rest = _body_text(args, kwargs, ensure_ascii)[len(_BODY_HEAD):]
    text = f'{_BODY_HEAD}"x\\u{code_unit:04x}y"{"" if rest.startswith("]") else ", "}{rest}'
    return _tolerated("generated-lone-surrogate", "A generated body holds an escaped lone surrogate",
                      text.encode("utf-8"), ("SER-7",), ("MAL-1",))


def duplicate_key_case(args: list, kwargs: dict, key: str, first, second, ensure_ascii: bool = True) -> RawJsonCase:
    """The body with kwargs naming `key` twice, first with `first`, then with `second`, before the other members."""
    def dumps(value):
        return json.dumps(value, ensure_ascii=ensure_ascii, allow_nan=False)

    others = {name: value for name, value in kwargs.items() if name != key}
    members = [f"{dumps(key)}: {dumps(first)}", f"{dumps(key)}: {dumps(second)}"]
    members += [f"{dumps(name)}: {dumps(value)}" for name, value in others.items()]
    text = f'{{"args": {dumps(args)}, "kwargs": {{{", ".join(members)}}}}}'
    return _tolerated("generated-duplicate-key", "A generated body names one keyword twice",
                      text.encode("utf-8"), ("SER-7",), ("MAL-1",))
