"""Message-level checks: everything the spec says about one wire message on its own (a request, a reply or an
event), without knowing what came before it. ``nameko-conformance validate`` and the offline fixture test use
this; the live suite adds what needs context (the request a reply answers, where it was routed)."""

from __future__ import annotations

from typing import Any

from nameko_conformance.oracle import client as clients, names, reply as replies
from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.oracle.schemas import all_schema_findings

WIRE_SCHEMA = "wire-message.schema.json"
ROLES = ("request", "reply", "event")


def judge(message: Any, fixture_form: dict, role: str | None = None) -> Judgement:
    """All message-level findings for ``message`` (kit or wire message) whose fixture form is ``fixture_form``."""
    role = role or fixture_form.get("role")
    check = Check("SER-1", "SER-7")
    if role not in ROLES:
        check.undecided("RPC-REQ-1", f"the message's role {role!r} is none of {ROLES}: give it")
        return check.done()
    plain = {"request": _request, "reply": _reply, "event": _event}[role](message)
    check.merge(plain)
    found = {f.requirement for f in plain.findings}
    for finding in all_schema_findings(WIRE_SCHEMA, dict(fixture_form, role=role), message):
        check.examine(finding[0])
        if finding[0] not in found:
            check.fail(*finding)
    return check.done()


def _headers(check: Check, message: Any) -> None:
    """The context-header rules a message shows on its own: the client's checks, the same as the live suite's."""
    headers = message.headers if isinstance(message.headers, dict) else {}
    if names.CALL_ID_STACK_HEADER in headers:
        check.merge(clients.call_id_stack(headers[names.CALL_ID_STACK_HEADER], message))
    check.merge(clients.no_void_headers(message))


def _request(message: Any) -> Judgement:
    """A request on its own: the client checks (one set for the live suite and for this), with the service and
    method read from its own routing key, since nothing else names them here."""
    check = Check()
    parts = str(message.routing_key).split(".")
    service, method = (parts[0], parts[1]) if len(parts) == 2 else ("<service>", "<method>")
    check.merge(clients.request_routing(message, message.exchange, service, method))
    check.merge(clients.request_properties(message))
    check.merge(clients.reply_to_key(message))
    check.merge(clients.request_body(message))
    _headers(check, message)
    return check.done()


def _reply(message: Any) -> Judgement:
    check = Check("RPC-REPLY-7", "RPC-REPLY-13")
    if message.properties.get("content_type") != names.JSON_CONTENT_TYPE:
        check.examine("RPC-REPLY-6")
        check.fail("RPC-REPLY-6", "content-type", "the request's content type (application/json)",
                   short(message.properties.get("content_type")), message)
    check.merge(replies.encoding_and_persistence(message))
    check.merge(replies.no_context_headers(message))
    body = check.merge(replies.envelope(message))
    if body is None:
        return check.done()
    if body["error"] is not None:
        check.examine("RPC-REPLY-5")
        if body["result"] is not None:
            check.fail("RPC-REPLY-5", "result-not-null", "result null on an error reply", short(body["result"]),
                       message)
        error = check.merge(replies.error_object(body["error"], message))
        if isinstance(error, dict):
            check.merge(replies.error_args_are_strings(error, message))
            check.merge(replies.no_internals(error, message))
    return check.done()


def _event(message: Any) -> Judgement:
    check = Check("EVT-2", "EVT-4")
    if message.properties.get("content_type") != names.JSON_CONTENT_TYPE:
        check.fail("EVT-2", "content-type", "content_type 'application/json'",
                   short(message.properties.get("content_type")), message)
    leaked = {k: message.properties.get(k) for k in ("reply_to", "correlation_id") if message.properties.get(k)}
    if leaked:
        check.fail("EVT-4", "rpc-properties-on-event", "no reply_to or correlation_id on an event", short(leaked),
                   message)
    decoded = replies.json_text(message)
    check.merge(decoded)
    if not decoded.ok:  # (a JSON null is fine: the value is None, but the judgement found nothing)
        check.fail("EVT-2", "body-not-json", "the event data as a JSON body", "a body that is not strict JSON",
                   message)
    _headers(check, message)
    return check.done()
