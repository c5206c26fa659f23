"""Checks on one RPC reply as the kit received it (chapters 03, 04, 09): routing, correlation, properties,
envelope, result and error object."""

from __future__ import annotations

import json
import re
from typing import Any

from nameko_conformance.oracle import names, strict_json
from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.oracle.schemas import schema_findings

DEFAULT_CATCHER = "default-exchange catcher"  # the kit queue named like reply_to, bound to the default exchange
_INTERNALS = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\.py\b|/site-packages/")
_CREDENTIAL_URI = re.compile(rb"amqps?://[^:/@\s\"]+:[^@\s\"]+@")


def routing(reply: Any, reply_key: str, rpc_exchange: str) -> Judgement:
    """RPC-REPLY-1: published to the RPC exchange with the request's reply_to as routing key."""
    check = Check("RPC-REPLY-1")
    if getattr(reply, "via", "") == DEFAULT_CATCHER or reply.exchange != rpc_exchange:
        check.fail("RPC-REPLY-1", "wrong-exchange", f"the reply on exchange {rpc_exchange!r}",
                   f"exchange {reply.exchange or '(default)'!r} key {reply.routing_key!r}", reply)
    elif reply.routing_key != reply_key:
        check.fail("RPC-REPLY-1", "wrong-routing-key", f"the reply routed with key {reply_key!r}",
                   f"key {reply.routing_key!r}", reply)
    return check.done()


def correlation(reply: Any, request_correlation_id: str | None) -> Judgement:
    """RPC-REPLY-2 (and MAL-8 for a request without one): the reply carries the request's correlation_id."""
    seen = reply.properties.get("correlation_id")
    if request_correlation_id is None:
        check = Check("RPC-REPLY-2", "MAL-8")
        if seen is not None:
            check.fail("MAL-8", "correlation-id-invented", "a reply without correlation_id (the request had none)",
                       short(seen), reply)
        return check.done()
    check = Check("RPC-REPLY-2")
    if seen != request_correlation_id:
        check.fail("RPC-REPLY-2", "wrong-correlation-id", f"correlation_id {request_correlation_id!r}",
                   short(seen), reply)
    return check.done()


def content_type(reply: Any, request_content_type: str = names.JSON_CONTENT_TYPE) -> Judgement:
    """RPC-REPLY-6: the reply's content_type is the request's."""
    check = Check("RPC-REPLY-6")
    seen = reply.properties.get("content_type")
    if seen != request_content_type:
        check.fail("RPC-REPLY-6", "content-type", f"content_type {request_content_type!r}", short(seen), reply)
    return check.done()


def encoding_and_persistence(reply: Any) -> Judgement:
    """RPC-REPLY-7: content_encoding utf-8, delivery_mode 2."""
    check = Check("RPC-REPLY-7")
    encoding, mode = reply.properties.get("content_encoding"), reply.properties.get("delivery_mode")
    if encoding != names.UTF8:
        check.fail("RPC-REPLY-7", "content-encoding", "content_encoding 'utf-8'", short(encoding), reply)
    if mode != names.PERSISTENT:
        check.fail("RPC-REPLY-7", "delivery-mode", "delivery_mode 2", short(mode), reply)
    return check.done()


def json_text(message: Any) -> Judgement:
    """SER-1/3/7/8 on a body: strict JSON and no tagged objects; the decoded value, or None."""
    check = Check("SER-1", "SER-3", "SER-7", "SER-8")
    value, fault = strict_json.decode(message.body)
    if fault is not None:
        for requirement in (fault.requirement, *fault.also):
            check.fail(requirement, fault.slug, "an RFC 8259 JSON text in UTF-8", fault.reason, message)
        return check.done(None)
    tagged = strict_json.tagged_object(value)
    if tagged is not None:
        check.fail("SER-8", "tagged-object", "no object with only __type__ and __value__", short(tagged), message)
    return check.done(value)


