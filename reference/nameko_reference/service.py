"""Services: `@rpc` methods, `@event_handler` methods, and the runner that serves them.

    class Greeting:
        name = "greeting"
        dispatch = EventDispatcher()
        other = ClusterRpc()

        @rpc
        def hello(self, name):
            self.dispatch("greeted", {"name": name})
            return self.other.shouter.shout(f"Hello, {name}!")

A new instance serves each request or event; `self.worker_ctx` is its WorkerContext.
"""

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import names
from .client import DEFAULT_AMQP_URI, RpcCaller, ServiceProxy, dispatch_event
from .server_core import (Discard, Invoke, ReplyError, decide_event, decide_request, error_reply,
                          method_signatures, success_reply)
from .transport import Transport

log = logging.getLogger(__name__)


def rpc(function):
    function.nameko_reference_rpc = True
    return function


@dataclass(frozen=True)
class HandlerSpec:
    source_service: str
    event_type: str
    handler_type: str
    reliable_delivery: bool
    requeue_on_error: bool
    broadcast_identifier: str | None


def event_handler(source_service, event_type, handler_type=names.SERVICE_POOL, reliable_delivery=True,
                  requeue_on_error=False, broadcast_identifier=None):
    if handler_type not in names.HANDLER_TYPES:
        raise ValueError(f"handler_type must be one of {names.HANDLER_TYPES}")
    if handler_type == names.BROADCAST and reliable_delivery and not broadcast_identifier:
        # A durable, non-auto-delete queue with a random name would outlive every instance.
        raise ValueError("a reliable broadcast handler needs a stable broadcast_identifier")

    def decorate(function):
        function.nameko_reference_event = HandlerSpec(source_service, event_type, handler_type, reliable_delivery,
                                                      requeue_on_error, broadcast_identifier)
        return function
    return decorate


class EventDispatcher:
    """`self.dispatch(event_type, payload)` inside a worker; events carry the worker's context (CTX-6, CTX-7)."""

    def __get__(self, instance, owner):
        if instance is None:
            return self
        runner, worker = instance._runner, instance.worker_ctx
        return lambda event_type, payload: runner.dispatch(worker.service, event_type, payload,
                                                           worker.outgoing_headers())


class ClusterRpc:
    """`self.rpc.service.method(...)` or `self.rpc["service"].method.call_async(...)` inside a worker."""

    def __get__(self, instance, owner):
        if instance is None:
            return self
        runner, worker = instance._runner, instance.worker_ctx

        def call(service, method, args, kwargs):
            return runner.caller(worker.service).call_async(service, method, args, kwargs,
                                                            worker.outgoing_headers())
        return _Cluster(call)


class _Cluster:
    def __init__(self, call):
        self._call = call

    def __getattr__(self, service):
        if service.startswith("__"):
            raise AttributeError(service)
        return ServiceProxy(self._call, service)

    __getitem__ = __getattr__


class _ServiceDefinition:
    def __init__(self, cls):
        self.cls = cls
        self.name = names.check_name("service", getattr(cls, "name", None))
        members = {attr: getattr(cls, attr) for attr in dir(cls) if not attr.startswith("__")}
        rpc_methods = [attr for attr, value in members.items() if getattr(value, "nameko_reference_rpc", False)]
        for method in rpc_methods:
            names.check_name("method", method)
        self.signatures = method_signatures(cls, rpc_methods)
        self.handlers = {attr: value.nameko_reference_event for attr, value in members.items()
                         if isinstance(getattr(value, "nameko_reference_event", None), HandlerSpec)}


