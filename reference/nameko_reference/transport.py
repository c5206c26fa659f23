"""The only module that speaks to the broker: pika SelectConnections driven by one I/O thread.

Pika's connection objects are not thread-safe. Everything that touches them runs on the I/O thread;
other threads hand work over with `add_callback_threadsafe`. Publishing never waits: publishes are
pipelined on one confirm-mode channel and each confirm is routed to the callback given with it.

The I/O loop outlives its connections (spec chapter 17): when a connection breaks, the transport
connects again with backoff, trying the broker URIs in turn, and then runs the recovery listeners on a
thread of their own, where they may declare and consume again. Each connection has a generation number;
a delivery tag carries the generation it came from, so an acknowledgement meant for a broken
connection is dropped instead of reaching a new channel (CONN-3).
"""

import logging
import threading
import time
from concurrent.futures import Future
from urllib.parse import parse_qs, urlsplit

import pika
from pika.adapters.select_connection import IOLoop
from pika.spec import Basic

from .codec import Message

log = logging.getLogger(__name__)

PROPERTY_NAMES = ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id", "reply_to",
                  "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id")

# CONN-8: a silent or frozen broker is noticed within 2 * (HEARTBEAT + 5) s (pika checks every heartbeat + 5 s);
# a connection the broker blocks (memory or disk alarm) for longer than BLOCKED_TIMEOUT is given up and remade.
HEARTBEAT = 5
BLOCKED_TIMEOUT = 30
SOCKET_TIMEOUT = 5
# CONN-4: the first pass over the URIs is immediate; after each full pass the wait doubles up to the cap.
BACKOFF_FIRST = 0.25
BACKOFF_CAP = 2.0


class _WithoutTraceback(logging.Filter):
    """pika logs a broken socket with a traceback; the transport reports each loss in one line of its own."""

    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        message = record.getMessage()
        cut = min((message.find(marker) for marker in ("Caller's stack", "Traceback (most recent call last)")
                   if marker in message), default=-1)
        if cut >= 0:  # some pika messages carry a formatted stack in their text
            record.msg, record.args = message[:cut].rstrip("; :\n"), None
        return True


for _name in ("pika.adapters.utils.io_services_utils", "pika.adapters.base_connection",
              "pika.adapters.utils.connection_workflow", "pika.adapters.select_connection", "pika.connection",
              "pika.channel"):
    logging.getLogger(_name).addFilter(_WithoutTraceback())


class TransportError(Exception):
    """The connection or a channel failed."""


def broker_uris(amqp_uri):
    """A list of broker URIs from one URI, a list, or one string of URIs separated by commas or whitespace."""
    if isinstance(amqp_uri, str):
        uris = amqp_uri.replace(",", " ").split()
    else:
        uris = [uri for uri in amqp_uri]
    if not uris:
        raise ValueError("no broker URI given")
    return uris


def backoff_delay(failures, uri_count, first=BACKOFF_FIRST, cap=BACKOFF_CAP):
    """Seconds to wait after `failures` consecutive failed attempts over `uri_count` URIs."""
    if failures % uri_count:
        return 0.0  # the rest of this pass over the URIs goes at once
    passes = failures // uri_count
    return min(cap, first * 2 ** (passes - 1))


def _message_from(method, properties, body):
    fields = {name: getattr(properties, name) for name in PROPERTY_NAMES if getattr(properties, name) is not None}
    return Message(body, fields, properties.headers, method.exchange, method.routing_key)


