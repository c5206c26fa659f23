"""Calls a reference service through nameko's standalone client; prints one JSON line of outcomes.

Usage: python nameko_client.py AMQP_URI SERVICE   (inside a nameko virtualenv)
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import sys  # noqa: E402
from importlib.metadata import version  # noqa: E402

import nameko  # noqa: E402

uri, service = sys.argv[1], sys.argv[2]
if version("nameko").startswith("2."):
    from nameko.standalone.rpc import ClusterRpcProxy
    standalone = ClusterRpcProxy({"AMQP_URI": uri}, context_data={"language": "fr", "user_id": 7}, timeout=20)
else:
    from nameko.standalone.rpc import ClusterRpcClient
    nameko.config.setup({"AMQP_URI": uri})
    standalone = ClusterRpcClient(context_data={"language": "fr", "user_id": 7}, timeout=20)


def outcome(call):
    try:
        return {"result": call()}
    except Exception as exc:
        return {"kind": type(exc).__name__, "exc_type": getattr(exc, "exc_type", None),
                "value": getattr(exc, "value", None), "text": str(exc)}


proxy = standalone.start()
try:
    target = getattr(proxy, service)
    pending = [target.echo.call_async(i) for i in range(20)]
    outcomes = {
        "echo": outcome(lambda: target.echo("world", 1, flag=True)),
        "kwargs_only": outcome(lambda: target.echo(a={"b": [1, 2.5, None]})),
        "context": outcome(lambda: target.context()),
        "method_not_found": outcome(lambda: target.no_such_method()),
        "incorrect_signature": outcome(lambda: target.sleep()),
        "remote_error": outcome(lambda: target.raise_error("CustomError", "boom")),
        "unserializable": outcome(lambda: target.unserializable()),
        "call_async": [reply.result() for reply in reversed(pending)],
    }
finally:
    listener = getattr(standalone, "_reply_listener", None) or getattr(standalone, "reply_listener", None)
    queue = listener.queue.name if listener is not None and getattr(listener, "queue", None) else None
    standalone.stop()
print(json.dumps({"outcomes": outcomes, "reply_queue": queue}))
