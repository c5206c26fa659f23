"""Names of exchanges, queues and routing keys (spec chapters 01, 06 and 08)."""

import uuid

DEFAULT_RPC_EXCHANGE = "nameko-rpc"  # TOPO-1

SERVICE_POOL = "service_pool"
SINGLETON = "singleton"
BROADCAST = "broadcast"
HANDLER_TYPES = (SERVICE_POOL, SINGLETON, BROADCAST)


def check_name(kind, name):
    """Raise ValueError for a service or method name that cannot be routed."""
    # TOPO-6: `.`, `*` and `#` would change the meaning of topic routing keys.
    if not isinstance(name, str) or not name or any(c in name for c in ".*#"):
        raise ValueError(f"invalid {kind} name {name!r}: it must be non-empty, without '.', '*' or '#'")
    return name


def rpc_queue(service):
    return f"rpc-{service}"  # TOPO-3


def rpc_binding_key(service):
    return f"{service}.*"  # TOPO-5


def rpc_routing_key(service, method):
    return f"{check_name('service', service)}.{check_name('method', method)}"  # RPC-REQ-1


def method_from_routing_key(service, routing_key):
    """The method part of `S.m`, or None when the key is not addressed to `service`."""
    prefix = f"{service}."
    if not routing_key.startswith(prefix):
        return None
    return routing_key[len(prefix):]  # RPC-REQ-11


def new_reply_to():
    return str(uuid.uuid4())  # RPC-CORR-2, RPC-CORR-12 (a uuid4 has no `.`, `*` or `#`: RPC-CORR-3)


def reply_queue(client, reply_to):
    return f"rpc.reply-{client}-{reply_to}"  # RPC-CORR-4


REPLY_QUEUE_ARGUMENTS = {"x-expires": 300000}  # RPC-CORR-5, RPC-CORR-6


def events_exchange(service):
    return f"{service}.events"  # EVT-1


def event_queue(source, event_type, handler_type, service, method, broadcast_id=None):
    """The queue of an event handler (EVT-5, EVT-6, EVT-7)."""
    if handler_type == SERVICE_POOL:
        return f"evt-{source}-{event_type}--{service}.{method}"
    if handler_type == SINGLETON:
        return f"evt-{source}-{event_type}"
    if handler_type == BROADCAST:
        if not broadcast_id:
            raise ValueError("a broadcast handler needs an identifier unique to its instance")
        return f"evt-{source}-{event_type}--{service}.{method}-{broadcast_id}"
    raise ValueError(f"unknown handler type {handler_type!r}")


def event_queue_flags(handler_type, reliable_delivery):
    """queue.declare flags of a handler queue (EVT-9)."""
    return {
        "durable": True,
        "auto_delete": not reliable_delivery,
        "exclusive": handler_type == BROADCAST and not reliable_delivery,
    }
