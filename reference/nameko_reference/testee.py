"""The conformance testee (spec chapter 13): `python -m nameko_reference.testee`.

Configured by NAMEKO_CONFORMANCE_AMQP_URI, NAMEKO_CONFORMANCE_SERVICE and NAMEKO_CONFORMANCE_RPC_EXCHANGE.
"""

import logging
import os
import threading
import time

from .cli import serve_until_signalled
from .names import BROADCAST, DEFAULT_RPC_EXCHANGE, SERVICE_POOL, SINGLETON
from .service import ClusterRpc, EventDispatcher, ServiceRunner, event_handler, rpc

SERVICE = os.environ.get("NAMEKO_CONFORMANCE_SERVICE", "conformance")  # TESTEE-1
SOURCE = f"{SERVICE}_src"

_events = []
_events_lock = threading.Lock()


class Testee:
    name = SERVICE
    rpc_client = ClusterRpc()
    dispatch_event = EventDispatcher()

    @rpc
    def echo(self, *args, **kwargs):
        return {"args": list(args), "kwargs": kwargs}  # TESTEE-2

    @rpc
    def raise_error(self, exc_type, message):
        error_class = type(exc_type, (Exception,), {"__module__": "testee"})
        raise error_class(message)  # TESTEE-3

    @rpc
    def sleep(self, seconds):
        time.sleep(seconds)
        return seconds  # TESTEE-4

    @rpc
    def context(self):
        return {"context": self.worker_ctx.data, "call_id_stack": self.worker_ctx.call_id_stack}  # TESTEE-5

    @rpc
    def call(self, service, method, args, kwargs):
        return self.rpc_client[service][method](*args, **kwargs)  # TESTEE-6

    @rpc
    def dispatch(self, event_type, payload):
        self.dispatch_event(event_type, payload)  # TESTEE-7

    @rpc
    def events_received(self):
        with _events_lock:
            return list(_events)  # TESTEE-8

    @rpc
    def unserializable(self):
        return object()  # TESTEE-9

    def _record(self, handler, payload):
        # The handler's call id stack is part of its context, so that EVT-12 can be checked from outside.
        context = dict(self.worker_ctx.data, call_id_stack=self.worker_ctx.call_id_stack)
        with _events_lock:
            _events.append({"handler": handler, "payload": payload, "context": context})

    @event_handler(SOURCE, "ping", handler_type=SERVICE_POOL)
    def on_ping_pool(self, payload):
        self._record(SERVICE_POOL, payload)

    @event_handler(SOURCE, "ping", handler_type=SINGLETON)
    def on_ping_singleton(self, payload):
        self._record(SINGLETON, payload)

    @event_handler(SOURCE, "ping", handler_type=BROADCAST, reliable_delivery=False)
    def on_ping_broadcast(self, payload):
        self._record(BROADCAST, payload)


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runner = ServiceRunner(os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/%2F"),
                           os.environ.get("NAMEKO_CONFORMANCE_RPC_EXCHANGE", DEFAULT_RPC_EXCHANGE))
    serve_until_signalled(runner.add_service(Testee))


if __name__ == "__main__":
    main()
