"""Client actions for recording real nameko (runs inside a nameko 2.14.1 or 3.0.0rc11 virtualenv).

Reads one JSON command per line on stdin and answers each with one line `RESULT <json>` on stdout:

    {"action": "call", "service": "greeting_service", "method": "hello", "args": ["world"], "kwargs": {},
     "context_data": {...}, "timeout": 10}
    {"action": "call_async", "calls": [{"service": ..., "method": ..., "args": [...], "kwargs": {...}}, ...]}
    {"action": "dispatch", "service": "greeting_service", "event_type": "greeted", "payload": {...}}

Environment: AMQP_URI (the private node). Each command uses a fresh standalone proxy or dispatcher.
"""

import json
import os
import sys
from importlib.metadata import version

from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy

NAMEKO_VERSION = version("nameko")
NAMEKO_MAJOR = int(NAMEKO_VERSION.split(".")[0])
AMQP_URI = os.environ["AMQP_URI"]
CONFIG = {"AMQP_URI": AMQP_URI}

if NAMEKO_MAJOR >= 3:
    from nameko import config as global_config

    global_config.setup(CONFIG)


def cluster_proxy(context_data=None, timeout=None):
    if NAMEKO_MAJOR >= 3:
        return ClusterRpcProxy(context_data=context_data, timeout=timeout)
    return ClusterRpcProxy(CONFIG, context_data=context_data, timeout=timeout)


def dispatcher():
    return event_dispatcher() if NAMEKO_MAJOR >= 3 else event_dispatcher(CONFIG)


def describe_error(error):
    return {
        "type": type(error).__name__,
        "module": type(error).__module__,
        "str": str(error),
        "exc_type": getattr(error, "exc_type", None),
        "value": getattr(error, "value", None) if isinstance(getattr(error, "value", None), str) else None,
    }


def call(command):
    with cluster_proxy(command.get("context_data"), command.get("timeout", 10)) as proxy:
        method = getattr(getattr(proxy, command["service"]), command["method"])
        return method(*command.get("args", []), **command.get("kwargs", {}))


def call_async(command):
    with cluster_proxy(timeout=command.get("timeout", 10)) as proxy:
        pending = [
            getattr(getattr(proxy, c["service"]), c["method"]).call_async(*c.get("args", []), **c.get("kwargs", {}))
            for c in command["calls"]
        ]
        return [reply.result() for reply in pending]


def dispatch(command):
    dispatcher()(command["service"], command["event_type"], command["payload"])
    return None


ACTIONS = {"call": call, "call_async": call_async, "dispatch": dispatch}


def main():
    emit({"ready": True, "nameko": NAMEKO_VERSION})
    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        try:
            emit({"ok": True, "result": ACTIONS[command["action"]](command)})
        except Exception as error:  # the error is the observation
            emit({"ok": False, "error": describe_error(error)})


def emit(data):
    sys.stdout.write("RESULT " + json.dumps(data, default=repr) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
