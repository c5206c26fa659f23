"""The only module that speaks to the broker: one pika SelectConnection driven by its own I/O thread.

Pika's connection objects are not thread-safe. Everything that touches them runs on the I/O thread;
other threads hand work over with `add_callback_threadsafe`. Publishing never waits: publishes are
pipelined on one confirm-mode channel and each confirm is routed to the callback given with it.
"""

import logging
import threading
from concurrent.futures import Future

import pika
from pika.spec import Basic

from .codec import Message

log = logging.getLogger(__name__)

PROPERTY_NAMES = ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id", "reply_to",
                  "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id")


class TransportError(Exception):
    """The connection or a channel failed."""


def _message_from(method, properties, body):
    fields = {name: getattr(properties, name) for name in PROPERTY_NAMES if getattr(properties, name) is not None}
    return Message(body, fields, properties.headers, method.exchange, method.routing_key)


class Transport:
    def __init__(self, amqp_uri, prefetch_count=0, connection_name="nameko-reference"):
        self.amqp_uri = amqp_uri
        self.prefetch_count = prefetch_count
        self.connection_name = connection_name
        self._connection = None
        self._thread = None
        self._consume_channel = None
        self._publish_channel = None
        self._admin_channel = None
        self._admin_waiters = []  # operations waiting for an admin channel
        self._sync_futures = set()
        self._publish_seq = 0
        self._confirm_callbacks = {}  # delivery tag -> callback(acked: bool)
        self._return_listeners = []
        self._loss_listeners = []
        self._closing = False
        self._ready = Future()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, timeout=30):
        parameters = pika.URLParameters(self.amqp_uri)
        parameters.client_properties = {"connection_name": self.connection_name}
        self._thread = threading.Thread(target=self._run, args=(parameters,), name="amqp-io", daemon=True)
        self._thread.start()
        self._ready.result(timeout)
        return self

    def _run(self, parameters):
        try:
            self._connection = pika.SelectConnection(
                parameters, on_open_callback=self._on_connection_open,
                on_open_error_callback=self._on_open_error, on_close_callback=self._on_connection_closed)
        except Exception as exc:
            self._ready.set_exception(exc)
            return
        self._connection.ioloop.start()

    def _on_open_error(self, connection, error):
        self._ready.set_exception(TransportError(f"cannot connect: {error}"))
        connection.ioloop.stop()

    def _on_connection_open(self, connection):
        connection.channel(on_open_callback=self._on_consume_channel)

    def _on_consume_channel(self, channel):
        self._consume_channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        # RPC-REQ-16, SEC-6: no more unacknowledged deliveries per consumer than workers.
        channel.basic_qos(prefetch_count=self.prefetch_count,
                          callback=lambda _: self._connection.channel(on_open_callback=self._on_publish_channel))

    def _on_publish_channel(self, channel):
        self._publish_channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=lambda _: self._ready.set_result(True))

    def _on_channel_closed(self, channel, reason):
        if channel is self._admin_channel:
            self._admin_channel = None
            self._fail_sync(TransportError(f"broker refused the operation: {reason}"))
            return
        if not self._closing:
            log.error("AMQP channel %s closed: %s", channel, reason)
            self._fail_confirms()
            self._close_connection()

    def _on_connection_closed(self, connection, reason):
        if not self._ready.done():
            self._ready.set_exception(TransportError(f"connection closed: {reason}"))
        self._fail_sync(TransportError(f"connection closed: {reason}"))
        self._fail_confirms()
        if not self._closing:
            log.error("AMQP connection lost: %s", reason)
            for listener in self._loss_listeners:
                listener(TransportError(f"connection lost: {reason}"))
        connection.ioloop.stop()

    def _close_connection(self):
        if self._connection.is_open:
            self._connection.close()

    def close(self, timeout=10):
        if self._thread is None or not self._thread.is_alive():
            return
        self._closing = True
        self.call_soon(self._close_connection)
        self._thread.join(timeout)

    def on_connection_lost(self, listener):
        self._loss_listeners.append(listener)

    # -- running things on the I/O thread -------------------------------------------------------

    def on_io_thread(self):
        return threading.current_thread() is self._thread

    def call_soon(self, function, *args):
        if self.on_io_thread():
            function(*args)
        elif self._thread is None or not self._thread.is_alive():
            raise TransportError("the connection is closed")
        else:
            self._connection.ioloop.add_callback_threadsafe(lambda: function(*args))

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
                future.set_exception(exc)

        self.call_soon(self._with_admin_channel, start)
        try:
            return future.result(timeout)
        finally:
            self._sync_futures.discard(future)

    def _with_admin_channel(self, start):
        # Declarations run on their own channel: a refused one closes only that channel.
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
        """Deliver messages of `queue` to `on_message(message, delivery_tag)` on the I/O thread."""
        def deliver(channel, method, properties, body):
            on_message(_message_from(method, properties, body), method.delivery_tag)

        future = Future()

        def start():
            try:
                tag = self._consume_channel.basic_consume(queue, deliver, auto_ack=auto_ack,
                                                          callback=lambda _: future.set_result(tag))
            except Exception as exc:
                future.set_exception(exc)
        self.call_soon(start)
        return future.result(30)

    def cancel(self, consumer_tag, timeout=30):
        future = Future()

        def cancel_now():
            # The broker cancels a consumer itself when its queue is deleted; pika then forgets the tag and would
            # never confirm a second cancel, so there is nothing left to wait for.
            if consumer_tag not in self._consume_channel.consumer_tags:
                future.set_result(None)
                return
            self._consume_channel.basic_cancel(consumer_tag, callback=future.set_result)
        self.call_soon(cancel_now)
        future.result(timeout)

    def ack(self, delivery_tag):
        self.call_soon(self._consume_channel.basic_ack, delivery_tag)

    def reject(self, delivery_tag, requeue):
        self.call_soon(lambda: self._consume_channel.basic_nack(delivery_tag, requeue=requeue))

    # -- publishing -----------------------------------------------------------------------------

    def publish(self, message, on_confirm=None):
        """Publish on the confirm channel; `on_confirm(acked)` runs on the I/O thread when the broker answers."""
        self.call_soon(self._publish_now, message, on_confirm)

    def _publish_now(self, message, on_confirm):
        channel = self._publish_channel
        if channel is None or not channel.is_open:
            if on_confirm is not None:
                on_confirm(False)
            return
        properties = pika.BasicProperties(headers=message.headers, **message.properties)
        self._publish_seq += 1
        if on_confirm is not None:
            self._confirm_callbacks[self._publish_seq] = on_confirm
        channel.basic_publish(message.exchange, message.routing_key, message.body, properties,
                              mandatory=message.mandatory)

    def _on_confirm(self, frame):
        method = frame.method
        acked = isinstance(method, Basic.Ack)
        if not method.multiple:
            callback = self._confirm_callbacks.pop(method.delivery_tag, None)
            if callback is not None:
                callback(acked)
            return
        # Tags were inserted in increasing order, so the settled ones are at the front.
        for tag in list(self._confirm_callbacks):
            if tag > method.delivery_tag:
                break
            self._confirm_callbacks.pop(tag)(acked)

    def _fail_confirms(self):
        callbacks, self._confirm_callbacks = self._confirm_callbacks, {}
        for callback in callbacks.values():
            callback(False)

    def on_return(self, listener):
        """`listener(message)` runs on the I/O thread for every mandatory publish the broker returns."""
        self._return_listeners.append(listener)

    def _on_return(self, channel, method, properties, body):
        message = _message_from(method, properties, body)
        for listener in self._return_listeners:
            listener(message)

    def publish_and_wait(self, message, timeout=30):
        """Publish and block until the broker confirms; raise TransportError on a nack."""
        future = Future()
        self.publish(message, on_confirm=future.set_result)
        if not future.result(timeout):
            raise TransportError("the broker did not confirm the publish")
