"""The protocol's names, spelled once: exchanges, queues, routing keys, headers, content types, built-in errors."""

from __future__ import annotations

import re

DEFAULT_RPC_EXCHANGE = "nameko-rpc"
EVENTS_EXCHANGE_SUFFIX = ".events"
CONTEXT_HEADER_PREFIX = "nameko."
CALL_ID_STACK_HEADER = "nameko.call_id_stack"
JSON_CONTENT_TYPE = "application/json"
UTF8 = "utf-8"
PERSISTENT = 2
REPLY_QUEUE_EXPIRES_MS = 300000

BUILTIN_ERROR_PATHS = {
    "MethodNotFound": "nameko.exceptions.MethodNotFound",
    "IncorrectSignature": "nameko.exceptions.IncorrectSignature",
    "MalformedRequest": "nameko.exceptions.MalformedRequest",
    "UnserializableValueError": "nameko.exceptions.UnserializableValueError",
}

# Service queue arguments a service queue may carry (spec 01, TOPO-4 and its queue-type rule): none for the
# classic queue nameko declares; x-queue-type quorum where the deployment opts in.
ALLOWED_SERVICE_QUEUE_ARGUMENTS = ({}, {"x-queue-type": "quorum"})


def service_queue(service: str) -> str:
    return f"rpc-{service}"


def service_binding(service: str) -> str:
    return f"{service}.*"


def request_key(service: str, method: str) -> str:
    return f"{service}.{method}"


def events_exchange(source_service: str) -> str:
    return f"{source_service}{EVENTS_EXCHANGE_SUFFIX}"


def context_header(key: str) -> str:
    return f"{CONTEXT_HEADER_PREFIX}{key}"


def reply_queue(client: str, reply_to: str) -> str:
    """The name RPC-CORR-4 recommends; ``client`` is the service name, or the library's own client name."""
    return f"rpc.reply-{client}-{reply_to}"


def is_recommended_reply_queue(queue: str, reply_to: str) -> bool:
    """Whether ``queue`` follows ``rpc.reply-<client>-<reply_to>`` for some non-empty client name: nameko's
    ``standalone_rpc_proxy``/``standalone_rpc_client``, a service name, or a library's own prefix."""
    prefix, suffix = "rpc.reply-", f"-{reply_to}"
    return queue.startswith(prefix) and queue.endswith(suffix) and len(queue) > len(prefix) + len(suffix)


def handler_queues(source: str, event_type: str, service: str, method: str) -> dict[str, str]:
    """The queue names of a handler of each type (EVT-5/6/7); the broadcast one is a prefix of ``<prefix><id>``."""
    return {"service_pool": f"evt-{source}-{event_type}--{service}.{method}",
            "singleton": f"evt-{source}-{event_type}",
            "broadcast": f"evt-{source}-{event_type}--{service}.{method}-"}


_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def is_uuid4(text: object) -> bool:
    return isinstance(text, str) and bool(_UUID4.match(text))
