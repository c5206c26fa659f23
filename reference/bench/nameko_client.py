"""Measures a nameko ClusterRpcProxy (2.x) or ClusterRpcClient (3.x); prints the figures and its reply queue as JSON.

Usage: python nameko_client.py AMQP_URI SERVICE CALLS   (inside a nameko virtualenv)
"""

import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
from importlib.metadata import version  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nameko  # noqa: E402
from timing import ARGS, KWARGS, measure  # noqa: E402

uri, service, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
if version("nameko").startswith("2."):
    from nameko.standalone.rpc import ClusterRpcProxy
    standalone = ClusterRpcProxy({"AMQP_URI": uri})
else:
    from nameko.standalone.rpc import ClusterRpcClient
    nameko.config.setup({"AMQP_URI": uri})
    standalone = ClusterRpcClient()
proxy = standalone.start()
try:
    method = getattr(proxy, service).echo
    figures = measure(lambda: method(*ARGS, **KWARGS), lambda: method.call_async(*ARGS, **KWARGS), calls)
finally:
    listener = getattr(standalone, "_reply_listener", None) or getattr(standalone, "reply_listener", None)
    queue = listener.queue.name if listener is not None and getattr(listener, "queue", None) else None
    standalone.stop()
print(json.dumps({"figures": figures, "reply_queue": queue}))
