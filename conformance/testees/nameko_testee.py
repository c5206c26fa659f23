"""The testee contract served by real nameko; runs unchanged on nameko 2.14.1 and 3.0.0rc11.

    cd conformance/testees && nameko run --config nameko_testee.yaml nameko_testee

The service name comes from NAMEKO_CONFORMANCE_SERVICE when the module is imported, so the class is built then.
"""

import os
import time

from nameko.events import BROADCAST, SERVICE_POOL, SINGLETON, EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

try:  # nameko 3 renamed the in-service proxy
    from nameko.rpc import ServiceRpc as ServiceProxy
except ImportError:  # nameko 2
    from nameko.rpc import RpcProxy as ServiceProxy

SERVICE = os.environ.get("NAMEKO_CONFORMANCE_SERVICE", "conformance")
SOURCE = SERVICE + "_src"
EVENTS_RECEIVED = []


class WorkerContext(DependencyProvider):
    """Gives the method its own worker context (context data and call id stack)."""

    def get_dependency(self, worker_ctx):
        return worker_ctx


def context_without_stack(worker_ctx):
    return {k: v for k, v in worker_ctx.context_data.items() if k != "call_id_stack"}


def handler(kind, handler_type, **options):
    @event_handler(SOURCE, "ping", handler_type=handler_type, **options)
    def handle(self, payload):
        context = context_without_stack(self.worker_ctx)
        context["call_id_stack"] = list(self.worker_ctx.call_id_stack)
        EVENTS_RECEIVED.append({"handler": kind, "payload": payload, "context": context})
    return handle


class Unserializable(object):
    def __repr__(self):
        return "<Unserializable thing>"


class ConformanceTestee(object):
    name = SERVICE
    worker_ctx = WorkerContext()
    dispatcher = EventDispatcher()
    probe_rpc = ServiceProxy(SERVICE + "_probe")
    nosuch_rpc = ServiceProxy(SERVICE + "_nosuch")

    @rpc
    def echo(self, *args, **kwargs):
        return {"args": list(args), "kwargs": kwargs}

    @rpc
    def raise_error(self, exc_type, message):
        raise type(str(exc_type), (Exception,), {})(message)

    @rpc
    def sleep(self, seconds):
        time.sleep(seconds)
        return seconds

    @rpc
    def context(self):
        return {"context": context_without_stack(self.worker_ctx),
                "call_id_stack": list(self.worker_ctx.call_id_stack)}

    @rpc
    def call(self, service, method, args, kwargs):
        proxy = {SERVICE + "_probe": self.probe_rpc, SERVICE + "_nosuch": self.nosuch_rpc}[service]
        return getattr(proxy, method)(*args, **kwargs)

    @rpc
    def dispatch(self, event_type, payload):
        self.dispatcher(event_type, payload)

    @rpc
    def events_received(self):
        return list(EVENTS_RECEIVED)

    @rpc
    def unserializable(self):
        return Unserializable()

    on_ping_pool = handler("service_pool", SERVICE_POOL)
    on_ping_singleton = handler("singleton", SINGLETON)
    on_ping_broadcast = handler("broadcast", BROADCAST, reliable_delivery=False)
