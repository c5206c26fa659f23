"""Named checks on what the target sent. Each raises ``ConformanceFailure`` saying what was expected and seen."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Iterable

import jsonschema

from nameko_conformance.data import schema_validator
from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.outcomes import ConformanceFailure, Inconclusive
from nameko_conformance.trace import Seen, broker_line

BUILTIN_PATHS = {
    "MethodNotFound": "nameko.exceptions.MethodNotFound",
    "IncorrectSignature": "nameko.exceptions.IncorrectSignature",
    "MalformedRequest": "nameko.exceptions.MalformedRequest",
    "UnserializableValueError": "nameko.exceptions.UnserializableValueError",
}
_INTERNALS = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\.py\b|/site-packages/")
_CREDENTIAL_URI = re.compile(rb"amqps?://[^:/@\s\"]+:[^@\s\"]+@")


def fail(message: str, requirements: Iterable[str] | str | None = None) -> None:
    raise ConformanceFailure(message, tuple([requirements] if isinstance(requirements, str) else requirements or ()))


def decode_json_body(message: Seen, requirement: str | tuple[str, ...] = ("SER-1",)) -> Any:
    try:
        return json.loads(message.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        fail(f"expected a UTF-8 JSON body, saw {message.body[:80]!r} ({exc})", requirement)


def _strict_pairs(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise ValueError(f"duplicate member names {sorted(duplicates)}")
    return dict(pairs)


def verify_json_text(message: Seen) -> Any:
    """Body is an RFC 8259 JSON text in UTF-8: no NaN/Infinity, no duplicate names, no lone surrogates."""
    try:
        text = message.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"expected a UTF-8 body, saw invalid UTF-8 ({exc})", "SER-1")

    def reject_constant(name: str) -> Any:
        fail(f"expected RFC 8259 JSON, saw the non-standard constant {name}", "SER-3")

    try:
        value = json.loads(text, object_pairs_hook=_strict_pairs, parse_constant=reject_constant)
    except ConformanceFailure:
        raise
    except ValueError as exc:
        requirement = "SER-7" if "duplicate" in str(exc) else "SER-1"
        fail(f"expected a JSON text, saw {text[:120]!r} ({exc})", requirement)
    # Decoded, a paired escape is one code point and an escaped backslash is no escape at all, so whatever
    # surrogate is left in a string came from a lone surrogate escape.
    lone = next((s for s in _strings(value) if any("\ud800" <= ch <= "\udfff" for ch in s)), None)
    if lone is not None:
        fail(f"expected no lone surrogate escapes, saw the string {lone!r} in {text[:120]!r}", "SER-7")
    _verify_no_tagged_objects(value)
    return value


def _strings(value: Any):
    """Every string in a decoded JSON value, member names included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield name
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _verify_no_tagged_objects(value: Any) -> None:
    if isinstance(value, dict):
        if set(value) == {"__type__", "__value__"}:
            fail(f"expected no object with only __type__ and __value__, saw {value!r}", "SER-8")
        for item in value.values():
            _verify_no_tagged_objects(item)
    elif isinstance(value, list):
        for item in value:
            _verify_no_tagged_objects(item)


def verify_routed_to_reply_key(reply: Seen, reply_key: str, rpc_exchange: str) -> None:
    if reply.via == "default-exchange catcher" or reply.exchange != rpc_exchange:
        fail(
            f"expected reply published to exchange {rpc_exchange!r} with key {reply_key!r}, saw exchange "
            f"{reply.exchange or '(default)'!r} key {reply.routing_key!r}",
            "RPC-REPLY-1",
        )
    if reply.routing_key != reply_key:
        fail(f"expected reply routed with key {reply_key!r}, saw {reply.routing_key!r}", "RPC-REPLY-1")


