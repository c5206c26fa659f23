"""Scenario services for recording real nameko; the same module runs on nameko 2.14.1 and 3.0.0rc11.

    nameko run --config <config.yaml> greeting:GreetingService greeting:ListenerService
"""

import eventlet
from nameko.events import BROADCAST, SERVICE_POOL, SINGLETON, EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc  # RpcProxy is an alias of ServiceRpc in nameko 3


class WorkerContext(DependencyProvider):
    """Hands the worker its own context, so `whoami` can report what arrived on the wire."""

    def get_dependency(self, worker_ctx):
        return worker_ctx


class Unserializable:
    def __repr__(self):
        return "<Unserializable thing>"


class GreetingService:
    name = "greeting_service"

    dispatch = EventDispatcher()
    worker_ctx = WorkerContext()

    @rpc
    def hello(self, name):
        return "Hello, {}!".format(name)

    @rpc
    def raise_value_error(self, message):
        raise ValueError(message)

    @rpc
    def unserializable(self):
        return Unserializable()

    @rpc
    def slow(self, seconds):
        eventlet.sleep(seconds)
        return seconds

    @rpc
    def emit(self, event_type, payload):
        self.dispatch(event_type, payload)
        return event_type

    @rpc
    def whoami(self):
        context = {key: value for key, value in self.worker_ctx.context_data.items() if key != "call_id_stack"}
        return {"context": context, "call_id_stack": list(self.worker_ctx.call_id_stack)}


class ListenerService:
    name = "listener_service"

    greeting = RpcProxy("greeting_service")

    @rpc
    def relay_hello(self, name):
        return self.greeting.hello(name)

    @rpc
    def relay_whoami(self):
        return self.greeting.whoami()

    @event_handler("greeting_service", "greeted", handler_type=SERVICE_POOL)
    def on_greeted_pool(self, payload):
        pass

    @event_handler("greeting_service", "greeted", handler_type=SINGLETON)
    def on_greeted_singleton(self, payload):
        pass

    # nameko requires reliable_delivery=False for a broadcast handler with the default identifier.
    @event_handler("greeting_service", "greeted", handler_type=BROADCAST, reliable_delivery=False)
    def on_greeted_broadcast(self, payload):
        pass
