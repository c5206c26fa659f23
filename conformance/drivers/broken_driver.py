#!/usr/bin/env python
"""A client driver (spec chapter 16) on raw pika that breaks the client rules on purpose, one `--fault` at a time.

Without a fault it is a small conforming client: reply queue bound with a uuid that it sends as `reply_to`,
mandatory publishes on a confirm channel, replies matched by correlation id, per-call timeouts. Each fault
breaks one rule so that the kit's client checks can be shown to catch it:

    reuse-correlation-id   every call carries the same correlation_id              (RPC-CORR-9)
    reply-to-queue-name    reply_to is the reply queue's name, which is not bound   (RPC-REQ-3, RPC-CORR-1)
    first-reply-wins       the first reply completes the oldest call, whatever its
                           correlation_id                                           (RPC-REPLY-11, RPC-CORR-8)
    string-call-id-stack   nameko.call_id_stack is sent as a string                 (CTX-2)
    ignore-timeout         waits for replies for ever                               (RPC-CALL-6)
    no-mandatory           publishes without mandatory or confirms, so an unknown
                           service is not detected                                  (RPC-CALL-1, RPC-REQ-8)
"""

import argparse
import json
import os
import sys
import time
import uuid

import pika
import pika.exceptions

FAULTS = ("reuse-correlation-id", "reply-to-queue-name", "first-reply-wins", "string-call-id-stack",
          "ignore-timeout", "no-mandatory")
CLIENT_KINDS = {"nameko.exceptions.MethodNotFound": "MethodNotFound",
                "nameko.exceptions.IncorrectSignature": "IncorrectSignature",
                "nameko.exceptions.MalformedRequest": "MalformedRequest"}


def error_outcome(kind, exc_type, message):
    return {"error": {"kind": kind, "exc_type": exc_type, "message": message}}


def outcome_from_reply(body):
    try:
        reply = json.loads(body.decode("utf-8"))
        error = reply.get("error")
    except (ValueError, AttributeError) as exc:
        return error_outcome("protocol", type(exc).__name__, f"undecodable reply: {exc}")
    if error:
        kind = CLIENT_KINDS.get(error.get("exc_path"), "remote")
        return error_outcome(kind, str(error.get("exc_type")), str(error.get("value")))
    return {"result": reply.get("result")}


class BrokenClient:
    def __init__(self, uri, exchange, faults):
        self.faults = set(faults)
        self.exchange = exchange
        self.connection = pika.BlockingConnection(pika.URLParameters(uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self.reply_key = str(uuid.uuid4())
        self.reply_queue = f"rpc.reply-broken_driver-{self.reply_key}"
        self.channel.queue_declare(self.reply_queue, exclusive=True, auto_delete=True)
        self.channel.queue_bind(self.reply_queue, exchange, routing_key=self.reply_key)
        if "no-mandatory" not in self.faults:
            self.channel.confirm_delivery()
        self.shared_correlation_id = str(uuid.uuid4())
        self.client_id = f"broken_driver.call.{uuid.uuid4()}"
        self.replies = []
        self.channel.basic_consume(self.reply_queue, self._on_reply, auto_ack=True)

    def _on_reply(self, channel, method, properties, body):
        self.replies.append((properties.correlation_id, body))

    def publish(self, call):
        correlation_id = (self.shared_correlation_id if "reuse-correlation-id" in self.faults
                          else str(uuid.uuid4()))
        headers = {f"nameko.{key}": value for key, value in (call.get("context") or {}).items()}
        stack = [self.client_id]
        headers["nameko.call_id_stack"] = stack[0] if "string-call-id-stack" in self.faults else stack
        reply_to = self.reply_queue if "reply-to-queue-name" in self.faults else self.reply_key
        properties = pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                          delivery_mode=2, correlation_id=correlation_id, reply_to=reply_to,
                                          headers=headers)
        body = json.dumps({"args": call.get("args", []), "kwargs": call.get("kwargs", {})}).encode("utf-8")
        routing_key = f"{call['service']}.{call['method']}"
        mandatory = "no-mandatory" not in self.faults
        try:
            self.channel.basic_publish(self.exchange, routing_key, body, properties, mandatory=mandatory)
        except pika.exceptions.UnroutableError:
            return correlation_id, error_outcome("UnknownService", "UnknownService",
                                                 f"Unknown service `{call['service']}`")
        return correlation_id, None

    def run(self, calls):
        outcomes = [None] * len(calls)
        waiting = []     # (index, correlation_id, deadline or None)
        for index, call in enumerate(calls):
            correlation_id, failure = self.publish(call)
            if failure is not None:
                outcomes[index] = failure
                continue
            timeout = None if "ignore-timeout" in self.faults else call.get("timeout")
            waiting.append((index, correlation_id, None if timeout is None else time.monotonic() + timeout))
        while waiting:
            self.connection.process_data_events(time_limit=0.05)
            while self.replies and waiting:
                correlation_id, body = self.replies.pop(0)
                if "first-reply-wins" in self.faults:
                    match = waiting[0]
                else:
                    match = next((entry for entry in waiting if entry[1] == correlation_id), None)
                    if match is None:
                        continue   # a reply to no outstanding call is discarded (RPC-CORR-8)
                waiting.remove(match)
                outcomes[match[0]] = outcome_from_reply(body)
            now = time.monotonic()
            for entry in [entry for entry in waiting if entry[2] is not None and entry[2] <= now]:
                waiting.remove(entry)
                outcomes[entry[0]] = error_outcome("timeout", "timeout", "no reply within the call's timeout")
        return outcomes

    def close(self):
        if self.connection.is_open:
            self.connection.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fault", action="append", choices=FAULTS, default=[],
                        help="a rule to break; repeat for several")
    options = parser.parse_args(argv)
    job = json.load(sys.stdin)
    client = BrokenClient(os.environ["NAMEKO_CONFORMANCE_AMQP_URI"],
                          os.environ.get("NAMEKO_CONFORMANCE_RPC_EXCHANGE") or "nameko-rpc", options.fault)
    try:
        outcomes = client.run(job["calls"])
    finally:
        client.close()
    sys.stdout.write(json.dumps({"outcomes": outcomes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
