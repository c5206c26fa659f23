"""The reference service the interop tests serve; it records the events it handles."""

import threading
import time

from nameko_reference import ClusterRpc, EventDispatcher, event_handler, rpc

RECEIVED = []
LOCK = threading.Lock()


def make_reference_service(token):
    nameko_source = f"nk_{token}"

    class ReferenceService:
        name = f"ref_{token}"
        dispatch_event = EventDispatcher()
        cluster = ClusterRpc()

        @rpc
        def echo(self, *args, **kwargs):
            return {"args": list(args), "kwargs": kwargs}

        @rpc
        def sleep(self, seconds):
            time.sleep(seconds)
            return seconds

        @rpc
        def raise_error(self, exc_type, message):
            raise type(exc_type, (Exception,), {})(message)

        @rpc
        def unserializable(self):
            return object()

        @rpc
        def context(self):
            return {"context": self.worker_ctx.data, "call_id_stack": self.worker_ctx.call_id_stack}

        @rpc
        def dispatch(self, event_type, payload):
            self.dispatch_event(event_type, payload)

        @rpc
        def call(self, service, method, args, kwargs):
            return self.cluster[service][method](*args, **kwargs)

        def _record(self, handler, payload):
            with LOCK:
                RECEIVED.append({"handler": handler, "payload": payload, "call_id_stack": self.worker_ctx.call_id_stack})

        @event_handler(nameko_source, "greeted", handler_type="service_pool")
        def on_greeted_pool(self, payload):
            self._record("service_pool", payload)

        @event_handler(nameko_source, "greeted", handler_type="singleton")
        def on_greeted_singleton(self, payload):
            self._record("singleton", payload)

        @event_handler(nameko_source, "greeted", handler_type="broadcast", reliable_delivery=False)
        def on_greeted_broadcast(self, payload):
            self._record("broadcast", payload)

    return ReferenceService
