#!/usr/bin/env python
"""The nameko client driver (conformance/drivers/nameko_driver.py) with ONE client fault patched into nameko.

    NAMEKO_CONFORMANCE_CLIENT_FAULT=cl_no_mandatory python faulty_client.py < job.json

The fault is chosen by NAMEKO_CONFORMANCE_CLIENT_FAULT (see CLIENT_FAULTS in catalogue.py); `none` patches nothing.
"""

import itertools
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "drivers"))

import uuid as _uuid  # noqa: E402

import nameko.exceptions  # noqa: E402
import nameko.rpc  # noqa: E402
import nameko.standalone.rpc  # noqa: E402
from kombu import Queue  # noqa: E402
from nameko.amqp.publish import Publisher as CorePublisher  # noqa: E402
from nameko.amqp.publish import UndeliverableMessage  # noqa: E402

from catalogue import CLIENT_BY_NAME  # noqa: E402

NAMEKO3 = hasattr(nameko.standalone.rpc, "ClusterRpcClient")
FAULT = os.environ.get("NAMEKO_CONFORMANCE_CLIENT_FAULT", "none")
if FAULT not in CLIENT_BY_NAME:
    raise SystemExit("faulty_client: unknown fault %r" % FAULT)

APPLY = {"none": lambda: None}


def patch_request_publish(change):
    """change(payload, kwargs) -> (payload, kwargs) for each RPC request (published with mandatory=True)."""
    original = CorePublisher.publish

    def publish(self, payload, **kwargs):
        if kwargs.get("mandatory") is True:
            payload, kwargs = change(payload, kwargs)
        return original(self, payload, **kwargs)
    CorePublisher.publish = publish


def _headers(transform):
    def change(payload, kwargs):
        return payload, dict(kwargs, extra_headers=transform(dict(kwargs.get("extra_headers") or {})))
    return change


def _charset(payload, kwargs):
    from kombu.utils import json
    body = json.dumps({"args": list(payload["args"]), "kwargs": payload["kwargs"]})
    return body, dict(kwargs, content_type="application/json; charset=utf-8", content_encoding="utf-8")


def _binary(payload, kwargs):
    from kombu.utils import json
    body = json.dumps({"args": list(payload["args"]), "kwargs": payload["kwargs"]}).encode("utf-8")
    return body, dict(kwargs, content_type="application/json", content_encoding="binary")


def _stack_as_string(headers):
    if "nameko.call_id_stack" in headers:
        headers["nameko.call_id_stack"] = ",".join(headers["nameko.call_id_stack"])
    return headers


for _name, _change in {
    "cl_routing_key_suffix": lambda p, kw: (p, dict(kw, routing_key=kw["routing_key"] + ".call")),
    "cl_content_type_charset": _charset,
    "cl_content_encoding_binary": _binary,
    "cl_transient": lambda p, kw: (p, dict(kw, delivery_mode=1)),
    "cl_no_mandatory": lambda p, kw: (p, dict(kw, mandatory=False)),
    "cl_extra_body_member": lambda p, kw: (dict(p, meta={"client": "faulty"}), kw),
    "cl_args_as_object": lambda p, kw: (dict(p, args={str(i): a for i, a in enumerate(p["args"])}), kw),
    "cl_no_reply_to": lambda p, kw: (p, dict(kw, reply_to=None)),
    "cl_reply_to_wrong": lambda p, kw: (p, dict(kw, reply_to=str(_uuid.uuid4()))),
    "cl_no_correlation_id": lambda p, kw: (p, dict(kw, correlation_id=None)),
    "cl_context_prefix": _headers(lambda h: {"x-" + k: v for k, v in h.items()}),
    "cl_stack_as_string": _headers(_stack_as_string),
    "cl_void_header": _headers(lambda h: dict(h, **{"nameko.tenant": None})),
    "cl_no_stack": _headers(lambda h: {k: v for k, v in h.items() if k != "nameko.call_id_stack"}),
    "cl_context_dropped": _headers(lambda h: {k: v for k, v in h.items() if k == "nameko.call_id_stack"}),
}.items():
    APPLY[_name] = (lambda change: lambda: patch_request_publish(change))(_change)


