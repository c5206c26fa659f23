"""A nameko service for the interop tests (nameko 2.14.1 and 3.0.0rc11); names come from $INTEROP_TOKEN."""

import os

from nameko.events import EventDispatcher, event_handler
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc

TOKEN = os.environ["INTEROP_TOKEN"]
REFERENCE = f"ref_{TOKEN}"
RECEIVED = []


class WorkerContext(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx


class Unserializable:
    def __repr__(self):
        return "<Unserializable thing>"


class NamekoService:
    name = f"nk_{TOKEN}"
    ctx = WorkerContext()
    dispatch = EventDispatcher()
    reference = RpcProxy(REFERENCE)

    @rpc
    def hello(self, name):
        return f"Hello, {name}!"

    @rpc
    def echo(self, *args, **kwargs):
        return {"args": list(args), "kwargs": kwargs}

    @rpc
    def raise_value_error(self, message):
        raise ValueError(message)

    @rpc
    def unserializable(self):
        return Unserializable()

    @rpc
    def whoami(self):
        data = {k: v for k, v in self.ctx.context_data.items() if k != "call_id_stack"}
        return {"context": data, "call_id_stack": list(self.ctx.call_id_stack)}

    @rpc
    def emit(self, event_type, payload):
        self.dispatch(event_type, payload)

    @rpc
    def relay(self, method, args, kwargs):
        return getattr(self.reference, method)(*args, **kwargs)

    @rpc
    def received(self):
        return RECEIVED

    @event_handler(REFERENCE, "ref_event")
    def on_ref_event(self, payload):
        RECEIVED.append({"payload": payload, "call_id_stack": list(self.ctx.call_id_stack)})
