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
from .server_core import (Discard, GiveUp, Invoke, Limits, ReplyError, after_refusal, decide_event, decide_request,
                          error_reply, method_signatures, success_reply)
from .transport import Transport

CLASSIC, QUORUM = "classic", "quorum"
QUEUE_TYPES = (CLASSIC, QUORUM)

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
    """Serves services over one connection, made again whenever it breaks (spec chapter 17).

    `amqp_uri` may name several brokers of a cluster (a list, or URIs separated by commas or whitespace);
    `queue_type="quorum"` declares the service queues as quorum queues (TOPO-9); `limits` bounds what is read
    and sent (CONN-12, CONN-13).
    """

    def __init__(self, amqp_uri=DEFAULT_AMQP_URI, rpc_exchange=names.DEFAULT_RPC_EXCHANGE, max_workers=10,
                 limits=None, queue_type=CLASSIC, reconnect=True, transport_options=None):
        if queue_type not in QUEUE_TYPES:
            raise ValueError(f"queue_type must be one of {QUEUE_TYPES}")
        self.amqp_uri = amqp_uri
        self.rpc_exchange = rpc_exchange
        self.max_workers = max_workers
        self.limits = limits or Limits()
        self.queue_type = queue_type
        self.reconnect = reconnect
        self.transport_options = dict(transport_options or {})
        self.services = []
        self._transport = None
        self._pool = None
        self._consumer_tags = []
        self._declared_exchanges = set()
        self._callers = {}
        self._lock = threading.Lock()
        self._unsettled = set()  # delivery tags not yet acknowledged, of the current connection
        self._settled = threading.Condition(self._lock)
        self._stopping = False
        self.broadcast_id = uuid.uuid4().hex  # EVT-7: unique to this instance

    def add_service(self, cls):
        self.services.append(_ServiceDefinition(cls))
        return self

    def start(self):
        # SEC-6: a bounded pool; prefetch = pool size (RPC-REQ-16).
        self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="worker")
        self._transport = Transport(self.amqp_uri, prefetch_count=self.max_workers,
                                    connection_name="+".join(s.name for s in self.services), reconnect=self.reconnect,
                                    **self.transport_options)
        self._transport.on_connection_lost(self._on_connection_lost)
        self._transport.on_reconnected(self._declare_and_consume)  # CONN-2
        self._transport.start()
        try:
            self._declare_and_consume()
        except Exception:
            self._transport.close()
            raise
        return self

    def _declare_and_consume(self):
        if self._stopping:
            return
        self._consumer_tags = []
        self._declared_exchanges.clear()
        self._transport.declare_exchange(self.rpc_exchange)  # TOPO-2
        for service in self.services:
            self._serve_rpc(service)
            for method, spec in service.handlers.items():
                self._serve_events(service, method, spec)

    def _on_connection_lost(self, error):
        # CONN-3: the broker requeues every unacknowledged delivery of the broken connection; none of them is
        # waited for any more, and their workers' replies are published only if a connection is open then.
        with self._settled:
            self._unsettled.clear()
            self._settled.notify_all()

    def _queue_arguments(self):
        return {"x-queue-type": QUORUM} if self.queue_type == QUORUM else None  # TOPO-9

    def _serve_rpc(self, service):
        queue = names.rpc_queue(service.name)
        self._transport.declare_queue(queue, arguments=self._queue_arguments())  # TOPO-3, TOPO-4, TOPO-8, TOPO-9
        self._transport.bind_queue(queue, self.rpc_exchange, names.rpc_binding_key(service.name))  # TOPO-5
        self._consumer_tags.append(
            self._transport.consume(queue, lambda message, tag: self._on_request(service, message, tag)))

    def _serve_events(self, service, method, spec):
        exchange = names.events_exchange(spec.source_service)
        queue = names.event_queue(spec.source_service, spec.event_type, spec.handler_type, service.name, method,
                                  spec.broadcast_identifier or self.broadcast_id)
        self._transport.declare_exchange(exchange)  # EVT-8
        flags = names.event_queue_flags(spec.handler_type, spec.reliable_delivery)
        durable_shared = flags["durable"] and not flags["auto_delete"] and not flags["exclusive"]
        self._transport.declare_queue(queue, arguments=self._queue_arguments() if durable_shared else None, **flags)
        self._transport.bind_queue(queue, exchange, spec.event_type)  # EVT-8
        self._consumer_tags.append(self._transport.consume(
            queue, lambda message, tag: self._on_event(service, method, spec, message, tag)))

    def stop(self, timeout=30):
        """Stop consuming, finish every delivered request, then close (RPC-CALL-5)."""
        if self._transport is None:
            return
        self._stopping = True
        for tag in self._consumer_tags:
            try:
                self._transport.cancel(tag)
            except Exception as exc:
                log.warning("consumer %s not cancelled: %s", tag, exc)
        self._pool.shutdown(wait=True)
        with self._settled:
            self._settled.wait_for(lambda: not self._unsettled, timeout)
        for caller in self._callers.values():
            try:
                caller.delete_reply_queue()
            except Exception as exc:
                log.warning("reply queue %s not deleted: %s", caller.queue, exc)
        self._transport.close()
        self._transport = None

    def wait(self):
        self._transport._thread.join()

    # -- requests -------------------------------------------------------------------------------

    def _track(self, tag):
        with self._settled:
            self._unsettled.add(tag)

    def _untrack(self, tag):
        with self._settled:
            self._unsettled.discard(tag)
            if not self._unsettled:
                self._settled.notify_all()

    def _on_request(self, service, message, tag):
        # On the I/O thread: only hand over. Decoding can be heavy (CONN-13), so it runs on a worker.
        self._track(tag)
        self._pool.submit(self._handle_request, service, message, tag)

    def _handle_request(self, service, message, tag):
        try:
            decision = decide_request(service.name, service.signatures, message, limits=self.limits)
            if isinstance(decision, Discard):
                log.warning("request to %r acknowledged without reply: %s", message.routing_key,
                            decision.reason)  # MAL-11
                self._settle(tag, True)
            elif isinstance(decision, ReplyError):
                log.info("request to %r answered with %r", message.routing_key, decision.error)
                self._reply(error_reply(self.rpc_exchange, decision.address, decision.error), tag)
            else:
                self._run_request(service, decision, tag)
        except Exception as exc:  # CONN-11: one line, an acknowledgement, and the server goes on
            log.error("request to %r acknowledged after an internal failure: %s: %s", message.routing_key,
                      type(exc).__name__, exc)
            self._settle(tag, True)

    def _run_request(self, service, invoke: Invoke, tag):
        try:
            result = getattr(self._instance(service, invoke.worker), invoke.method)(*invoke.args, **invoke.kwargs)
            reply = success_reply(self.rpc_exchange, invoke.address, result, self.limits.max_reply_bytes)
        except Exception as exc:
            reply = error_reply(self.rpc_exchange, invoke.address, exc)  # RPC-REQ-15: the failure is the reply
        self._reply(reply, tag, invoke.address)

    def _reply(self, reply, tag, address=None, attempt=0):
        # RPC-REQ-14: the request is acknowledged only when the broker has confirmed its reply
        # (RPC-REPLY-8: also when the reply was unroutable).
        self._transport.publish(reply, on_confirm=lambda acked: self._on_reply_confirm(acked, reply, tag, address,
                                                                                        attempt))

    def _on_reply_confirm(self, acked, reply, tag, address, attempt):
        if acked:
            self._settle(tag, True)
            return
        if not self._transport.is_current(tag):
            # CONN-3: the connection broke; the broker has requeued the request and redelivers it.
            log.warning("reply to %r not published: the connection broke; the request is redelivered",
                        reply.routing_key)
            self._untrack(tag)
            return
        # CONN-12: the broker refused the reply on a live connection (a nack, or its channel closed, e.g. 406 for
        # a message above its size limit). Requeueing would only repeat this, so the caller gets an error.
        step = after_refusal(self.rpc_exchange, reply, address, attempt, self._transport.last_refusal or "basic.nack")
        if isinstance(step, GiveUp):
            log.error("reply to %r not sent: %s; request acknowledged without reply", reply.routing_key, step.reason)
            self._settle(tag, True)
            return
        if step.replaces:
            log.error("the broker refused a reply of %d bytes; sending an error reply instead", len(reply.body))
        self._reply(step.reply, tag, None if step.replaces else address, attempt + 1)

    def _settle(self, tag, acked):
        if acked:
            self._transport.ack(tag)
        else:
            self._transport.reject(tag, requeue=True)
        self._untrack(tag)

    def _instance(self, service, worker):
        instance = service.cls()
        instance.worker_ctx = worker
        instance._runner = self
        return instance

    # -- events ---------------------------------------------------------------------------------

    def _on_event(self, service, method, spec, message, tag):
        self._track(tag)
        self._pool.submit(self._handle_event, service, method, spec, message, tag)

    def _handle_event(self, service, method, spec, message, tag):
        decision = decide_event(service.name, method, message, self.limits)
        if isinstance(decision, Discard):
            log.warning("event %r acknowledged without handling: %s", message.routing_key, decision.reason)  # MAL-13
            self._settle(tag, True)
            return
        try:
            getattr(self._instance(service, decision.worker), method)(decision.payload)
        except Exception as exc:
            log.error("event handler %s.%s failed: %s: %s", service.name, method, type(exc).__name__, exc)
            if spec.requeue_on_error:
                self._settle(tag, False)  # EVT-10
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