def _unroutable_ignored():
    original = CorePublisher.publish

    def publish(self, payload, **kwargs):
        try:
            return original(self, payload, **kwargs)
        except UndeliverableMessage:
            return None
    CorePublisher.publish = publish


APPLY["cl_unroutable_ignored"] = _unroutable_ignored


class _UuidShim(object):
    """Stands in for the uuid module of one nameko module: uuid4() called from `caller` returns make()."""

    def __init__(self, caller, make):
        self.caller, self.make = caller, make

    def uuid4(self):
        if sys._getframe(1).f_code.co_name == self.caller:
            return self.make()
        return _uuid.uuid4()

    def __getattr__(self, name):
        return getattr(_uuid, name)


_CONSTANT = str(_uuid.uuid4())
_COUNTER = itertools.count(1)

APPLY["cl_correlation_id_constant"] = lambda: setattr(nameko.rpc, "uuid", _UuidShim("_call", lambda: _CONSTANT))
APPLY["cl_correlation_id_counter"] = lambda: setattr(nameko.rpc, "uuid",
                                                     _UuidShim("_call", lambda: str(next(_COUNTER))))


def _reply_to_constant():
    if NAMEKO3:
        nameko.standalone.rpc.uuid = _UuidShim("__init__", lambda: "nameko-client")
    else:
        nameko.rpc.uuid = _UuidShim("setup", lambda: "nameko-client")


APPLY["cl_reply_to_constant"] = _reply_to_constant


def patch_reply_queue(change):
    module = nameko.standalone.rpc if NAMEKO3 else nameko.rpc

    def make_queue(name, *args, **kwargs):
        if name.startswith("rpc.reply-"):
            name, kwargs = change(name, dict(kwargs))
        return Queue(name, *args, **kwargs)
    module.Queue = make_queue
    if not NAMEKO3:  # 2.x sends reply_listener.routing_key as reply_to; keep it equal to the queue's binding key
        original = nameko.rpc.ReplyListener.setup

        def setup(self):
            original(self)
            self.routing_key = self.queue.routing_key
        nameko.rpc.ReplyListener.setup = setup


for _name, _change in {
    "cl_reply_to_dotted": lambda n, kw: (n, dict(kw, routing_key="reply." + kw["routing_key"])),
    "cl_reply_queue_name": lambda n, kw: ("reply-" + kw["routing_key"], kw),
    "cl_reply_queue_no_expiry": lambda n, kw: (n, dict(kw, queue_arguments={})),
    "cl_reply_queue_exclusive": lambda n, kw: (n, dict(kw, exclusive=True, auto_delete=True)),
}.items():
    APPLY[_name] = (lambda change: lambda: patch_reply_queue(change))(_change)


def _error_as_result():
    if NAMEKO3:
        nameko.rpc.RpcCall.result = lambda self: self.get_response().get("result")
    else:
        def result(self):
            if self.resp_body is None:
                self.resp_body = self.reply_event.wait()
            return self.resp_body.get("result")
        nameko.rpc.RpcReply.result = result


APPLY["cl_error_as_result"] = _error_as_result
APPLY["cl_all_errors_remote"] = lambda: nameko.exceptions.registry.clear()


def _match_by_order():
    if NAMEKO3:
        def handle_message(self, body, message):
            self.consumer.ack_message(message)
            waiting = [cid for cid, reply in self.pending.items() if reply is None]
            if waiting:
                self.pending[waiting[0]] = body
        nameko.standalone.rpc.ReplyListener.handle_message = handle_message
    else:
        consumer_cls = nameko.standalone.rpc.PollingQueueConsumer

        def on_message(self, body, message):
            waiting = [cid for cid in self.provider._reply_events if cid not in self.replies]
            if waiting:
                message.properties["correlation_id"] = waiting[0]  # the listener then completes that call
                self.replies[waiting[0]] = (body, message)
        consumer_cls.on_message = on_message


APPLY["cl_match_by_order"] = _match_by_order

_missing = set(CLIENT_BY_NAME) - set(APPLY)
if _missing:
    raise SystemExit("faulty_client: faults without an implementation: %s" % sorted(_missing))

APPLY[FAULT]()

if __name__ == "__main__":
    import nameko_driver
    sys.exit(nameko_driver.main())
