"""Schema validation as findings: a failure is reported under the ``x-requirement`` of the deepest annotated
subschema it breaks (so an error object without exc_path fails RPC-ERR-1, not the reply's "null or an error")."""

from __future__ import annotations

from typing import Any, Iterator

import jsonschema

from nameko_conformance.data import schema_validator


def schema_findings(schema_file: str, instance: Any, default_requirement: str,
                    message: Any = None) -> Iterator[tuple]:
    """``Check.fail`` argument tuples, one per requirement the instance breaks (at most one each)."""
    best = jsonschema.exceptions.best_match(schema_validator(schema_file).iter_errors(instance))
    if best is None:
        return
    annotated = [e for e in _error_tree(best) if isinstance(e.schema, dict) and e.schema.get("x-requirement")]
    reason = max(annotated, key=lambda e: len(e.absolute_schema_path), default=best)
    requirement = (reason.schema.get("x-requirement") if isinstance(reason.schema, dict) else None) \
        or default_requirement
    for req in ([requirement] if isinstance(requirement, str) else list(requirement)):
        yield (req, "schema", f"valid against schemas/{schema_file}", reason.message[:300], message)


def _error_tree(error):
    yield error
    for child in error.context or ():
        yield from _error_tree(child)
