"""A testee written on raw pika, independent of the reference, with deliberate faults for the kit's self-tests.

    python raw_testee.py --fault none|<one of FAULTS>

Protocol faults: error-without-exc-path, error-reply-default-exchange, string-call-id-stack, wrong-queue-flags,
crash-without-reply-to, invoke-without-reply-to (runs the method of a request it cannot answer),
broadcast-queue-durable (the broadcast handler's queue survives its consumer), exclusive-consumer (a second
instance cannot consume rpc-S: instances do not share it), wrong-correlation-id, wrong-reply-key,
refused-exchange (declares the RPC exchange non-durable, which the broker refuses).
Hostile targets: random-bytes (every reply body is random bytes, right correlation id), garbage (each reply comes
with random-bytes messages under invented correlation ids and content types), exit-mid-run (exits at its 25th
request), silent (answers its first request only), drop-replies (drops every second reply), flood (every 10th
request gets 10,000 replies), huge-replies (every 10th reply carries a 50 MiB result), never-serves (connects,
declares nothing, and waits).

Configuration comes from the testee launch contract's environment variables. With ``--fault none`` it follows
the spec closely enough for the kit to pass every MUST. It is single-threaded: requests are served in order.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

import pika
import pika.exceptions

FAULTS = ("none", "error-without-exc-path", "error-reply-default-exchange", "string-call-id-stack",
          "wrong-queue-flags", "crash-without-reply-to", "invoke-without-reply-to", "broadcast-queue-durable",
          "exclusive-consumer", "wrong-correlation-id", "wrong-reply-key", "refused-exchange", "random-bytes",
          "garbage", "exit-mid-run", "silent", "drop-replies", "flood", "huge-replies", "never-serves")
EXIT_AT_REQUEST = 25
FLOOD_EVERY, FLOOD_COPIES = 10, 10_000
HUGE_EVERY, HUGE_BYTES = 10, 50 * 1024 * 1024
BUILTIN = "nameko.exceptions."
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class RemoteFailure(Exception):
    def __init__(self, exc_type: str, exc_path: str, message: str, exc_args: list | None = None):
        super().__init__(message)
        self.exc_type, self.exc_path, self.message = exc_type, exc_path, message
        self.exc_args = [message] if exc_args is None else exc_args


def builtin(name: str, message: str, exc_args: list | None = None) -> RemoteFailure:
    return RemoteFailure(name, BUILTIN + name, message, exc_args)


class Testee:
    def __init__(self, fault: str):
        self.fault = fault
        self.service = os.environ.get("NAMEKO_CONFORMANCE_SERVICE", "conformance")
        self.exchange = os.environ.get("NAMEKO_CONFORMANCE_RPC_EXCHANGE", "nameko-rpc")
        self.params = pika.URLParameters(os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI",
                                                        "amqp://guest:guest@127.0.0.1:5672/%2F"))
        self.events: list[dict] = []
        self.connection = pika.BlockingConnection(self.params)
        self.channel = self.connection.channel()
        self.client = pika.BlockingConnection(self.params)  # nested calls wait on it inside a request callback
        self.client_channel = self.client.channel()
        self.client_channel.confirm_delivery()
        self.reply_key = str(uuid.uuid4())
        self.client_replies: dict[str, bytes] = {}
        self.requests_seen = 0

    # -- topology ------------------------------------------------------------------------------------------------

    def declare(self) -> None:
        ch = self.channel
        # refused-exchange: the broker refuses this (406 PRECONDITION_FAILED) and the testee dies of it.
        ch.exchange_declare(self.exchange, "topic", durable=self.fault != "refused-exchange")
        queue = f"rpc-{self.service}"
        ch.queue_declare(queue, durable=True, auto_delete=self.fault == "wrong-queue-flags")
        ch.queue_bind(queue, self.exchange, routing_key=f"{self.service}.*")
        ch.basic_qos(prefetch_count=1)
        try:
            ch.basic_consume(queue, self.on_request, exclusive=self.fault == "exclusive-consumer")
        except pika.exceptions.ChannelClosedByBroker as exc:  # a second instance: logs, serves nothing more
            print(f"cannot consume {queue}: {exc}", file=sys.stderr, flush=True)
            self.channel = ch = self.connection.channel()
        ch.exchange_declare(f"{self.service}.events", "topic", durable=True)
        source = f"{self.service}_src"
        ch.exchange_declare(f"{source}.events", "topic", durable=True)
        handlers = {
            f"evt-{source}-ping--{self.service}.on_ping_pool": ("service_pool", {"durable": True}),
            f"evt-{source}-ping": ("singleton", {"durable": True}),
            f"evt-{source}-ping--{self.service}.on_ping_broadcast-{uuid.uuid4().hex}":
                ("broadcast", {"durable": True, "exclusive": self.fault != "broadcast-queue-durable",
                               "auto_delete": self.fault != "broadcast-queue-durable"}),
        }
        for name, (kind, flags) in handlers.items():
            ch.queue_declare(name, **flags)
            ch.queue_bind(name, f"{source}.events", routing_key="ping")
            ch.basic_consume(name, self.on_event(kind))
        cc = self.client_channel
        reply_queue = f"rpc.reply-{self.service}-{self.reply_key}"
        cc.queue_declare(reply_queue, durable=True, arguments={"x-expires": 300000})
        cc.queue_bind(reply_queue, self.exchange, routing_key=self.reply_key)
        cc.basic_consume(reply_queue, self.on_client_reply, auto_ack=True)

    # -- requests ------------------------------------------------------------------------------------------------

    def on_request(self, ch, method, props, body: bytes) -> None:
        """Serves one request; whatever the delivery holds, it is answered or acknowledged and logged (CONN-10)."""
        try:
            self.serve(ch, method, props, body)
        except Exception as exc:  # noqa: BLE001 - a delivery nothing could make sense of is dropped, not fatal
            print(f"dropped an unreadable request: {exc!r}", file=sys.stderr, flush=True)
            if ch.is_open:
                ch.basic_ack(method.delivery_tag)

    def serve(self, ch, method, props, body: bytes) -> None:
        self.requests_seen += 1
        if props.reply_to is None and self.fault == "crash-without-reply-to":
            os._exit(3)
        if self.fault == "exit-mid-run" and self.requests_seen >= EXIT_AT_REQUEST:
            print(f"exiting at request {self.requests_seen} (fault exit-mid-run)", file=sys.stderr, flush=True)
            os._exit(5)
        if (self.fault == "silent" and self.requests_seen > 1) or (
                self.fault == "drop-replies" and self.requests_seen % 2 == 0):
            ch.basic_ack(method.delivery_tag)
            return
        try:
            func_name = text(method.routing_key).split(".", 1)[1]
            args, kwargs = self.decode(props, body)
            stack = self.incoming_stack(props.headers) + [f"{self.service}.{func_name}.{uuid.uuid4()}"]
            context = {text(k)[len("nameko."):]: v for k, v in (props.headers or {}).items()
                       if text(k).startswith("nameko.") and text(k) != "nameko.call_id_stack"}
            if props.reply_to is None and self.fault != "invoke-without-reply-to":
                ch.basic_ack(method.delivery_tag)
                print(f"dropped a request without reply_to: {method.routing_key}", file=sys.stderr)
                return
            result, error = self.invoke(func_name, args, kwargs, context, stack), None
            try:
                # A strict UTF-8 encoding refuses lone surrogates as allow_nan refuses NaN (SER-3, SER-7).
                json.dumps(result, allow_nan=False, ensure_ascii=False).encode("utf-8")
            except (TypeError, ValueError):
                raise builtin("UnserializableValueError", f"Unserializable value: `{result!r}`", [])
        except RemoteFailure as exc:
            result, error = None, {"exc_type": exc.exc_type, "exc_path": exc.exc_path,
                                   "exc_args": exc.exc_args, "value": exc.message}
            if self.fault == "error-without-exc-path":
                del error["exc_path"]
        if props.reply_to is None:
            ch.basic_ack(method.delivery_tag)
            return
        reply_props = pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                           delivery_mode=2, correlation_id=props.correlation_id, headers={})
        exchange, key = self.exchange, props.reply_to
        if error is not None and self.fault == "error-reply-default-exchange":
            exchange = ""
        if self.fault == "wrong-correlation-id":
            reply_props.correlation_id = str(uuid.uuid4())
        if self.fault == "wrong-reply-key":
            key = f"reply.{props.reply_to}"
        if self.fault == "huge-replies" and self.requests_seen % HUGE_EVERY == 0:
            result = "x" * HUGE_BYTES
        body = json.dumps({"result": result, "error": error}).encode()
        if self.fault in ("random-bytes", "garbage"):
            body = os.urandom(64)
        ch.basic_publish(exchange, key, body, reply_props)
        if self.fault == "garbage":
            for content_type in ("application/json", "text/x-garbage", None):
                junk = pika.BasicProperties(content_type=content_type, correlation_id=os.urandom(8).hex(),
                                            headers={"nameko.junk": os.urandom(8).hex()})
                ch.basic_publish(exchange, key, os.urandom(256), junk)
        if self.fault == "flood" and self.requests_seen % FLOOD_EVERY == 0:
            for _ in range(FLOOD_COPIES):
                ch.basic_publish(exchange, key, body, reply_props)
        ch.basic_ack(method.delivery_tag)

    @staticmethod
    def incoming_stack(headers: dict | None) -> list:
        stack = (headers or {}).get("nameko.call_id_stack", [])
        if isinstance(stack, (str, bytes)):
            stack = [stack]
        if not isinstance(stack, list):
            stack = []
        return [text(s) if isinstance(s, bytes) else s for s in stack if isinstance(s, (str, bytes))][-10:]

    @staticmethod
    def decode(props, body: bytes) -> tuple[list, dict]:
        if props.content_type != "application/json":
            raise builtin("MalformedRequest", f"unsupported content type {props.content_type!r}")
        if len(body) > MAX_REQUEST_BYTES:
            raise builtin("MalformedRequest", "request too large")
        try:
            payload = json.loads(body.decode("utf-8"))
        except RecursionError:  # nesting beyond what the decoder bounds (CONN-13)
            raise builtin("MalformedRequest", "body nested too deep")
        except (UnicodeDecodeError, ValueError) as exc:
            raise builtin("MalformedRequest", f"body is not JSON: {exc.__class__.__name__}")
        if not isinstance(payload, dict):
            raise builtin("MalformedRequest", "body is not a JSON object")
        if "args" not in payload or "kwargs" not in payload:
            raise builtin("MalformedRequest", "Message missing `args` or `kwargs`")
        if not isinstance(payload["args"], list) or not isinstance(payload["kwargs"], dict):
            raise builtin("MalformedRequest", "`args` must be an array and `kwargs` an object")
        return payload["args"], payload["kwargs"]

    def invoke(self, name: str, args: list, kwargs: dict, context: dict, stack: list):
        methods = {
            "echo": lambda *a, **k: {"args": list(a), "kwargs": k},
            "raise_error": self.raise_error,
            "sleep": lambda seconds: (time.sleep(seconds), seconds)[1],
            "context": lambda: {"context": context, "call_id_stack": stack},
            "call": lambda service, method, args=(), kwargs=None: self.nested_call(
                service, method, list(args), kwargs or {}, context, stack),
            "dispatch": lambda event_type, payload: self.dispatch(event_type, payload, context, stack),
            "events_received": lambda: list(self.events),
            "unserializable": lambda: {1, 2},
        }
        if name not in methods:
            raise builtin("MethodNotFound", name)
        try:
            return methods[name](*args, **kwargs)
        except TypeError as exc:
            raise builtin("IncorrectSignature", f"{name}: {exc.__class__.__name__}")

    @staticmethod
    def raise_error(exc_type: str, message: str):
        raise RemoteFailure(exc_type, f"conformance.errors.{exc_type}", message)

    def outgoing_headers(self, context: dict, stack: list) -> dict:
        headers = {f"nameko.{k}": v for k, v in context.items()}
        headers["nameko.call_id_stack"] = stack[-1] if self.fault == "string-call-id-stack" else stack
        return headers

    def nested_call(self, service: str, method: str, args: list, kwargs: dict, context: dict, stack: list):
        correlation_id = str(uuid.uuid4())
        props = pika.BasicProperties(content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                     correlation_id=correlation_id, reply_to=self.reply_key,
                                     headers=self.outgoing_headers(context, stack))
        try:
            self.client_channel.basic_publish(self.exchange, f"{service}.{method}",
                                              json.dumps({"args": args, "kwargs": kwargs}).encode(), props,
                                              mandatory=True)
        except pika.exceptions.UnroutableError:
            raise builtin("UnknownService", f"Unknown service `{service}`", [service])
        deadline = time.monotonic() + 10
        while correlation_id not in self.client_replies:
            if time.monotonic() > deadline:
                raise RemoteFailure("RpcTimeout", "conformance.errors.RpcTimeout", "nested call timed out")
            self.client.process_data_events(time_limit=0.05)
        reply = json.loads(self.client_replies.pop(correlation_id))
        if reply["error"] is not None:
            e = reply["error"]
            raise RemoteFailure(e["exc_type"], e["exc_path"], e["value"], e["exc_args"])
        return reply["result"]

    def on_client_reply(self, ch, method, props, body: bytes) -> None:
        self.client_replies[props.correlation_id] = body

    def dispatch(self, event_type: str, payload, context: dict, stack: list) -> None:
        exchange = f"{self.service}.events"
        self.channel.exchange_declare(exchange, "topic", durable=True)
        props = pika.BasicProperties(content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                     headers=self.outgoing_headers(context, stack))
        self.channel.basic_publish(exchange, event_type, json.dumps(payload).encode(), props)

    def on_event(self, kind: str):
        def handle(ch, method, props, body: bytes) -> None:
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                print(f"dropped an undecodable event for {kind}", file=sys.stderr)
                ch.basic_ack(method.delivery_tag)
                return
            context = {k[len("nameko."):]: v for k, v in (props.headers or {}).items() if k.startswith("nameko.")}
            context["call_id_stack"] = self.incoming_stack(props.headers) + [
                f"{self.service}.on_ping_{kind}.{uuid.uuid4()}"]
            self.events.append({"handler": kind, "payload": payload, "context": context})
            ch.basic_ack(method.delivery_tag)
        return handle

    def run(self) -> None:
        self.declare()
        print(f"raw testee {self.service!r} serving (fault: {self.fault})", flush=True)
        try:
            self.channel.start_consuming()
        except KeyboardInterrupt:
            pass
        finally:
            # A client that goes away cleanly removes its reply queue rather than leave it to x-expires; the kit
            # only learns the queue's name from nested calls, which a run of a few requirements may not make.
            try:
                self.client_channel.queue_delete(f"rpc.reply-{self.service}-{self.reply_key}")
            except pika.exceptions.AMQPError:
                pass


def text(value) -> str:
    """A name that may arrive as bytes (invalid UTF-8): read as text with replacement characters."""
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", choices=FAULTS, default="none")
    parser.add_argument("--tag", default="", help="ignored: lets a self-test find this process afterwards")
    testee = Testee(parser.parse_args().fault)
    if testee.fault == "never-serves":
        while True:
            testee.connection.sleep(1)
    testee.run()


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
