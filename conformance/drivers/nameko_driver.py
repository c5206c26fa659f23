#!/usr/bin/env python
"""Client driver (spec chapter 16) for nameko's standalone cluster client.

Works with nameko 2.14.1 (`ClusterRpcProxy(config, context_data, timeout)`) and 3.0.0rc11 (`ClusterRpcClient`,
global `nameko.config`). nameko sets context and timeout per client, not per call, so the driver opens one client
per distinct context and sets the waiting client's timeout before it waits for each call (DRIVER-3). All calls
are published before the first result is awaited (DRIVER-4).
"""

import json
import os
import sys
from importlib.metadata import version

AMQP_URI_VARIABLE = "NAMEKO_CONFORMANCE_AMQP_URI"
RPC_EXCHANGE_VARIABLE = "NAMEKO_CONFORMANCE_RPC_EXCHANGE"
OUTCOME_FILE_VARIABLE = "NAMEKO_CONFORMANCE_OUTCOME_FILE"
LACKS = []  # nameko's client has every optional feature (spec 16, the describe job)


class Nameko2Client:
    def __init__(self, config, context):
        from nameko.standalone.rpc import ClusterRpcProxy

        self._standalone = ClusterRpcProxy(config, context_data=dict(context), timeout=None)
        self.proxy = self._standalone.start()

    def set_timeout(self, seconds):
        # 2.x waits with a socket timeout on the reply connection (any inbound frame restarts it).
        self._standalone._reply_listener.queue_consumer.timeout = seconds

    @property
    def reply_queue(self):
        return self._standalone._reply_listener.queue.name

    def stop(self):
        self._standalone.stop()


class Nameko3Client:
    def __init__(self, config, context):
        import nameko
        from nameko.standalone.rpc import ClusterRpcClient

        nameko.config.update(config)
        self._standalone = ClusterRpcClient(context_data=dict(context), timeout=None)
        self.proxy = self._standalone.start()

    def set_timeout(self, seconds):
        # 3.x polls in whole seconds (kombu's safety interval); None or 0 waits for ever.
        self._standalone.reply_listener.timeout = seconds

    @property
    def reply_queue(self):
        return self._standalone.reply_listener.queue.name

    def stop(self):
        self._standalone.stop()


def delete_queues(uri, names):
    """nameko's reply queues outlive the client by 5 minutes (x-expires); the driver removes its own at once."""
    from kombu import Connection

    with Connection(uri) as connection:
        channel = connection.channel()
        for name in names:
            channel.queue_delete(queue=name)
        channel.close()


def outcome_for(exc):
    from nameko import exceptions

    if isinstance(exc, exceptions.RpcTimeout):
        kind, exc_type, message = "timeout", "RpcTimeout", str(exc)
    elif isinstance(exc, exceptions.UnknownService):
        kind, exc_type, message = "UnknownService", "UnknownService", str(exc)
    elif isinstance(exc, (exceptions.MethodNotFound, exceptions.IncorrectSignature, exceptions.MalformedRequest)):
        kind = exc_type = type(exc).__name__
        message = str(exc)
    elif isinstance(exc, exceptions.RemoteError):
        kind, exc_type, message = "remote", exc.exc_type, exc.value
    else:
        # A reply nameko could not decode surfaces as a kombu/json error raised in the caller (2.x).
        kind, exc_type, message = "protocol", type(exc).__name__, str(exc)
    return {"error": {"kind": kind, "exc_type": exc_type, "message": "" if message is None else str(message)}}


def run(job):
    uri = os.environ[AMQP_URI_VARIABLE]
    exchange = os.environ.get(RPC_EXCHANGE_VARIABLE) or "nameko-rpc"
    config = {"AMQP_URI": uri, "rpc_exchange": exchange}
    client_class = Nameko2Client if version("nameko").startswith("2.") else Nameko3Client

    clients = {}
    pending = []
    try:
        for call in job["calls"]:
            key = json.dumps(call.get("context") or {}, sort_keys=True)
            if key not in clients:
                clients[key] = client_class(config, call.get("context") or {})
            client = clients[key]
            try:
                method = getattr(client.proxy[call["service"]], call["method"])
                pending.append((client, call, method.call_async(*call.get("args", []), **call.get("kwargs", {}))))
            except Exception as exc:  # noqa: BLE001 - UnknownService is raised at publish time
                pending.append((client, call, exc))
        outcomes = []
        for client, call, reply in pending:
            if isinstance(reply, Exception):
                outcomes.append(outcome_for(reply))
                continue
            client.set_timeout(call.get("timeout"))
            try:
                outcomes.append({"result": reply.result()})
            except Exception as exc:  # noqa: BLE001
                outcomes.append(outcome_for(exc))
        return {"outcomes": outcomes}
    finally:
        for client in clients.values():
            try:
                client.stop()
            except Exception as exc:  # noqa: BLE001 - a broken reply connection must not hide the outcomes
                print(f"stopping the client failed: {exc!r}", file=sys.stderr)
        try:
            delete_queues(uri, [client.reply_queue for client in clients.values()])
        except Exception as exc:  # noqa: BLE001
            print(f"deleting the reply queues failed: {exc!r}", file=sys.stderr)


def write_document(document):
    """To the outcome file when the kit names one (so nothing the library prints can corrupt it), else stdout."""
    text = json.dumps(document)
    path = os.environ.get(OUTCOME_FILE_VARIABLE)
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def main():
    job = json.load(sys.stdin)
    if job.get("describe"):
        write_document({"outcomes": [], "lacks": LACKS})
        return 0
    write_document(run(job))
    return 0


if __name__ == "__main__":
    sys.exit(main())
