#!/usr/bin/env python
"""Client driver (spec chapter 16) for aio-nameko-proxy's `AIOClusterRpcProxy` (asyncio).

The port has no context data and no working timeout, so the driver sends neither context headers nor anything
but the port's own `time_out` setting: one proxy per distinct timeout, configured with `time_out` as the port
documents. All calls are published with `call_async` before the first reply is awaited (DRIVER-4).

aio-nameko-proxy raises one error class for every error reply (its own `RemoteError(exc_type, value)`); the
driver names the outcome's kind after the reply's `exc_type` when that is one of the kinds spec/16 names, and
`remote` otherwise (see ports/README.md, "Error kinds").

The port writes diagnostics with `sys.stdout.write` (e.g. "Unknown correlation id: …"); the driver points
`sys.stdout` at standard error while the port runs, so the outcomes document stays the only thing on stdout.
"""

import asyncio
import json
import os
import sys

AMQP_URI_VARIABLE = "NAMEKO_CONFORMANCE_AMQP_URI"
RPC_EXCHANGE_VARIABLE = "NAMEKO_CONFORMANCE_RPC_EXCHANGE"
# The error replies spec/16 gives a kind of their own; UnknownService is the client's own failure (an unroutable
# call), so an error *reply* of that type is a remote error like any other (RPC-ERR-11).
REPLY_KINDS = ("MethodNotFound", "IncorrectSignature", "MalformedRequest")


def outcome_for(exc):
    from aio_nameko_proxy.excs import RemoteError

    if isinstance(exc, asyncio.TimeoutError):
        kind, exc_type, message = "timeout", "TimeoutError", str(exc)
    elif isinstance(exc, RemoteError):
        exc_type, message = exc.exc_type, exc.value
        kind = exc_type if exc_type in REPLY_KINDS else "remote"
    else:
        kind, exc_type, message = "protocol", type(exc).__name__, str(exc)
    return {"error": {"kind": kind, "exc_type": str(exc_type), "message": "" if message is None else str(message)}}


async def run(job):
    from aio_nameko_proxy import AIOClusterRpcProxy

    uri = os.environ[AMQP_URI_VARIABLE]
    exchange = os.environ.get(RPC_EXCHANGE_VARIABLE) or "nameko-rpc"
    proxies = {}
    pending = []
    try:
        for call in job["calls"]:
            timeout = call.get("timeout")
            if timeout not in proxies:
                config = {"AMQP_URI": uri, "rpc_exchange": exchange, "time_out": timeout}
                proxies[timeout] = await AIOClusterRpcProxy(config).start()
            service = getattr(proxies[timeout], call["service"])
            try:
                reply = await getattr(service, call["method"]).call_async(*call.get("args", []),
                                                                         **call.get("kwargs", {}))
            except Exception as exc:  # noqa: BLE001 - a publish the port refuses
                reply = exc
            pending.append(reply)
        outcomes = []
        for reply in pending:
            if isinstance(reply, Exception):
                outcomes.append(outcome_for(reply))
                continue
            try:
                outcomes.append({"result": await reply.result()})
            except Exception as exc:  # noqa: BLE001
                outcomes.append(outcome_for(exc))
        return {"outcomes": outcomes}
    finally:
        for proxy in proxies.values():
            try:
                # The port only unbinds its reply queue (x-expires keeps it 5 minutes); the driver removes it.
                # Deleting the queue drops its binding too, so the connection is closed directly.
                await proxy.reply_listener.queue.delete(if_unused=False, if_empty=False)
                await proxy.connection.close()
            except Exception as exc:  # noqa: BLE001 - stopping must not hide the outcomes
                print(f"closing the proxy failed: {exc!r}", file=sys.stderr)


def main():
    job = json.load(sys.stdin)
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        document = asyncio.get_event_loop().run_until_complete(run(job))
    finally:
        sys.stdout = real_stdout
    real_stdout.write(json.dumps(document))
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
