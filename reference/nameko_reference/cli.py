"""`nameko-reference serve | call | dispatch`."""

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading

from . import names

DEFAULT_URI = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _load(target):
    module_name, _, attribute = target.partition(":")
    if not attribute:
        raise SystemExit(f"expected module:ServiceClass, got {target!r}")
    # Like `nameko run`: service modules are looked up from the directory the command runs in.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SystemExit(f"cannot load {target!r}: {exc}") from None


def serve_until_signalled(runner):
    """Run until SIGINT or SIGTERM, then stop gracefully (requests in progress are finished)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    runner.start()
    print(f"serving {', '.join(s.name for s in runner.services)}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        if not runner._transport._thread.is_alive():
            raise SystemExit("connection to the broker lost")
    runner.stop()


def _json_argument(kind, text):
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SystemExit(f"{kind} is not valid JSON: {exc}")


def main(argv=None):
    from .server_core import Limits
    limits_default = Limits()
    parser = argparse.ArgumentParser(prog="nameko-reference",
                                     description="Serve, call and dispatch with the nameko wire protocol.")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_URI),
                        help="broker URI, or several separated by commas (nodes of a cluster, tried in turn when "
                             "connecting and reconnecting) (default: $AMQP_URI or %(default)s)")
    parser.add_argument("--rpc-exchange", default=names.DEFAULT_RPC_EXCHANGE, help="default: %(default)s")
    parser.add_argument("--log-level", default="WARNING", help="logging level, e.g. INFO (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run services until SIGINT/SIGTERM")
    serve.add_argument("services", nargs="+", metavar="module:ServiceClass")
    serve.add_argument("--max-workers", type=int, default=10, help="worker pool size and prefetch (default: 10)")
    serve.add_argument("--queue-type", choices=("classic", "quorum"), default="classic",
                       help="type of the service queues; every instance of a service must agree (default: classic)")
    serve.add_argument("--max-request-bytes", type=int, default=None,
                       help=f"larger requests get MalformedRequest (default: {limits_default.max_request_bytes})")
    serve.add_argument("--max-reply-bytes", type=int, default=None,
                       help=f"larger results get ReplyTooLarge (default: {limits_default.max_reply_bytes})")

    call = commands.add_parser("call", help="call a method and print its result as JSON (exit 1 on error)")
    call.add_argument("target", metavar="service.method")
    call.add_argument("args", nargs="?", default="[]", help="positional arguments, a JSON array (default: [])")
    call.add_argument("kwargs", nargs="?", default="{}", help="keyword arguments, a JSON object (default: {})")
    call.add_argument("--timeout", type=float, default=None, help="seconds to wait for the reply")

    dispatch = commands.add_parser("dispatch", help="dispatch an event from a service")
    dispatch.add_argument("service")
    dispatch.add_argument("event_type")
    dispatch.add_argument("payload", help="event data, any JSON value")

    for sub in (serve, call, dispatch):  # the options are accepted after the command too
        sub.add_argument("--amqp-uri", default=argparse.SUPPRESS, help="as above")
        sub.add_argument("--rpc-exchange", default=argparse.SUPPRESS, help="as above")
    options = parser.parse_args(argv)
    logging.basicConfig(level=options.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from .client import ClusterClient
    from .errors import RemoteError
    if options.command == "serve":
        from .service import ServiceRunner
        limits = Limits(
            max_request_bytes=options.max_request_bytes or limits_default.max_request_bytes,
            max_reply_bytes=options.max_reply_bytes or limits_default.max_reply_bytes)
        runner = ServiceRunner(options.amqp_uri, options.rpc_exchange, options.max_workers, limits=limits,
                               queue_type=options.queue_type)
        for target in options.services:
            runner.add_service(_load(target))
        serve_until_signalled(runner)
        return 0
    if options.command == "call":
        service, _, method = options.target.partition(".")
        args, kwargs = _json_argument("args", options.args), _json_argument("kwargs", options.kwargs)
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise SystemExit("args must be a JSON array and kwargs a JSON object")
        with ClusterClient(options.amqp_uri, options.rpc_exchange) as client:
            try:
                result = client.call(service, method, args, kwargs, timeout=options.timeout)
            except RemoteError as exc:
                print(f"{exc.exc_type}: {exc.value}", file=sys.stderr)
                return 1
            except Exception as exc:
                print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
                return 1
        print(json.dumps(result, ensure_ascii=False))
        return 0
    with ClusterClient(options.amqp_uri, options.rpc_exchange) as client:
        client.dispatch(options.service, options.event_type, _json_argument("payload", options.payload))
    return 0


if __name__ == "__main__":
    sys.exit(main())
