#!/usr/bin/env python
"""Client driver (spec chapter 16) for the reference implementation's `ClusterClient`.

One client per distinct context (context data is a client setting); the timeout is passed per call. All calls are
published before the first result is awaited (DRIVER-4).
"""

import json
import os
import sys

from nameko_reference import errors
from nameko_reference.client import ClusterClient

AMQP_URI_VARIABLE = "NAMEKO_CONFORMANCE_AMQP_URI"
RPC_EXCHANGE_VARIABLE = "NAMEKO_CONFORMANCE_RPC_EXCHANGE"
OUTCOME_FILE_VARIABLE = "NAMEKO_CONFORMANCE_OUTCOME_FILE"
LACKS = []  # the reference client has every optional feature (spec 16, the describe job)
OWN_KINDS = (errors.MethodNotFound, errors.IncorrectSignature, errors.MalformedRequest, errors.UnknownService)


def outcome_for(exc):
    if isinstance(exc, errors.RpcTimeout):
        kind, exc_type, message = "timeout", "RpcTimeout", str(exc)
    elif isinstance(exc, OWN_KINDS):
        kind = exc_type = type(exc).__name__
        message = str(exc)
    elif isinstance(exc, errors.RemoteError):
        kind, exc_type, message = "remote", exc.exc_type, exc.value
    else:
        kind, exc_type, message = "protocol", type(exc).__name__, str(exc)
    return {"error": {"kind": kind, "exc_type": str(exc_type), "message": "" if message is None else str(message)}}


def run(job):
    uri = os.environ[AMQP_URI_VARIABLE]
    exchange = os.environ.get(RPC_EXCHANGE_VARIABLE) or "nameko-rpc"
    clients = {}
    pending = []
    try:
        for call in job["calls"]:
            context = call.get("context") or {}
            key = json.dumps(context, sort_keys=True)
            if key not in clients:
                clients[key] = ClusterClient(uri, rpc_exchange=exchange, context_data=context).start()
            try:
                reply = clients[key].call_async(call["service"], call["method"], call.get("args", []),
                                                call.get("kwargs", {}), timeout=call.get("timeout"))
            except Exception as exc:  # noqa: BLE001 - e.g. a name the client refuses
                reply = exc
            pending.append(reply)
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
        for client in clients.values():
            try:
                client.stop()
            except Exception as exc:  # noqa: BLE001 - stopping must not hide the outcomes
                print(f"stopping the client failed: {exc!r}", file=sys.stderr)


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
        write_document({"outcomes": [], "lacks": LACKS, "client_name": "reference_rpc_client"})
        return 0
    write_document(run(job))
    return 0


if __name__ == "__main__":
    sys.exit(main())