def envelope(reply: Any) -> Judgement:
    """RPC-REPLY-3: a strict JSON object with exactly result and error, valid against the reply schema; the body."""
    check = Check("RPC-REPLY-3")
    body = check.merge(json_text(reply))
    if body is None:
        return check.done(None)
    if not isinstance(body, dict) or set(body) != {"result", "error"}:
        shown = sorted(body) if isinstance(body, dict) else type(body).__name__
        check.fail("RPC-REPLY-3", "envelope-members", "a reply object with exactly the members result and error",
                   short(shown), reply)
        return check.done(None)
    # The error object is judged by error_object (in plain words, then its schema); here only the envelope.
    outer = dict(body, error=None) if isinstance(body["error"], dict) else body
    for finding in schema_findings("rpc-reply-body.schema.json", outer, "RPC-REPLY-3", reply):
        check.fail(*finding)
    return check.done(body)


def success(reply: Any, expected_result: Any = ..., refused: str | None = None) -> Judgement:
    """RPC-REPLY-4: a success reply (error null) with the expected result; the reply body (None when the reply is
    no envelope or an error reply). ``refused``: the requirement that says the server must serve this request; an
    error reply then breaks that one (the server refused what it must accept), not the reply's shape."""
    check = Check("RPC-REPLY-4")
    body = check.merge(envelope(reply))
    if body is None:
        check.undecided("RPC-REPLY-4", "the reply is not a reply envelope")
        return check.done(None)
    if body["error"] is not None:
        if refused:
            check.undecided("RPC-REPLY-4", "the request was answered with an error")
        check.fail(refused or "RPC-REPLY-4", "error-instead-of-result", "a success reply (error null)",
                   f"error {short(body['error'])}", reply)
        return check.done(None)
    if expected_result is not ... and body["result"] != expected_result:
        check.fail("RPC-REPLY-4", "wrong-result", f"result {short(expected_result)}", short(body["result"]), reply)
    return check.done(body)


def error_object(error: Any, message: Any = None) -> Judgement:
    """RPC-ERR-1…4: the error object's members and their types; the error, or None when unusable."""
    check = Check("RPC-ERR-1", "RPC-ERR-2", "RPC-ERR-3", "RPC-ERR-4")
    if not isinstance(error, dict):
        check.fail("RPC-ERR-1", "not-an-object", "an error object", short(error), message)
        return check.done(None)
    missing = {"exc_type", "exc_path", "exc_args", "value"} - set(error)
    if missing:
        check.fail("RPC-ERR-1", "missing-members", "error members exc_type, exc_path, exc_args and value",
                   f"{sorted(missing)} missing in {short(error)}", message)
    # The members that are there are still judged: one missing member masks nothing else.
    exc_type, exc_path = error.get("exc_type"), error.get("exc_path")
    if not isinstance(exc_type, str) or not exc_type or "." in exc_type:
        check.fail("RPC-ERR-2", "exc-type", "exc_type a non-empty name without a module prefix", short(exc_type),
                   message)
    if "exc_path" in error and (not isinstance(exc_path, str) or not isinstance(exc_type, str)
                                or exc_path.split(".")[-1] != exc_type):
        check.fail("RPC-ERR-3", "exc-path", f"exc_path a dotted string ending in {short(exc_type)}",
                   short(exc_path), message)
    if "exc_args" in error and not isinstance(error["exc_args"], list):
        check.fail("RPC-ERR-4", "exc-args-type", "exc_args an array", short(error["exc_args"]), message)
    if "value" in error and not isinstance(error["value"], str):
        check.fail("RPC-ERR-4", "value-type", "value a string", short(error["value"]), message)
    if check.ok:  # the schema adds what the plain checks above do not cover
        for finding in schema_findings("error.schema.json", error, "RPC-ERR-1", message):
            check.fail(*finding)
    return check.done(error)