class Transport:
    def __init__(self, amqp_uri, prefetch_count=0, connection_name="nameko-reference", reconnect=True,
                 heartbeat=HEARTBEAT, blocked_connection_timeout=BLOCKED_TIMEOUT):
        self.uris = broker_uris(amqp_uri)
        self.amqp_uri = self.uris[0]
        self.prefetch_count = prefetch_count
        self.connection_name = connection_name
        self.reconnect = reconnect
        self.heartbeat = heartbeat
        self.blocked_connection_timeout = blocked_connection_timeout
        self.generation = 0  # of the connection that is open, or was open last
        self.connected_uri = None
        self.connections_made = 0
        self._ioloop = None
        self._connection = None
        self._connected = False
        self._thread = None
        self._consume_channel = None
        self._publish_channel = None
        self._admin_channel = None
        self._admin_waiters = []  # operations waiting for an admin channel
        self._sync_futures = set()  # operations on the admin channel
        self._channel_futures = set()  # consume and cancel, on the consume channel
        self._publish_seq = 0
        self._confirm_callbacks = {}  # delivery tag -> callback(acked: bool)
        self._backlog = []  # publishes waiting for a publish channel that is being reopened
        self._return_listeners = []
        self._loss_listeners = []
        self._recovery_listeners = []
        self._closing = False
        self._failures = 0
        self._last_error = None
        self.last_refusal = None  # why the broker last closed the publish channel
        self._ready = Future()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout=30):
        self._ioloop = IOLoop()
        self._deadline = time.monotonic() + timeout
        self._thread = threading.Thread(target=self._run, name="amqp-io", daemon=True)
        self._thread.start()
        try:
            self._ready.result(timeout)
        except Exception as exc:
            self.close()
            if isinstance(exc, TransportError):
                raise
            raise TransportError(f"cannot connect to {[_safe_uri(uri) for uri in self.uris]} within {timeout} s "
                                 f"(last error: {describe(self._last_error)})") from exc
        return self

    @property
    def connected(self):
        return self._connected

    def _run(self):
        self._ioloop.add_callback_threadsafe(self._connect)
        self._ioloop.start()
        self._ioloop.close()

    def _parameters(self, uri):
        parameters = pika.URLParameters(uri)
        query = parse_qs(urlsplit(uri).query)
        if "heartbeat" not in query:
            parameters.heartbeat = self.heartbeat
        if "blocked_connection_timeout" not in query:
            parameters.blocked_connection_timeout = self.blocked_connection_timeout
        if "socket_timeout" not in query:
            parameters.socket_timeout = SOCKET_TIMEOUT
        parameters.connection_attempts = 1  # the transport retries, over all URIs
        parameters.client_properties = {"connection_name": self.connection_name}
        return parameters

    def _connect(self):
        if self._closing:
            self._ioloop.stop()
            return
        uri = self.uris[self._failures % len(self.uris)]
        self._attempted_uri = uri
        try:
            self._connection = pika.SelectConnection(
                self._parameters(uri), on_open_callback=self._on_connection_open,
                on_open_error_callback=self._on_open_error, on_close_callback=self._on_connection_closed,
                custom_ioloop=self._ioloop)
        except Exception as exc:
            self._connection = None
            self._retry(exc)

    def _retry(self, error):
        """Schedule the next attempt, or give up when this transport does not (or no longer) try."""
        self._failures += 1
        self._last_error = error
        if self._closing:
            self._ioloop.stop()
            return
        first = not self._ready.done()
        if first and login_refused(error):
            # Users are cluster-wide: another node or another try would refuse the same login.
            self._ready.set_exception(TransportError(
                f"the broker refused the login at {_safe_uri(self._attempted_uri)}: {describe(error)}"))
            self._ioloop.stop()
            return
        if (first and time.monotonic() >= self._deadline) or (not first and not self.reconnect):
            if first:
                self._ready.set_exception(TransportError(
                    f"cannot connect to {[_safe_uri(uri) for uri in self.uris]}: {describe(error)}"))
            self._ioloop.stop()
            return
        delay = backoff_delay(self._failures, len(self.uris))
        log.warning("AMQP connection to %s failed (%s); next attempt in %.2f s", _safe_uri(self._attempted_uri),
                    describe(error), delay)
        self._ioloop.call_later(delay, self._connect)

    def _on_open_error(self, connection, error):
        self._retry(error)

    def _on_connection_open(self, connection):
        connection.channel(on_open_callback=self._on_consume_channel)

    def _on_consume_channel(self, channel):
        self._consume_channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        # RPC-REQ-16, SEC-6: no more unacknowledged deliveries per consumer than workers.
        channel.basic_qos(prefetch_count=self.prefetch_count,
                          callback=lambda _: self._connection.channel(on_open_callback=self._on_publish_channel))

    def _on_publish_channel(self, channel):
        self._publish_channel = None
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=lambda _: self._on_publish_ready(channel))

    def _on_publish_ready(self, channel):
        self._publish_channel = channel
        self._publish_seq = 0
        if not self._connected:
            self._on_connection_ready()
        backlog, self._backlog = self._backlog, []
        for message, on_confirm in backlog:
            self._publish_now(message, on_confirm)

    def _on_connection_ready(self):
        self._connected = True
        self._failures = 0
        self.generation += 1
        self.connections_made += 1
        self.connected_uri = self._attempted_uri
        if not self._ready.done():
            self._ready.set_result(True)
            return
        log.warning("AMQP connection re-established to %s", _safe_uri(self.connected_uri))
        generation = self.generation
        threading.Thread(target=self._recover, args=(generation,), name="amqp-recovery", daemon=True).start()

    def _recover(self, generation):
        """Run the recovery listeners off the I/O thread; when one fails, the connection is made again."""
        for listener in list(self._recovery_listeners):
            if generation != self.generation or not self._connected:
                return  # broken again meanwhile: the next connection recovers
            try:
                listener()
            except Exception as exc:
                log.error("recovery after reconnection failed (%s: %s); reconnecting", type(exc).__name__, exc)
                self.call_soon(self._drop_connection, generation)
                return

    def _drop_connection(self, generation):
        if generation == self.generation and self._connection is not None and self._connection.is_open:
            self._connection.close(320, "recovery failed")

    def _on_channel_closed(self, channel, reason):
        if channel is self._admin_channel:
            self._admin_channel = None
            self._fail_sync(TransportError(f"broker refused the operation: {reason}"))
            return
        if self._closing or self._connection is None or not self._connection.is_open:
            return  # the connection is going; _on_connection_closed cleans up
        if channel is self._publish_channel or self._publish_channel is None and channel is not self._consume_channel:
            # CONN-12: e.g. 406 for a message above the broker's size limit. The connection stays; the
            # unconfirmed publishes fail and the channel is opened again.
            log.error("AMQP publish channel closed by the broker: %s; reopening it", reason)
            self.last_refusal = str(reason)
            self._publish_channel = None
            self._fail_confirms()
            self._connection.channel(on_open_callback=self._on_publish_channel)
            return
        log.error("AMQP consume channel closed by the broker: %s; reconnecting", reason)
        self._connection.close(320, "consume channel closed")

    def _on_connection_closed(self, connection, reason):
        was_connected = self._connected
        self._connected = False
        self._consume_channel = self._publish_channel = self._admin_channel = None
        self._admin_waiters = []
        self._fail_sync(TransportError(f"connection closed: {reason}"))
        for future in list(self._channel_futures):
            if not future.done():
                future.set_exception(TransportError(f"connection closed: {reason}"))
        self._fail_confirms()
        backlog, self._backlog = self._backlog, []
        for _, on_confirm in backlog:
            if on_confirm is not None:
                _guarded(on_confirm, False)
        if self._closing:
            self._ioloop.stop()
            return
        if was_connected:
            log.error("AMQP connection lost: %s", reason)
            for listener in self._loss_listeners:
                try:
                    listener(TransportError(f"connection lost: {reason}"))
                except Exception as exc:
                    log.error("connection loss listener failed: %s: %s", type(exc).__name__, exc)
        self._retry(reason)

    def _shutdown(self):
        connection = self._connection
        if connection is not None and not (connection.is_closing or connection.is_closed):
            try:
                connection.close()
                return  # _on_connection_closed stops the loop
            except Exception as exc:
                log.debug("close while connecting: %s", exc)
        if connection is None or connection.is_closed:
            self._ioloop.stop()

    def close(self, timeout=10):
        if self._thread is None or not self._thread.is_alive():
            return
        self._closing = True
        self._ioloop.add_callback_threadsafe(self._shutdown)
        self._thread.join(timeout)

    def on_connection_lost(self, listener):
        """`listener(error)` runs on the I/O thread each time an open connection breaks."""
        self._loss_listeners.append(listener)

    def on_reconnected(self, listener):
        """`listener()` runs on a recovery thread after each reconnection, in the order registered."""
        self._recovery_listeners.append(listener)

    # -- running things on the I/O thread -------------------------------------------------------

    def on_io_thread(self):
        return threading.current_thread() is self._thread

    def call_soon(self, function, *args):
        if self.on_io_thread():
            function(*args)
        elif self._thread is None or not self._thread.is_alive():
            raise TransportError("the connection is closed")
        else:
            self._ioloop.add_callback_threadsafe(lambda: _guarded(function, *args))

    def _blocking(self, operation, timeout=30):
        """Run `operation(channel, done)` on an admin channel; wait until it calls `done(frame)`."""
        if self.on_io_thread():
            raise RuntimeError("blocking broker operations cannot run on the I/O thread")
        future = Future()
        self._sync_futures.add(future)

        def done(frame=None):
            if not future.done():
                future.set_result(frame)

        def start(channel):
            try:
                operation(channel, done)
            except Exception as exc:
                _settle_future(future, error=exc)

        self.call_soon(self._with_admin_channel, start, future)
        try:
            return future.result(timeout)
        finally:
            self._sync_futures.discard(future)

    def _with_admin_channel(self, start, future):
        # Declarations run on their own channel: a refused one closes only that channel.
        if not self._connected:
            _settle_future(future, error=TransportError("not connected to the broker"))
            return
        if self._admin_channel is not None and self._admin_channel.is_open:
            start(self._admin_channel)
            return
        self._admin_waiters.append(start)
        if len(self._admin_waiters) == 1:
            self._connection.channel(on_open_callback=self._on_admin_channel)

    def _on_admin_channel(self, channel):
        self._admin_channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        waiters, self._admin_waiters = self._admin_waiters, []
        for start in waiters:
            start(channel)

    def _fail_sync(self, error):
        for future in list(self._sync_futures):
            if not future.done():
                future.set_exception(error)

    # -- declarations ---------------------------------------------------------------------------

    def declare_exchange(self, name, exchange_type="topic"):
        # TOPO-2, EVT-3: durable, not auto-delete, not internal, no arguments.
        self._blocking(lambda ch, done: ch.exchange_declare(name, exchange_type, durable=True, callback=done))

    def declare_queue(self, name, durable=True, exclusive=False, auto_delete=False, arguments=None):
        self._blocking(lambda ch, done: ch.queue_declare(name, durable=durable, exclusive=exclusive,
                                                         auto_delete=auto_delete, arguments=arguments, callback=done))

    def bind_queue(self, queue, exchange, routing_key):
        self._blocking(lambda ch, done: ch.queue_bind(queue, exchange, routing_key, callback=done))

    def delete_queue(self, name):
        self._blocking(lambda ch, done: ch.queue_delete(name, callback=done))

    def delete_exchange(self, name):
        self._blocking(lambda ch, done: ch.exchange_delete(name, callback=done))

    # -- consuming ------------------------------------------------------------------------------

    def consume(self, queue, on_message, auto_ack=False):
        """Deliver messages of `queue` to `on_message(message, delivery_tag)` on the I/O thread.

        The delivery tag is opaque: pass it back to `ack` or `reject`.
        """
        future = Future()

        def start():
            if not self._connected:
                _settle_future(future, error=TransportError("not connected to the broker"))
                return
            generation = self.generation

            def deliver(channel, method, properties, body):
                _guarded(lambda: on_message(_message_from(method, properties, body), (generation, method.delivery_tag)))
            try:
                tag = self._consume_channel.basic_consume(
                    queue, deliver, auto_ack=auto_ack, callback=lambda _: _settle_future(future, tag))
            except Exception as exc:
                _settle_future(future, error=exc)
        return self._await(future, start)

    def _await(self, future, start, timeout=30):
        """Run `start` on the I/O thread and wait for `future`, which a broken connection fails at once."""
        self._channel_futures.add(future)
        try:
            self.call_soon(start)
            return future.result(timeout)
        finally:
            self._channel_futures.discard(future)

    def cancel(self, consumer_tag, timeout=30):
        future = Future()

        def cancel_now():
            # The broker cancels a consumer itself when its queue is deleted; pika then forgets the tag and would
            # never confirm a second cancel, so there is nothing left to wait for. A broken connection has no
            # consumers either.
            channel = self._consume_channel
            if not self._connected or channel is None or consumer_tag not in channel.consumer_tags:
                _settle_future(future)
                return
            channel.basic_cancel(consumer_tag, callback=lambda frame: _settle_future(future, frame))
        try:
            self._await(future, cancel_now, timeout)
        except TransportError:
            pass  # the connection broke meanwhile, and its consumers with it

    def is_current(self, delivery_tag):
        """Whether a delivery came over the connection that is open now (else the broker has requeued it)."""
        return self._connected and delivery_tag[0] == self.generation

    def ack(self, delivery_tag):
        self.call_soon(self._settle_now, delivery_tag, lambda channel, tag: channel.basic_ack(tag))

    def reject(self, delivery_tag, requeue):
        self.call_soon(self._settle_now, delivery_tag,
                       lambda channel, tag: channel.basic_nack(tag, requeue=requeue))

    def _settle_now(self, delivery_tag, settle):
        generation, tag = delivery_tag
        channel = self._consume_channel
        if generation != self.generation or channel is None or not channel.is_open:
            # CONN-3: the channel it came over is gone, and with it the delivery; the broker requeued it.
            log.info("acknowledgement of delivery %s dropped: its connection is gone", tag)
            return
        settle(channel, tag)

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, message, on_confirm=None):
        """Publish on the confirm channel; `on_confirm(acked)` runs on the I/O thread when the broker answers,
        or with False when the publish cannot be made or its channel or connection breaks first."""
        try:
            self.call_soon(self._publish_now, message, on_confirm)
        except TransportError:
            if on_confirm is not None:
                on_confirm(False)

    def _publish_now(self, message, on_confirm):
        if not self._connected:
            if on_confirm is not None:
                on_confirm(False)
            return
        channel = self._publish_channel
        if channel is None or not channel.is_open:
            self._backlog.append((message, on_confirm))  # the channel is being reopened
            return
        try:
            properties = pika.BasicProperties(headers=message.headers, **message.properties)
            channel.basic_publish(message.exchange, message.routing_key, message.body, properties,
                                  mandatory=message.mandatory)
        except Exception as exc:  # a value pika cannot encode: this publish fails, nothing else
            log.error("publish to %r failed: %s: %s", message.routing_key, type(exc).__name__, exc)
            if on_confirm is not None:
                on_confirm(False)
            return
        self._publish_seq += 1
        if on_confirm is not None:
            self._confirm_callbacks[self._publish_seq] = on_confirm

    def _on_confirm(self, frame):
        method = frame.method
        acked = isinstance(method, Basic.Ack)
        if not method.multiple:
            callback = self._confirm_callbacks.pop(method.delivery_tag, None)
            if callback is not None:
                _guarded(callback, acked)
            return
        # Tags were inserted in increasing order, so the settled ones are at the front.
        for tag in list(self._confirm_callbacks):
            if tag > method.delivery_tag:
                break
            _guarded(self._confirm_callbacks.pop(tag), acked)

    def _fail_confirms(self):
        callbacks, self._confirm_callbacks = self._confirm_callbacks, {}
        for callback in callbacks.values():
            _guarded(callback, False)

    def on_return(self, listener):
        """`listener(message)` runs on the I/O thread for every mandatory publish the broker returns."""
        self._return_listeners.append(listener)

    def _on_return(self, channel, method, properties, body):
        message = _message_from(method, properties, body)
        for listener in self._return_listeners:
            _guarded(listener, message)

    def publish_and_wait(self, message, timeout=30):
        """Publish and block until the broker confirms; raise TransportError on a nack."""
        future = Future()
        self.publish(message, on_confirm=lambda acked: _settle_future(future, acked))
        if not future.result(timeout):
            raise TransportError("the broker did not confirm the publish")


def _guarded(function, *args):
    """Run work handed to the I/O thread; a failure is logged in one line and never ends the I/O loop."""
    try:
        function(*args)
    except Exception as exc:
        log.error("I/O thread task %s failed: %s: %s", getattr(function, "__name__", function),
                  type(exc).__name__, exc)


def _settle_future(future, result=None, error=None):
    """Settle a future unless a broken connection has settled it first."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def describe(error):
    """A readable one-line account of a connection error (some pika errors have an empty str)."""
    text = str(error)
    return text if text.strip("() ,") else repr(error)


def login_refused(error):
    """Whether a connection attempt failed because the broker refused the credentials or the vhost."""
    refusals = (pika.exceptions.ProbableAuthenticationError, pika.exceptions.ProbableAccessDeniedError,
                pika.exceptions.AuthenticationError)
    if isinstance(error, refusals):
        return True
    text = str(error)
    return "ACCESS_REFUSED" in text or "(403)" in text or "NOT_ALLOWED" in text


def _safe_uri(uri):
    """The URI without its password, for logs."""
    parts = urlsplit(uri or "")
    if parts.password:
        return uri.replace(f":{parts.password}@", ":***@", 1)
    return uri
