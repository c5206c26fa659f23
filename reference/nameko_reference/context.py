"""Context headers, call ids and the call id stack (spec chapter 05)."""

import uuid
from dataclasses import dataclass, field

HEADER_PREFIX = "nameko."
CALL_ID_STACK = "call_id_stack"
PARENT_CALLS_TRACKED = 10


def readable_headers(headers):
    """The headers whose names are text; anything else pika may hand over is left out (CONN-10).

    pika gives a name that is not valid UTF-8 as `bytes`; such a name cannot be a context key, nor be
    forwarded as one, so it is dropped rather than guessed at.
    """
    if not isinstance(headers, dict):
        return {}
    readable = {}
    for name, value in headers.items():
        if isinstance(name, bytes):
            try:
                name = name.decode("utf-8")
            except UnicodeDecodeError:
                continue
        if isinstance(name, str):
            readable[name] = value
    return readable


def context_from_headers(headers):
    """Context data from `nameko.*` headers, without the call id stack.

    Headers without the prefix are not context data (CTX-13 allows either; this keeps broker and
    library headers such as `x-death` out of downstream calls).
    """
    return {
        name[len(HEADER_PREFIX):]: value
        for name, value in readable_headers(headers).items()
        if name.startswith(HEADER_PREFIX) and name != HEADER_PREFIX + CALL_ID_STACK
    }


def _entry_text(entry):
    if isinstance(entry, (bytes, bytearray)):
        return bytes(entry).decode("utf-8", "replace")
    try:
        return str(entry)
    except Exception:
        return "[unprintable]"


def incoming_call_stack(headers):
    stack = readable_headers(headers).get(HEADER_PREFIX + CALL_ID_STACK)
    if stack is None:
        return []  # CTX-8
    if isinstance(stack, (str, bytes)):
        stack = [stack]  # CTX-9: one entry, never split into characters
    if not isinstance(stack, (list, tuple)):
        return []
    return [_entry_text(entry) for entry in stack]


def new_call_id(service, method):
    return f"{service}.{method}.{uuid.uuid4()}"  # CTX-3, CTX-14


def stack_with(parents, call_id):
    # CTX-4, CTX-5: at most 10 parents plus the own call id; the oldest entries go.
    return (list(parents) + [call_id])[-(PARENT_CALLS_TRACKED + 1):]


def headers_from_context(data, call_id_stack):
    # CTX-1; CTX-10: a None value would travel as AMQP void, so it stays home.
    headers = {HEADER_PREFIX + key: value for key, value in data.items() if value is not None and key != CALL_ID_STACK}
    headers[HEADER_PREFIX + CALL_ID_STACK] = [str(entry) for entry in call_id_stack]  # CTX-2
    return headers


@dataclass(frozen=True)
class WorkerContext:
    """What a worker knows of the request or event it handles."""

    service: str
    method: str
    call_id: str
    call_id_stack: list
    data: dict = field(default_factory=dict)

    @classmethod
    def for_delivery(cls, service, method, headers):
        call_id = new_call_id(service, method)
        stack = stack_with(incoming_call_stack(headers), call_id)  # EVT-12 for events too
        return cls(service, method, call_id, stack, context_from_headers(headers))

    def outgoing_headers(self):
        return headers_from_context(self.data, self.call_id_stack)  # CTX-6, CTX-7


def client_headers(client_name, data):
    """Headers of a call from outside any worker: caller's stack (if given) plus one entry for this call."""
    parents = incoming_call_stack({HEADER_PREFIX + CALL_ID_STACK: (data or {}).get(CALL_ID_STACK)})
    call_id = f"{client_name}.call.{uuid.uuid4()}"  # CTX-11
    return headers_from_context(data or {}, stack_with(parents, call_id))