def error_reply(reply: Any, exc_type: str | None = None, requirement: str | None = None) -> Judgement:
    """A failure reply: result null and a well-formed error; of ``exc_type`` when given (its nameko exc_path for a
    built-in), judged under ``requirement`` (the rule that demands that error). Returns the error object."""
    check = Check("RPC-REPLY-5")
    if requirement:
        check.examine(requirement)
    body = check.merge(envelope(reply))
    if body is None:
        check.undecided("RPC-REPLY-5", "the reply is not a reply envelope")
        if requirement:
            check.undecided(requirement, "the reply is not a reply envelope")
        return check.done(None)
    if body["error"] is None:
        check.fail(requirement or "RPC-REPLY-5", "result-instead-of-error",
                   f"an error reply{' ' + exc_type if exc_type else ''}", f"result {short(body['result'])}", reply)
        return check.done(None)
    if body["result"] is not None:
        check.fail("RPC-REPLY-5", "result-not-null", "result null on an error reply", short(body["result"]), reply)
    error = check.merge(error_object(body["error"], reply))
    if error is None:
        if requirement:
            check.undecided(requirement, "the error is not an object")
        return check.done(None)
    if exc_type is not None:
        expected_path = names.BUILTIN_ERROR_PATHS.get(exc_type)
        if expected_path and "exc_path" not in error and error.get("exc_type") == exc_type:
            # The type is right; whether the path is cannot be told, and its absence is RPC-ERR-1's finding.
            check.masked(requirement or "RPC-REPLY-5", "RPC-ERR-1/missing-members")
        elif error.get("exc_type") != exc_type or (expected_path and error.get("exc_path") != expected_path):
            check.fail(requirement or "RPC-REPLY-5", f"not-{exc_type}",
                       f"error {exc_type} ({expected_path or 'any path'})",
                       f"{short(error.get('exc_type'))} ({short(error.get('exc_path'))})", reply)
    return check.done(error)


def error_args_are_strings(error: dict, message: Any = None) -> Judgement:
    check = Check("RPC-ERR-5")
    if not all(isinstance(a, str) for a in error.get("exc_args") or ()):
        check.fail("RPC-ERR-5", "non-string-exc-args", "string elements in exc_args", short(error.get("exc_args")),
                   message)
    return check.done()


def no_internals(error: dict, message: Any = None) -> Judgement:
    check = Check("RPC-ERR-13")
    # Searched in the decoded strings: in the JSON text the quotes of 'File "x", line 1' would be escaped.
    for text in _texts(error):
        found = _INTERNALS.search(text)
        if found:
            check.fail("RPC-ERR-13", "internals-leaked", "no stack traces or file paths in the error object",
                       f"{found.group(0)!r} in {short(text, 200)}", message)
            break
    return check.done()