def verify_correlation(reply: Seen, request_correlation_id: str | None) -> None:
    seen = reply.properties.get("correlation_id")
    if request_correlation_id is None and seen is not None:
        fail(f"expected a reply without correlation_id (the request had none), saw {seen!r}", ("RPC-REPLY-2", "MAL-8"))
    if request_correlation_id is not None and seen != request_correlation_id:
        fail(f"expected reply correlation_id {request_correlation_id!r}, saw {seen!r}", "RPC-REPLY-2")


def verify_reply_properties(reply: Seen, request_content_type: str = "application/json") -> None:
    content_type = reply.properties.get("content_type")
    if content_type != request_content_type:
        fail(f"expected reply content_type {request_content_type!r}, saw {content_type!r}", "RPC-REPLY-6")


def verify_reply_encoding_and_persistence(reply: Seen) -> None:
    encoding, mode = reply.properties.get("content_encoding"), reply.properties.get("delivery_mode")
    if encoding != "utf-8" or mode != 2:
        fail(f"expected reply content_encoding 'utf-8' and delivery_mode 2, saw {encoding!r} and {mode!r}",
             "RPC-REPLY-7")


def verify_against_schema(schema_file: str, instance: Any, what: str, default_requirement: str) -> None:
    """Fails with the requirement that the violated subschema names in its `x-requirement` annotation."""
    best = jsonschema.exceptions.best_match(schema_validator(schema_file).iter_errors(instance))
    if best is None:
        return
    # The deepest annotated error is the most precise reason: for a reply whose error object lacks exc_path,
    # that is RPC-ERR-1 inside the error schema, not the reply schema's "one of null or an error object".
    annotated = [e for e in _error_tree(best) if isinstance(e.schema, dict) and e.schema.get("x-requirement")]
    reason = max(annotated, key=lambda e: len(e.absolute_schema_path), default=best)
    requirement = (reason.schema.get("x-requirement") if isinstance(reason.schema, dict) else None) \
        or default_requirement
    fail(f"expected {what} valid against schemas/{schema_file}, saw: {reason.message}",
         tuple(requirement) if isinstance(requirement, list) else requirement)


def _error_tree(error):
    yield error
    for child in error.context or ():
        yield from _error_tree(child)


def verify_reply_envelope(reply: Seen) -> dict:
    body = verify_json_text(reply)
    if not isinstance(body, dict) or set(body) != {"result", "error"}:
        shown = sorted(body) if isinstance(body, dict) else type(body).__name__
        fail(f"expected a reply object with exactly the members result and error, saw {shown}", "RPC-REPLY-3")
    verify_against_schema("rpc-reply-body.schema.json", body, "a reply", "RPC-REPLY-3")
    return body


def verify_success(reply: Seen, expected_result: Any = ..., ) -> Any:
    body = verify_reply_envelope(reply)
    if body["error"] is not None:
        fail(f"expected a success reply (error null), saw error {body['error']!r}", "RPC-REPLY-4")
    if expected_result is not ... and body["result"] != expected_result:
        fail(f"expected result {expected_result!r}, saw {body['result']!r}", "RPC-REPLY-4")
    return body["result"]


def verify_error_object(error: Any) -> dict:
    if not isinstance(error, dict):
        fail(f"expected an error object, saw {error!r}", "RPC-REPLY-5")
    missing = {"exc_type", "exc_path", "exc_args", "value"} - set(error)
    if missing:
        fail(f"expected error members exc_type, exc_path, exc_args, value; missing {sorted(missing)} in {error!r}",
             "RPC-ERR-1")
    exc_type, exc_path = error["exc_type"], error["exc_path"]
    if not isinstance(exc_type, str) or not exc_type or "." in exc_type:
        fail(f"expected exc_type a non-empty name without module prefix, saw {exc_type!r}", "RPC-ERR-2")
    if not isinstance(exc_path, str) or exc_path.split(".")[-1] != exc_type:
        fail(f"expected exc_path a dotted string ending in {exc_type!r}, saw {exc_path!r}", "RPC-ERR-3")
    if not isinstance(error["exc_args"], list) or not isinstance(error["value"], str):
        fail(f"expected exc_args an array and value a string, saw {error['exc_args']!r} and {error['value']!r}",
             "RPC-ERR-4")
    verify_against_schema("error.schema.json", error, "an error object", "RPC-ERR-1")
    return error


