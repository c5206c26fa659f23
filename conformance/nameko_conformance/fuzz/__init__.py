"""Building blocks of property-based fuzzing: hazardous values, raw JSON texts, a typed canonical comparison.

`hazards`, `raw_json` and `canonical` need only the standard library. `strategies` needs the optional extra
`fuzz` (hypothesis, hypothesis-jsonschema); it is imported lazily so that the rest of the kit works without it.
"""

from __future__ import annotations

FUZZ_EXTRA_HINT = "pip install 'nameko-wire-kit[fuzz]'"


class FuzzExtraMissing(ImportError):
    """The optional `fuzz` extra (hypothesis, hypothesis-jsonschema) is not installed."""


def require_fuzz_extra():
    """Import and return (hypothesis.strategies, hypothesis_jsonschema), or raise FuzzExtraMissing."""
    try:
        import hypothesis.strategies as strategies
        import hypothesis_jsonschema
    except ImportError as exc:
        raise FuzzExtraMissing(
            f"property-based fuzzing needs hypothesis and hypothesis-jsonschema ({exc.name} is missing); "
            f"install them with: {FUZZ_EXTRA_HINT}"
        ) from exc
    return strategies, hypothesis_jsonschema