def _texts(value: Any):
    """Every piece of text in a decoded value, names included; bytes decoded leniently, other scalars as written."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield str(name)
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, (bytes, bytearray)):
        yield bytes(value).decode("utf-8", "backslashreplace")
    elif value is not None:
        yield str(value)


def no_context_headers(reply: Any) -> Judgement:
    check = Check("RPC-REPLY-13")
    leaked = sorted(str(k) for k in (reply.headers or {}) if str(k).startswith(names.CONTEXT_HEADER_PREFIX))
    if leaked:
        check.fail("RPC-REPLY-13", "context-headers-on-reply", "no context headers on the reply", short(leaked), reply)
    return check.done()


def no_credentials(messages: list, password: str | None) -> Judgement:
    """SEC-1 over everything the target sent (messages the kit itself sent are left out)."""
    check = Check("SEC-1")
    for message in messages:
        if getattr(message, "direction", "") == "sent":
            continue
        blob = bytes(message.body) + json.dumps(message.headers or {}, default=str).encode()
        if _CREDENTIAL_URI.search(blob) or (password and len(password) >= 6 and password.encode() in blob):
            check.fail("SEC-1", "credentials-in-message", "no broker credentials in messages",
                       "a credential in a message the target sent", message)
            break
    return check.done()


def exactly_one(replies: list, what: str, requirement: str = "RPC-REPLY-9") -> Judgement:
    """One reply, not zero and not several; the reply."""
    check = Check(requirement)
    if len(replies) != 1:
        check.fail(requirement, "reply-count" if replies else "no-reply", f"exactly one reply to {what}",
                   f"{len(replies)}", *replies[:3])
    return check.done(replies[0] if len(replies) == 1 else None)


def still_serving(reply: Any, token: str, requirement: str = "MAL-9") -> Judgement:
    """The reply to a sentinel echo(token) is that echo's correct success reply: a target that answers with garbage
    under the right correlation id is not serving."""
    check = Check(requirement)
    if reply is None:
        check.fail(requirement, "stopped-serving", f"a reply to a later echo({token!r})", "none")
        return check.done()
    value, fault = strict_json.decode(reply.body)
    expected = {"result": {"args": [token], "kwargs": {}}, "error": None}
    if fault is not None or value != expected:
        check.fail(requirement, "wrong-sentinel-reply", f"the echo's own reply {short(expected)}",
                   short(value) if fault is None else fault.reason, reply)
    return check.done()


def missing_reply(correlation_id: str | None, what: str, when: str, strays: list, requirement: str) -> Judgement:
    """No reply carried the request's correlation id: a reply that came with a correlation id the kit never sent is
    a wrong correlation (RPC-REPLY-2); otherwise the reply is missing (``requirement``)."""
    check = Check(requirement)
    if strays:
        check.fail("RPC-REPLY-2", "wrong-correlation-id",
                   f"a reply to {what} with correlation_id {correlation_id!r}",
                   f"{len(strays)} replies with correlation ids the kit never sent, e.g. "
                   f"{short(strays[0].properties.get('correlation_id'))}", *strays[:3])
    else:
        check.fail(requirement, "no-reply", f"a reply to {what} (correlation_id {correlation_id!r}) {when}", "none")
    return check.done()


def queue_drained(state: Any, queue: str, requirement: str, what: str) -> Judgement:
    """After a sentinel round trip, the service queue holds nothing: ``what`` was consumed, not left or requeued.
    A queue the kit could not inspect decides nothing."""
    check = Check(requirement)
    if not getattr(state, "ok", False):
        check.undecided(requirement, f"the kit could not inspect {queue} ({state})")
    elif state.message_count:
        check.fail(requirement, "left-in-queue", f"{what} consumed ({queue} empty after a later echo)",
                   f"{queue} holds {state.message_count} messages")
    return check.done()


def queue_settled(listed: dict | None, queue: str, requirement: str, what: str) -> Judgement:
    """After a sentinel round trip, the broker's own list shows no delivery of ``queue`` still unacknowledged: a
    server that holds ``what`` (or requeues it again and again, so it is unacknowledged most of the time) keeps it
    out of a passive declare's count. Without the list this decides nothing (``queue_drained`` still looks)."""
    check = Check()
    if listed is None or queue not in listed or listed[queue].get("unacked") is None:
        return check.done()
    check.examine(requirement)
    if listed[queue]["unacked"]:
        check.fail(requirement, "held-unacknowledged", f"{what} acknowledged ({queue} with no unacknowledged "
                   f"delivery after a later echo)", f"{listed[queue]['unacked']} unacknowledged")
    return check.done()


def only_own_replies(received: list, own_correlation_ids: set) -> Judgement:
    """RPC-REPLY-1: a caller's reply queue receives only replies to its own requests."""
    check = Check("RPC-REPLY-1")
    foreign = [m for m in received if getattr(m, "via", "") == "reply queue"
               and m.properties.get("correlation_id") not in own_correlation_ids]
    if foreign:
        check.fail("RPC-REPLY-1", "foreign-replies", "no replies to other callers", f"{len(foreign)}", *foreign[:3])
    return check.done()
