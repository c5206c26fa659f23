"""Schema validation as findings: a failure is reported under the ``x-requirement`` of the deepest annotated
subschema it breaks (so an error object without exc_path fails RPC-ERR-1, not the reply's "null or an error")."""

from __future__ import annotations

from typing import Any, Iterator

import jsonschema

from nameko_conformance.data import schema_registry, schema_validator


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


def all_schema_findings(schema_file: str, instance: Any, message: Any = None) -> Iterator[tuple]:
    """``Check.fail`` tuples for every requirement the instance breaks anywhere in the schema: each error (and
    sub-error) is charged to the ``x-requirement`` nearest to its failing keyword along the schema path."""
    validator = schema_validator(schema_file)
    seen: set[str] = set()
    for error in _flatten(validator.iter_errors(instance)):
        for requirement in _nearest_requirements(validator, error.absolute_schema_path):
            if requirement not in seen:
                seen.add(requirement)
                yield (requirement, "schema", f"valid against schemas/{schema_file}", error.message[:300], message)


def _flatten(errors):
    for error in errors:
        if error.context:
            yield from _flatten(error.context)
        else:
            yield error


def _requirements_of(node: Any) -> tuple[str, ...]:
    if not isinstance(node, dict) or "x-requirement" not in node:
        return ()
    annotation = node["x-requirement"]
    return (annotation,) if isinstance(annotation, str) else tuple(annotation)


def _nearest_requirements(validator: Any, schema_path: Any) -> tuple[str, ...]:
    # jsonschema leaves $ref out of absolute_schema_path; in draft-07 a schema holding $ref is that reference and
    # nothing else, so the walk follows each reference before taking the next step.
    node = validator.schema
    resolver = schema_registry().resolver(base_uri=node.get("$id", ""))
    nearest = _requirements_of(node)
    for step in schema_path:
        while isinstance(node, dict) and "$ref" in node:
            resolved = resolver.lookup(node["$ref"])
            node, resolver = resolved.contents, resolved.resolver
            nearest = _requirements_of(node) or nearest
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            break
        nearest = _requirements_of(node) or nearest
    return nearest