class ServiceRunner:
    def __init__(self, amqp_uri=DEFAULT_AMQP_URI, rpc_exchange=names.DEFAULT_RPC_EXCHANGE, max_workers=10):
        self.amqp_uri = amqp_uri
        self.rpc_exchange = rpc_exchange
        self.max_workers = max_workers
        self.services = []
        self._transport = None
        self._pool = None
        self._consumer_tags = []
        self._declared_exchanges = set()
        self._callers = {}
        self._lock = threading.Lock()
        self._unsettled = 0  # deliveries not yet acknowledged
        self._settled = threading.Condition(self._lock)
        self.broadcast_id = uuid.uuid4().hex  # EVT-7: unique to this instance

    def add_service(self, cls):
        self.services.append(_ServiceDefinition(cls))
        return self

    def start(self):
        # SEC-6: a bounded pool; prefetch = pool size (RPC-REQ-16).
        self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="worker")
        self._transport = Transport(self.amqp_uri, prefetch_count=self.max_workers,
                                    connection_name="+".join(s.name for s in self.services)).start()
        self._transport.declare_exchange(self.rpc_exchange)  # TOPO-2
        for service in self.services:
            self._serve_rpc(service)
            for method, spec in service.handlers.items():
                self._serve_events(service, method, spec)
        return self

    def _serve_rpc(self, service):
        queue = names.rpc_queue(service.name)
        self._transport.declare_queue(queue)  # TOPO-3, TOPO-4, TOPO-8
        self._transport.bind_queue(queue, self.rpc_exchange, names.rpc_binding_key(service.name))  # TOPO-5
        self._consumer_tags.append(
            self._transport.consume(queue, lambda message, tag: self._on_request(service, message, tag)))

    def _serve_events(self, service, method, spec):
        exchange = names.events_exchange(spec.source_service)
        queue = names.event_queue(spec.source_service, spec.event_type, spec.handler_type, service.name, method,
                                  spec.broadcast_identifier or self.broadcast_id)
        self._transport.declare_exchange(exchange)  # EVT-8
        self._transport.declare_queue(queue, **names.event_queue_flags(spec.handler_type, spec.reliable_delivery))
        self._transport.bind_queue(queue, exchange, spec.event_type)  # EVT-8
        self._consumer_tags.append(self._transport.consume(
            queue, lambda message, tag: self._on_event(service, method, spec, message, tag)))

    def stop(self, timeout=30):
        """Stop consuming, finish every delivered request, then close (RPC-CALL-5)."""
        if self._transport is None:
            return
        for tag in self._consumer_tags:
            self._transport.cancel(tag)
        self._pool.shutdown(wait=True)
        with self._settled:
            self._settled.wait_for(lambda: self._unsettled == 0, timeout)
        for caller in self._callers.values():
            caller.delete_reply_queue()
        self._transport.close()
        self._transport = None

    def wait(self):
        self._transport._thread.join()

    # -- requests -------------------------------------------------------------------------------

    def _track(self, delta):
        with self._settled:
            self._unsettled += delta
            if self._unsettled == 0:
                self._settled.notify_all()

    def _on_request(self, service, message, tag):
        self._track(+1)
        decision = decide_request(service.name, service.signatures, message)
        if isinstance(decision, Discard):
            log.warning("request to %s acknowledged without reply: %s", message.routing_key, decision.reason)  # MAL-11
            self._settle(tag, True)
        elif isinstance(decision, ReplyError):
            log.info("request to %s answered with %r", message.routing_key, decision.error)
            self._reply(error_reply(self.rpc_exchange, decision.address, decision.error), tag)
        else:
            self._pool.submit(self._run_request, service, decision, tag)

    def _run_request(self, service, invoke: Invoke, tag):
        try:
            result = getattr(self._instance(service, invoke.worker), invoke.method)(*invoke.args, **invoke.kwargs)
            reply = success_reply(self.rpc_exchange, invoke.address, result)
        except Exception as exc:
            reply = error_reply(self.rpc_exchange, invoke.address, exc)  # RPC-REQ-15: the failure is the reply
        self._reply(reply, tag)

    def _reply(self, reply, tag):
        # RPC-REQ-14: the request is acknowledged only when the broker has confirmed its reply
        # (RPC-REPLY-8: also when the reply was unroutable).
        self._transport.publish(reply, on_confirm=lambda acked: self._settle(tag, acked))

    def _settle(self, tag, acked):
        if acked:
            self._transport.ack(tag)
        else:
            # The reply is not known to be published: the request goes back for another attempt (RPC-REPLY-9).
            log.error("reply not confirmed; request requeued")
            self._transport.reject(tag, requeue=True)
        self._track(-1)

    def _instance(self, service, worker):
        instance = service.cls()
        instance.worker_ctx = worker
        instance._runner = self
        return instance

    # -- events ---------------------------------------------------------------------------------

    def _on_event(self, service, method, spec, message, tag):
        self._track(+1)
        decision = decide_event(service.name, method, message)
        if isinstance(decision, Discard):
            log.warning("event %s acknowledged without handling: %s", message.routing_key, decision.reason)  # MAL-13
            self._settle(tag, True)
            return
        self._pool.submit(self._run_event, service, method, spec, decision, tag)

    def _run_event(self, service, method, spec, decision, tag):
        try:
            getattr(self._instance(service, decision.worker), method)(decision.payload)
        except Exception:
            log.exception("event handler %s.%s failed", service.name, method)
            if spec.requeue_on_error:
                self._transport.reject(tag, requeue=True)  # EVT-10
                self._track(-1)
                return
        self._settle(tag, True)  # EVT-10

    # -- what workers use -----------------------------------------------------------------------

    def dispatch(self, source_service, event_type, payload, headers):
        dispatch_event(self._transport, source_service, event_type, payload, headers, self._declared_exchanges)

    def caller(self, service_name):
        with self._lock:
            if service_name not in self._callers:
                self._callers[service_name] = RpcCaller(self._transport, self.rpc_exchange, service_name)
            caller = self._callers[service_name]
        return caller.setup()