def verify_error_reply(reply: Seen, exc_type: str | None = None, requirement: str | tuple = ()) -> dict:
    """Failure reply (result null, a well-formed error), optionally of the given type (its exc_path for built-ins)."""
    body = verify_reply_envelope(reply)
    if body["error"] is None:
        fail(f"expected an error reply{f' {exc_type}' if exc_type else ''}, saw result {body['result']!r}",
             requirement or "RPC-REPLY-5")
    if body["result"] is not None:
        fail(f"expected result null on an error reply, saw {body['result']!r}", "RPC-REPLY-5")
    error = verify_error_object(body["error"])
    if exc_type is not None:
        expected_path = BUILTIN_PATHS.get(exc_type)
        if error["exc_type"] != exc_type or (expected_path and error["exc_path"] != expected_path):
            fail(f"expected error {exc_type} ({expected_path or 'any path'}), saw {error['exc_type']} "
                 f"({error['exc_path']})", requirement)
    return error


def verify_error_args_are_strings(error: dict) -> None:
    if not all(isinstance(a, str) for a in error["exc_args"]):
        fail(f"expected string elements in exc_args, saw {error['exc_args']!r}", "RPC-ERR-5")


def verify_no_internals(error: dict) -> None:
    text = json.dumps(error)
    found = _INTERNALS.search(text)
    if found:
        fail(f"expected no stack traces or file paths in the error object, saw {found.group(0)!r} in {text[:200]}",
             "RPC-ERR-13")


def verify_no_credentials(messages: Iterable[Seen], password: str | None) -> None:
    for message in messages:
        if message.direction == "sent":
            continue
        blob = message.body + json.dumps(message.headers or {}, default=str).encode()
        if _CREDENTIAL_URI.search(blob) or (password and len(password) >= 6 and password.encode() in blob):
            fail(f"expected no credentials in messages, saw one in {message.summary()[:200]}", "SEC-1")


def verify_no_context_headers(reply: Seen) -> None:
    leaked = sorted(k for k in (reply.headers or {}) if k.startswith("nameko."))
    if leaked:
        fail(f"expected no context headers on the reply, saw {leaked}", "RPC-REPLY-13")


def verify_call_id_stack(stack: Any, requirement: str | tuple = "CTX-2") -> list[str]:
    if not isinstance(stack, list) or not all(isinstance(entry, str) for entry in stack):
        fail(f"expected nameko.call_id_stack as an array of strings, saw {stack!r} ({type(stack).__name__})",
             requirement)
    return stack


def is_uuid4(text: Any) -> bool:
    try:
        parsed = uuid.UUID(str(text))
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == text


# -- broker-side evidence (the firehose: every publish with the queues the broker routed it to) -------------------

def _at_broker(publish: WireMessage) -> str:
    return f"the broker saw: {broker_line(publish)}"


def is_reply_publish(publish: WireMessage, correlation_id: str | None, request_routing_key: str) -> bool:
    """A publish carrying the request's correlation id that is not the request itself (its key differs)."""
    return publish.properties.get("correlation_id") == correlation_id and publish.routing_key != request_routing_key


def verify_reply_publish(publish: WireMessage, rpc_exchange: str, reply_key: str) -> None:
    """RPC-REPLY-1 at the broker: the reply was published to the RPC exchange keyed by the request's reply_to."""
    if publish.exchange != rpc_exchange or publish.routing_key != reply_key:
        fail(f"expected the reply published to exchange {rpc_exchange!r} with key {reply_key!r}; "
             f"{_at_broker(publish)}", "RPC-REPLY-1")


