#!/usr/bin/env python
"""Client driver (spec chapter 16) for nameko-proxy's `StandaloneRpcProxy`.

nameko-proxy takes context data and a timeout per proxy (`StandaloneRpcProxy(config, context_data, timeout)`),
so the driver opens one proxy per distinct (context, timeout) and publishes every call with `call_async` before
it waits for the first reply (DRIVER-4). Errors are nameko's own exception classes (nameko 2.11.0 underneath).
"""

import eventlet

eventlet.monkey_patch()  # nameko-proxy's consumer runs in an eventlet green thread, like nameko's

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

AMQP_URI_VARIABLE = "NAMEKO_CONFORMANCE_AMQP_URI"
RPC_EXCHANGE_VARIABLE = "NAMEKO_CONFORMANCE_RPC_EXCHANGE"


def outcome_for(exc):
    from nameko import exceptions

    if isinstance(exc, exceptions.RpcTimeout):
        kind, exc_type, message = "timeout", "RpcTimeout", str(exc)
    elif isinstance(exc, (exceptions.UnknownService, exceptions.MethodNotFound, exceptions.IncorrectSignature,
                          exceptions.MalformedRequest)):
        kind = exc_type = type(exc).__name__
        message = str(exc)
    elif isinstance(exc, exceptions.RemoteError):
        kind, exc_type, message = "remote", exc.exc_type, exc.value
    else:
        kind, exc_type, message = "protocol", type(exc).__name__, str(exc)
    return {"error": {"kind": kind, "exc_type": str(exc_type), "message": "" if message is None else str(message)}}


def delete_queues(uri, names):
    """The proxy's reply queues outlive it by 5 minutes (x-expires); the driver removes its own at once."""
    from kombu import Connection

    with Connection(uri) as connection:
        channel = connection.channel()
        for name in names:
            channel.queue_delete(queue=name)
        channel.close()


def run(job):
    from nameko_proxy import StandaloneRpcProxy

    uri = os.environ[AMQP_URI_VARIABLE]
    exchange = os.environ.get(RPC_EXCHANGE_VARIABLE) or "nameko-rpc"
    config = {"AMQP_URI": uri, "rpc_exchange": exchange}
    proxies = {}
    pending = []
    try:
        for call in job["calls"]:
            context = call.get("context") or {}
            key = (json.dumps(context, sort_keys=True), call.get("timeout"))
            if key not in proxies:
                standalone = StandaloneRpcProxy(config, context_data=dict(context), timeout=call.get("timeout"))
                proxies[key] = (standalone, standalone.start())
            cluster = proxies[key][1]
            try:
                method = getattr(getattr(cluster, call["service"]), call["method"])
                pending.append(method.call_async(*call.get("args", []), **call.get("kwargs", {})))
            except Exception as exc:  # noqa: BLE001 - UnknownService is raised at publish time
                pending.append(exc)
        outcomes = []
        for reply in pending:
            if isinstance(reply, Exception):
                outcomes.append(outcome_for(reply))
                continue
            try:
                outcomes.append({"result": reply.result()})
            except Exception as exc:  # noqa: BLE001
                outcomes.append(outcome_for(exc))
        return {"outcomes": outcomes}
    finally:
        queues = []
        for standalone, _ in proxies.values():
            try:
                queues.append(standalone._reply_listener.queue.name)
                standalone.stop()
            except Exception as exc:  # noqa: BLE001 - stopping must not hide the outcomes
                print(f"stopping the proxy failed: {exc!r}", file=sys.stderr)
        try:
            delete_queues(uri, queues)
        except Exception as exc:  # noqa: BLE001
            print(f"deleting the reply queues failed: {exc!r}", file=sys.stderr)


def main():
    document = run(json.load(sys.stdin))
    sys.stdout.write(json.dumps(document))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
