"""A typed canonical form of JSON values, and the comparison behind "a valid request round-trips through echo".

Member order carries no meaning (SER-6). Every other change is a difference tagged with the requirement it
breaks: an integer within ±(2^53−1) that changed breaks SER-4 (MUST), a larger one SER-13 (SHOULD); an integer
echoed as a number with a fraction, or the reverse, breaks SER-5 (SHOULD); a changed non-ASCII string breaks SER-2;
anything else that changed breaks the echo contract itself, TESTEE-2. Values are Python's JSON model: `json.loads`
gives `int` for numbers without fraction or exponent and `float` for the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from nameko_conformance.fuzz.hazards import SAFE_INTEGER_MAX

REQUIREMENT_LEVELS = {"SER-2": "MUST", "SER-4": "MUST", "SER-5": "SHOULD", "SER-13": "SHOULD", "TESTEE-2": "MUST"}


class _Missing:
    def __repr__(self):
        return "<missing>"


MISSING = _Missing()


@dataclass(frozen=True)
class Difference:
    path: str           # JSON pointer (RFC 6901) into the compared values; "" is the whole value
    expected: object
    actual: object
    requirement: str
    reason: str

    @property
    def level(self) -> str:
        return REQUIREMENT_LEVELS[self.requirement]

    def describe(self) -> str:
        where = self.path or "(the whole value)"
        return (f"{self.requirement} ({self.level}) at {where}: {self.reason}; "
                f"sent {_short(self.expected)}, received {_short(self.actual)}")


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def json_kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "fraction"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def canonical(value):
    """A hashable form that is equal for two values exactly when `compare` finds no difference."""
    kind = json_kind(value)
    if kind == "fraction":
        return kind, value.hex()          # hex keeps -0.0 apart from 0.0
    if kind == "array":
        return kind, tuple(canonical(item) for item in value)
    if kind == "object":
        return kind, tuple(sorted((key, canonical(item)) for key, item in value.items()))
    return kind, value


def pointer_token(key) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def compare(sent, received, path: str = "") -> list[Difference]:
    """Every difference between what was sent and what came back, depth first, members in sent order."""
    differences: list[Difference] = []
    _compare(sent, received, path, differences)
    return differences


def _integer_requirement(value: int) -> str:
    return "SER-4" if abs(value) <= SAFE_INTEGER_MAX else "SER-13"


def _compare(sent, received, path, out):
    sent_kind, received_kind = json_kind(sent), json_kind(received)
    if sent_kind != received_kind:
        out.append(_kind_change(sent, received, sent_kind, received_kind, path))
        return
    if sent_kind == "array":
        for index, (left, right) in enumerate(zip(sent, received)):
            _compare(left, right, f"{path}/{index}", out)
        for index in range(len(received), len(sent)):
            out.append(Difference(f"{path}/{index}", sent[index], MISSING, "TESTEE-2", "an element is missing"))
        for index in range(len(sent), len(received)):
            out.append(Difference(f"{path}/{index}", MISSING, received[index], "TESTEE-2", "an element was added"))
    elif sent_kind == "object":
        for key, value in sent.items():
            member = f"{path}/{pointer_token(key)}"
            if key in received:
                _compare(value, received[key], member, out)
            else:
                out.append(Difference(member, value, MISSING, "TESTEE-2", "a member is missing"))
        for key in received.keys() - sent.keys():
            out.append(Difference(f"{path}/{pointer_token(key)}", MISSING, received[key], "TESTEE-2",
                                  "a member was added"))
    elif canonical(sent) != canonical(received):
        out.append(_value_change(sent, received, sent_kind, path))


def _value_change(sent, received, kind, path):
    if kind == "integer":
        return Difference(path, sent, received, _integer_requirement(sent), "the integer changed")
    if kind == "string" and not (sent.isascii() and received.isascii()):
        return Difference(path, sent, received, "SER-2", "the non-ASCII string changed")
    return Difference(path, sent, received, "TESTEE-2", f"{_KIND_NAMES[kind]} changed")


def _kind_change(sent, received, sent_kind, received_kind, path):
    numbers = {"integer", "fraction"}
    if {sent_kind, received_kind} == numbers:
        if sent_kind == "integer" and not received == sent:
            return Difference(path, sent, received, _integer_requirement(sent),
                              "the integer changed and came back with a fraction")
        if received == sent:
            return Difference(path, sent, received, "SER-5",
                              f"{_KIND_NAMES[sent_kind]} came back as {_KIND_NAMES[received_kind]}")
    return Difference(path, sent, received, "TESTEE-2",
                      f"{_KIND_NAMES[sent_kind]} came back as {_KIND_NAMES[received_kind]}")


_KIND_NAMES = {"null": "null", "boolean": "a boolean", "integer": "an integer", "fraction": "a number with a fraction",
               "string": "a string", "array": "an array", "object": "an object"}
