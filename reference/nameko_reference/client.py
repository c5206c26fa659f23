"""RPC calls and event dispatch over a Transport (spec chapters 02, 05, 06, 07 and 08)."""

import logging
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from . import codec, names
from .client_core import CallTable, Settled
from .context import client_headers
from .transport import Transport, TransportError

log = logging.getLogger(__name__)

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/%2F"


class AsyncReply:
    """The handle of an outstanding call."""

    def __init__(self, caller, correlation_id, future, timeout):
        self._caller = caller
        self.correlation_id = correlation_id
        self._future = future
        self.timeout = timeout

    def result(self, timeout=None):
        """The call's result; raises its error, or RpcTimeout once `timeout` (or the call's timeout) is up."""
        timeout = self.timeout if timeout is None else timeout
        try:
            return self._future.result(timeout)
        except FutureTimeout:
            settled = self._caller.table.on_timeout(self.correlation_id)  # RPC-CALL-6
            if settled is not None:
                self._future.set_exception(settled.error)
            return self._future.result()


class RpcCaller:
    """Makes calls over one transport through one reply queue, declared before the first call (RPC-CORR-7)."""

    def __init__(self, transport, exchange, client_name):
        self.transport = transport
        self.exchange = exchange
        self.reply_to = names.new_reply_to()
        self.queue = names.reply_queue(client_name, self.reply_to)
        self.table = CallTable(exchange, self.reply_to)
        self._setup_lock = threading.Lock()
        self._ready = False

    def setup(self):
        with self._setup_lock:
            if self._ready:
                return self
            self.transport.declare_exchange(self.exchange)  # TOPO-2
            # RPC-CORR-5, RPC-CORR-6: durable, expires 5 minutes after its last consumer is gone.
            self.transport.declare_queue(self.queue, arguments=dict(names.REPLY_QUEUE_ARGUMENTS))
            self.transport.bind_queue(self.queue, self.exchange, self.reply_to)  # RPC-CORR-1
            self.transport.on_return(self._on_return)
            self.transport.on_connection_lost(self._on_connection_lost)
            # Replies are acknowledged on delivery; an unknown one is thereby acked and dropped (RPC-CORR-8).
            self.transport.consume(self.queue, self._on_reply, auto_ack=True)
            self._ready = True
        return self

    def delete_reply_queue(self):
        if self._ready:
            self.transport.delete_queue(self.queue)
            self._ready = False

    def call_async(self, service, method, args=(), kwargs=None, headers=None, timeout=None):
        self.setup()
        future = Future()
        message = self.table.new_call(service, method, args, kwargs or {}, headers, future)
        correlation_id = message.properties["correlation_id"]
        self.transport.publish(message, on_confirm=lambda acked: acked or self._settle(self.table.on_nack(correlation_id)))
        return AsyncReply(self, correlation_id, future, timeout)

    def _settle(self, outcome):
        if not isinstance(outcome, Settled):
            log.debug("ignored: %s", outcome.reason)
        elif outcome.error is not None:
            outcome.token.set_exception(outcome.error)
        else:
            outcome.token.set_result(outcome.value)

    def _on_reply(self, message, delivery_tag):
        outcome = self.table.on_reply(message)
        if not isinstance(outcome, Settled):
            log.warning("%s", outcome.reason)  # RPC-CORR-8: logged, then dropped
        self._settle(outcome)

    def _on_return(self, message):
        if message.properties.get("reply_to") == self.reply_to:
            self._settle(self.table.on_return(message))  # RPC-CALL-1

    def _on_connection_lost(self, error):
        for outcome in self.table.fail_all(error):
            self._settle(outcome)


def dispatch_event(transport, source_service, event_type, payload, headers=None, declared=None):
    """Publish an event and wait for the broker's confirm."""
    exchange = names.events_exchange(source_service)
    if declared is None or exchange not in declared:
        transport.declare_exchange(exchange)  # EVT-3
        if declared is not None:
            declared.add(exchange)
    transport.publish_and_wait(codec.encode_event(exchange, event_type, payload, headers))


class _Method:
    def __init__(self, call, service, method):
        self._call, self.service, self.method = call, service, method

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()

    def call_async(self, *args, **kwargs):
        return self._call(self.service, self.method, args, kwargs)


class ServiceProxy:
    """`proxy.method(*args, **kwargs)` or `proxy.method.call_async(...)`."""

    def __init__(self, call, service):
        self._call, self._service = call, names.check_name("service", service)

    def __getattr__(self, method):
        if method.startswith("__"):
            raise AttributeError(method)
        return _Method(self._call, self._service, names.check_name("method", method))

    __getitem__ = __getattr__


class ClusterClient:
    """A standalone client: `with ClusterClient(uri) as rpc: rpc.greeting.hello("x")`."""

    def __init__(self, amqp_uri=DEFAULT_AMQP_URI, rpc_exchange=names.DEFAULT_RPC_EXCHANGE, context_data=None,
                 timeout=None, client_name="reference_rpc_client"):
        self.amqp_uri = amqp_uri
        self.rpc_exchange = rpc_exchange
        self.context_data = dict(context_data or {})
        self.timeout = timeout  # RPC-CALL-2: the default of every call, overridable per call
        self.client_name = client_name
        self._transport = None
        self._caller = None
        self._declared = set()

    def start(self):
        self._transport = Transport(self.amqp_uri, connection_name=self.client_name).start()
        try:
            self._caller = RpcCaller(self._transport, self.rpc_exchange, self.client_name).setup()
        except Exception:
            self._transport.close()
            raise
        return self

    def stop(self):
        if self._transport is None:
            return
        try:
            self._caller.delete_reply_queue()
        except (TransportError, TimeoutError) as exc:
            log.warning("reply queue not deleted: %s", exc)
        self._transport.close()
        self._transport = None

    __enter__ = start

    def __exit__(self, *exc_info):
        self.stop()

    def call_async(self, service, method, args=(), kwargs=None, timeout=None):
        headers = client_headers(self.client_name, self.context_data)
        return self._caller.call_async(service, method, args, kwargs, headers,
                                       self.timeout if timeout is None else timeout)

    def call(self, service, method, args=(), kwargs=None, timeout=None):
        return self.call_async(service, method, args, kwargs, timeout).result()

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        return ServiceProxy(self.call_async, service)

    __getitem__ = __getattr__

    def dispatch(self, source_service, event_type, payload):
        """Dispatch an event as if from `source_service` (like nameko's standalone dispatcher, but declaring)."""
        dispatch_event(self._transport, source_service, event_type, payload,
                       client_headers(self.client_name, self.context_data), self._declared)
