"""The one strict JSON reader of the kit: UTF-8, RFC 8259, no NaN/Infinity, no duplicate member names, no lone
surrogates (SER-1, SER-3, SER-7). It never raises: it returns the value, or the fault and the requirement it breaks."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

_MAX_DEPTH = 200  # deeper nesting is refused as a fault instead of risking recursion limits in the kit


@dataclass(frozen=True)
class Fault:
    requirement: str
    slug: str
    reason: str
    also: tuple[str, ...] = ()  # further requirements the same fault breaks (NaN: SER-3 and SER-1)


class _Constant(ValueError):
    pass


class _Duplicate(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _Constant(name)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    names = [name for name, _ in pairs]
    if len(names) != len(set(names)):
        raise _Duplicate(sorted({n for n in names if names.count(n) > 1}))
    return dict(pairs)


def decode(body: bytes | str) -> tuple[Any, Fault | None]:
    """``(value, None)`` for strict JSON, else ``(None, fault)``; the first fault found, bytes before text."""
    if isinstance(body, (bytes, bytearray, memoryview)):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, Fault("SER-1", "not-utf8", f"invalid UTF-8 ({exc.reason} at byte {exc.start})")
    else:
        text = body
    if _too_deep(text):
        return None, Fault("SER-1", "too-deep", f"nesting deeper than {_MAX_DEPTH} levels")
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicates)
    except _Constant as exc:
        return None, Fault("SER-3", "non-standard-constant", f"the non-standard constant {exc}", ("SER-1",))
    except _Duplicate as exc:
        return None, Fault("SER-7", "duplicate-member", f"duplicate member names {exc}")
    except (ValueError, RecursionError) as exc:
        return None, Fault("SER-1", "not-json", f"not a JSON text ({str(exc)[:80]})")
    lone = next((s for s in strings(value) if has_lone_surrogate(s)), None)
    if lone is not None:
        return None, Fault("SER-7", "lone-surrogate", f"a lone surrogate escape in the string {lone[:60]!r}")
    return value, None


def _too_deep(text: str) -> bool:
    if text.count("[") + text.count("{") <= _MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > _MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False


def has_lone_surrogate(text: str) -> bool:
    # Decoded, a paired escape is one code point and an escaped backslash no escape at all, so a surrogate left in a
    # string came from a lone surrogate escape.
    return any("\ud800" <= ch <= "\udfff" for ch in text)


def strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, member names included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def tagged_object(value: Any) -> Any:
    """The first object with exactly the members __type__ and __value__ (kombu's tagged encoding, SER-8), or None."""
    if isinstance(value, dict):
        if set(value) == {"__type__", "__value__"}:
            return value
        for item in value.values():
            found = tagged_object(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = tagged_object(item)
            if found is not None:
                return found
    return None
