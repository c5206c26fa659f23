"""RPC calls and event dispatch over a Transport (spec chapters 02, 05, 06, 07 and 08)."""

import logging
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from . import codec, names
from .client_core import MAX_REPLY_BYTES, MAX_REQUEST_BYTES, CallTable, Settled
from .context import client_headers
from .errors import ConnectionLost
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
    """Makes calls over one transport through one reply queue, declared before the first call (RPC-CORR-7).

    When the connection breaks, every outstanding call fails at once with ConnectionLost, and so does every call
    made before the caller has its reply queue again (CONN-6). After a reconnection the caller declares a new
    reply queue with a new `reply_to` (the old one may have lived on a node that is gone) and deletes the old one
    when it still can (CONN-7).
    """

    def __init__(self, transport, exchange, client_name, max_reply_bytes=MAX_REPLY_BYTES,
                 max_request_bytes=MAX_REQUEST_BYTES):
        self.transport = transport
        self.exchange = exchange
        self.client_name = client_name
        self.reply_to = names.new_reply_to()
        self.queue = names.reply_queue(client_name, self.reply_to)
        self.table = CallTable(exchange, self.reply_to, max_reply_bytes, max_request_bytes)
        self._setup_lock = threading.Lock()
        self._ready = False
        self._listening = False
        self._stopped = False

    def setup(self):
        with self._setup_lock:
            if self._ready:
                return self
            if not self._listening:
                self.transport.on_return(self._on_return)
                self.transport.on_connection_lost(self._on_connection_lost)
                self.transport.on_reconnected(self._on_reconnected)
                self._listening = True
            self._declare_and_consume()
        return self

    def _declare_and_consume(self):
        self.transport.declare_exchange(self.exchange)  # TOPO-2
        # RPC-CORR-5, RPC-CORR-6: durable, expires 5 minutes after its last consumer is gone.
        self.transport.declare_queue(self.queue, arguments=dict(names.REPLY_QUEUE_ARGUMENTS))
        self.transport.bind_queue(self.queue, self.exchange, self.reply_to)  # RPC-CORR-1
        # Replies are acknowledged on delivery; an unknown one is thereby acked and dropped (RPC-CORR-8).
        self.transport.consume(self.queue, self._on_reply, auto_ack=True)
        self._ready = True

    def _on_reconnected(self):
        with self._setup_lock:
            if self._stopped:
                return
            old_queue = self.queue
            self.reply_to = names.new_reply_to()
            self.queue = names.reply_queue(self.client_name, self.reply_to)
            self.table.reply_to = self.reply_to
            self._declare_and_consume()
        try:
            self.transport.delete_queue(old_queue)
        except Exception as exc:  # e.g. its node is down; x-expires removes it in the end
            log.info("old reply queue %s not deleted: %s", old_queue, exc)

    def delete_reply_queue(self):
        self._stopped = True
        if self._ready:
            self._ready = False
            self.transport.delete_queue(self.queue)

    def call_async(self, service, method, args=(), kwargs=None, headers=None, timeout=None):
        if not self._listening:
            self.setup()  # the first call declares the reply queue; after a reconnection recovery does
        future = Future()
        message = self.table.new_call(service, method, args, kwargs or {}, headers, future)  # RequestTooLarge
        correlation_id = message.properties["correlation_id"]
        handle = AsyncReply(self, correlation_id, future, timeout)
        if not self._ready or not self.transport.connected:
            self._settle(self.table.on_lost(correlation_id, ConnectionLost(
                "not connected to the broker (reconnecting); the request was not sent")))
            return handle
        generation = self.transport.generation
        self.transport.publish(message, on_confirm=lambda acked: acked or self._on_unconfirmed(correlation_id,
                                                                                               generation))
        return handle

    def _on_unconfirmed(self, correlation_id, generation):
        if self.transport.connected and self.transport.generation == generation:
            self._settle(self.table.on_nack(correlation_id))
        else:
            self._settle(self.table.on_lost(correlation_id, ConnectionLost(
                "the connection to the broker broke before the request was confirmed")))

    def _settle(self, outcome):
        if not isinstance(outcome, Settled):
            log.debug("ignored: %s", outcome.reason)
        elif outcome.error is not None:
            outcome.token.set_exception(outcome.error)
        else:
            outcome.token.set_result(outcome.value)

    def _on_reply(self, message, delivery_tag):
        try:
            outcome = self.table.on_reply(message)
        except Exception as exc:  # CONN-10: nothing a reply holds may break the I/O thread
            log.error("reply dropped: %s: %s", type(exc).__name__, exc)
            return
        if not isinstance(outcome, Settled):
            log.warning("%s", outcome.reason)  # RPC-CORR-8: logged, then dropped
        self._settle(outcome)

    def _on_return(self, message):
        if message.properties.get("reply_to") == self.reply_to:
            self._settle(self.table.on_return(message))  # RPC-CALL-1

    def _on_connection_lost(self, error):
        self._ready = False
        lost = ConnectionLost(f"the connection to the broker broke while the call was outstanding ({error}); "
                              "the request may or may not have run")
        for outcome in self.table.fail_all(lost):
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
                 timeout=None, client_name="reference_rpc_client", max_reply_bytes=MAX_REPLY_BYTES,
                 max_request_bytes=MAX_REQUEST_BYTES, reconnect=True, transport_options=None):
        self.amqp_uri = amqp_uri
        self.max_reply_bytes = max_reply_bytes
        self.max_request_bytes = max_request_bytes
        self.reconnect = reconnect
        self.transport_options = dict(transport_options or {})
        self.rpc_exchange = rpc_exchange
        self.context_data = dict(context_data or {})
        self.timeout = timeout  # RPC-CALL-2: the default of every call, overridable per call
        self.client_name = client_name
        self._transport = None
        self._caller = None
        self._declared = set()

    def start(self):
        self._transport = Transport(self.amqp_uri, connection_name=self.client_name, reconnect=self.reconnect,
                                    **self.transport_options).start()
        try:
            self._caller = RpcCaller(self._transport, self.rpc_exchange, self.client_name, self.max_reply_bytes,
                                     self.max_request_bytes).setup()
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