def verify_unroutable_reply_publish(publish: WireMessage | None, unbound_key: str) -> None:
    """The reply to a request whose reply_to is bound nowhere is still published once, and reaches no queue."""
    if publish is None:
        fail(f"expected a reply published with key {unbound_key!r} (to a reply_to bound nowhere); the broker saw "
             f"no such publish", "RPC-REPLY-9")
    if publish.routed_queues:
        raise Inconclusive(f"the reply to {unbound_key!r} was routable after all ({_at_broker(publish)}); the "
                           f"unroutable case was not exercised", "RPC-REPLY-8")


def verify_unroutable_request(publish: WireMessage) -> None:
    """The premise of RPC-CALL-1: the broker routed the target client's request to no queue."""
    if publish.routed_queues:
        raise Inconclusive(f"a queue takes requests for the unknown service ({_at_broker(publish)}); the "
                           f"unroutable case was not exercised", "RPC-CALL-1")


def reply_queue_of(publish: WireMessage, reply_to: str) -> str:
    """RPC-CORR-1 at the broker: the reply to the target's client, keyed by its reply_to on the RPC exchange, reached
    a queue (the client's reply queue); returns that queue's name."""
    routed = list(publish.routed_queues or ())
    if publish.routing_key != reply_to or not routed:
        fail(f"expected a queue bound to the RPC exchange with key {reply_to!r} (the client's reply_to) to take the "
             f"reply; {_at_broker(publish)}", "RPC-CORR-1")
    if len(routed) > 1:
        raise Inconclusive(f"the reply reached several queues {routed}; which one is the client's is unknown",
                           "RPC-CORR-4")
    return routed[0]


def verify_reply_queue_name(queue: str, client: str, reply_to: str) -> None:
    expected = f"rpc.reply-{client}-{reply_to}"
    if queue != expected:
        fail(f"expected the client's reply queue named {expected!r}; the broker routed its replies to {queue!r}",
             "RPC-CORR-4")


def handler_queue_names(source: str, event_type: str, service: str) -> dict[str, str]:
    """The names the testee contract's ping handlers consume from; the broadcast one is a prefix (EVT-5/6/7)."""
    return {"service_pool": f"evt-{source}-{event_type}--{service}.on_ping_pool",
            "singleton": f"evt-{source}-{event_type}",
            "broadcast": f"evt-{source}-{event_type}--{service}.on_ping_broadcast-"}


def verify_event_routing(publish: WireMessage, source: str, event_type: str, service: str) -> None:
    """An event from ``source`` reaches the three handler queues of ``service``, each named as its type requires."""
    routed = list(publish.routed_queues or ())
    names = handler_queue_names(source, event_type, service)
    if names["service_pool"] not in routed:
        fail(f"expected the event routed to the service_pool handler's queue {names['service_pool']!r}; "
             f"{_at_broker(publish)}", ("EVT-5", "EVT-11"))
    if names["singleton"] not in routed:
        fail(f"expected the event routed to the singleton handler's queue {names['singleton']!r}; "
             f"{_at_broker(publish)}", ("EVT-6", "EVT-11"))
    broadcast = [q for q in routed if q.startswith(names["broadcast"]) and len(q) > len(names["broadcast"])]
    if len(broadcast) != 1:
        fail(f"expected the event routed to one broadcast handler queue {names['broadcast']}<id> (one instance); "
             f"{_at_broker(publish)}", ("EVT-7", "EVT-11"))


def verify_dispatch_publish(publish: WireMessage | None, service: str, event_type: str) -> None:
    """EVT-1 at the broker: dispatch(T, …) from S was published to S.events keyed T."""
    exchange = f"{service}.events"
    if publish is None:
        fail(f"expected an event published to {exchange!r} keyed {event_type!r}; the broker saw no publish of it",
             "EVT-1")
    if publish.exchange != exchange or publish.routing_key != event_type:
        fail(f"expected the event published to {exchange!r} keyed {event_type!r}; {_at_broker(publish)}", "EVT-1")
