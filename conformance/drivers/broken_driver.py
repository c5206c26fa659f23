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
    crash-on-undecodable   exits with status 1, without outcomes, on a reply it
                           cannot decode                                            (RPC-CORR-14)
    hang-on-undecodable    after a reply it cannot decode, waits for ever, its
                           calls' timeouts forgotten                                (RPC-CORR-14, RPC-CALL-6)

Options that are no faults, for the kit's own tests of the contract (spec 16):

    --chatty               prints junk on standard output, as a chatty library does; the outcome goes to the file
                           named by NAMEKO_CONFORMANCE_OUTCOME_FILE, so it survives
    --single-error-class   reports every error reply as kind `remote` with its exc_type, as a driver of a library
                           with one error class does
    --lacks FEATURE        declares a feature absent (describe job) and does without it: `context` (no context
                           headers), `call-ids` (no call id stack), `kwargs`, `timeouts` (waits for ever),
                           `exchange` (always nameko-rpc)
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
          "ignore-timeout", "no-mandatory", "crash-on-undecodable", "hang-on-undecodable")
FEATURES = ("context", "call-ids", "kwargs", "timeouts", "exchange")
OUTCOME_FILE_VARIABLE = "NAMEKO_CONFORMANCE_OUTCOME_FILE"
CLIENT_KINDS = {"nameko.exceptions.MethodNotFound": "MethodNotFound",
                "nameko.exceptions.IncorrectSignature": "IncorrectSignature",
                "nameko.exceptions.MalformedRequest": "MalformedRequest"}


def error_outcome(kind, exc_type, message):
    return {"error": {"kind": kind, "exc_type": exc_type, "message": message}}


class Undecodable(Exception):
    pass


def outcome_from_reply(body, single_error_class=False):
    try:
        reply = json.loads(body.decode("utf-8"))
        error = reply.get("error")
    except (ValueError, AttributeError) as exc:
        raise Undecodable(f"undecodable reply: {exc}") from exc
    if error:
        kind = "remote" if single_error_class else CLIENT_KINDS.get(error.get("exc_path"), "remote")
        return error_outcome(kind, str(error.get("exc_type")), str(error.get("value")))
    return {"result": reply.get("result")}


class BrokenClient:
    def __init__(self, uri, exchange, faults, lacks=(), single_error_class=False):
        self.faults = set(faults)
        self.lacks = set(lacks)
        self.single_error_class = single_error_class
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
        self.client_id = "broken_driver.call"
        self.replies = []
        self.channel.basic_consume(self.reply_queue, self._on_reply, auto_ack=True)

    def _on_reply(self, channel, method, properties, body):
        self.replies.append((properties.correlation_id, body))

    def publish(self, call):
        correlation_id = (self.shared_correlation_id if "reuse-correlation-id" in self.faults
                          else str(uuid.uuid4()))
        context = {} if "context" in self.lacks else (call.get("context") or {})
        headers = {f"nameko.{key}": value for key, value in context.items()}
        stack = [f"{self.client_id}.{uuid.uuid4()}"]
        if "call-ids" not in self.lacks:
            headers["nameko.call_id_stack"] = stack[0] if "string-call-id-stack" in self.faults else stack
        reply_to = self.reply_queue if "reply-to-queue-name" in self.faults else self.reply_key
        properties = pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                          delivery_mode=2, correlation_id=correlation_id, reply_to=reply_to,
                                          headers=headers)
        kwargs = {} if "kwargs" in self.lacks else call.get("kwargs", {})
        body = json.dumps({"args": call.get("args", []), "kwargs": kwargs}).encode("utf-8")
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
            ignore = "ignore-timeout" in self.faults or "timeouts" in self.lacks
            timeout = None if ignore else call.get("timeout")
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
                try:
                    outcomes[match[0]] = outcome_from_reply(body, self.single_error_class)
                except Undecodable as exc:
                    if "crash-on-undecodable" in self.faults:
                        raise SystemExit(f"crashed on {exc}")
                    if "hang-on-undecodable" in self.faults:
                        waiting = [(index, cid, None) for index, cid, _ in waiting] or [(match[0], None, None)]
                        continue
                    outcomes[match[0]] = error_outcome("protocol", "Undecodable", str(exc))
            now = time.monotonic()
            for entry in [entry for entry in waiting if entry[2] is not None and entry[2] <= now]:
                waiting.remove(entry)
                outcomes[entry[0]] = error_outcome("timeout", "timeout", "no reply within the call's timeout")
        return outcomes

    def close(self):
        if self.connection.is_open:
            self.connection.close()


def write_document(document, chatty):
    text = json.dumps(document)
    path = os.environ.get(OUTCOME_FILE_VARIABLE)
    if chatty:
        print("broken_driver: connected {not json")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    if chatty:
        print("\nbroken_driver: done")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fault", action="append", choices=FAULTS, default=[],
                        help="a rule to break; repeat for several")
    parser.add_argument("--lacks", action="append", choices=FEATURES, default=[],
                        help="an optional feature the client does without; repeat for several")
    parser.add_argument("--chatty", action="store_true", help="junk on standard output")
    parser.add_argument("--single-error-class", action="store_true", help="every error reply as kind remote")
    options = parser.parse_args(argv)
    job = json.load(sys.stdin)
    if job.get("describe"):
        write_document({"outcomes": [], "lacks": options.lacks, "client_name": "broken_driver"}, options.chatty)
        return 0
    exchange = os.environ.get("NAMEKO_CONFORMANCE_RPC_EXCHANGE") or "nameko-rpc"
    client = BrokenClient(os.environ["NAMEKO_CONFORMANCE_AMQP_URI"],
                          "nameko-rpc" if "exchange" in options.lacks else exchange, options.fault,
                          options.lacks, options.single_error_class)
    try:
        outcomes = client.run(job["calls"])
    finally:
        client.close()
    write_document({"outcomes": outcomes}, options.chatty)
    return 0


if __name__ == "__main__":
    sys.exit(main())
