"""The nameko testee with ONE protocol fault, chosen by NAMEKO_CONFORMANCE_FAULT (see catalogue.py).

    cd conformance/tests/faults && NAMEKO_CONFORMANCE_FAULT=reply_twice \
        python -m nameko run --config ../../testees/nameko_testee.yaml faulty_nameko

Each fault is a monkeypatch of nameko (or kombu) internals applied at import time, before the container is built,
so the service is real nameko 2.14.1 or 3.0.0rc11 with one thing wrong. `none` applies nothing.
"""

import json
import os
import sys
import traceback
import uuid as _uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "testees"))

import kombu  # noqa: E402
import kombu.messaging  # noqa: E402
import kombu.serialization  # noqa: E402
import nameko.constants  # noqa: E402
import nameko.containers  # noqa: E402
import nameko.events  # noqa: E402
import nameko.exceptions  # noqa: E402
import nameko.extensions  # noqa: E402
import nameko.messaging  # noqa: E402
import nameko.rpc  # noqa: E402
import nameko.serialization  # noqa: E402
from kombu import Exchange, Queue, binding  # noqa: E402
from kombu.utils import json as kombu_json  # noqa: E402
from nameko.amqp.publish import Publisher as CorePublisher  # noqa: E402

from catalogue import BY_NAME  # noqa: E402

NAMEKO3 = hasattr(nameko.containers.WorkerContext, "_make_call_id")
VERSION = "3" if NAMEKO3 else "2"
FAULT = os.environ.get("NAMEKO_CONFORMANCE_FAULT", "none")
SERVICE = os.environ.get("NAMEKO_CONFORMANCE_SERVICE", "conformance")
AMQP_URI = os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
RPC_METHODS = ("echo", "raise_error", "sleep", "context", "call", "dispatch", "events_received", "unserializable")

if FAULT not in BY_NAME:
    raise SystemExit("faulty_nameko: unknown fault %r" % FAULT)
if VERSION not in BY_NAME[FAULT].versions:
    raise SystemExit("faulty_nameko: fault %r does not run on nameko %s" % (FAULT, VERSION))

APPLY = {}


def fault(*names):
    def register(fn):
        for name in names:
            APPLY[name] = fn
        return fn
    return register


# ------------------------------------------------------------------ helpers that hide the 2.x / 3.x differences

def request_consumer_of(rpc_consumer):
    return rpc_consumer.consumer if NAMEKO3 else rpc_consumer.queue_consumer


SKIP_ACK = set()


def _install_ack_skipper():
    """Acks of messages whose id() is in SKIP_ACK are swallowed (once)."""
    cls = nameko.amqp.consume.Consumer if NAMEKO3 else nameko.messaging.QueueConsumer
    original = cls.ack_message

    def ack_message(self, message):
        if id(message) in SKIP_ACK:
            SKIP_ACK.discard(id(message))
            return
        return original(self, message)
    cls.ack_message = ack_message


if NAMEKO3:
    import nameko.amqp.consume  # noqa: E402


def patch_rpc_handle_result(wrapper):
    original = nameko.rpc.RpcConsumer.handle_result

    def handle_result(self, message, result, exc_info):
        return wrapper(original, self, message, result, exc_info)
    nameko.rpc.RpcConsumer.handle_result = handle_result


def patch_rpc_consumer_handle_message(wrapper):
    original = nameko.rpc.RpcConsumer.handle_message

    def handle_message(self, body, message):
        return wrapper(original, self, body, message)
    nameko.rpc.RpcConsumer.handle_message = handle_message


def patch_rpc_entrypoint(wrapper):
    original = nameko.rpc.Rpc.handle_message

    def handle_message(self, body, message):
        return wrapper(original, self, body, message)
    nameko.rpc.Rpc.handle_message = handle_message


def patch_serialize(mutate):
    original = nameko.exceptions.serialize

    def serialize(exc):
        data = original(exc)
        mutate(data, exc)
        return data
    nameko.rpc.serialize = serialize


def patch_outgoing_headers(transform):
    """transform(headers, context_data, kind) for nested requests ('request') and events ('event')."""
    if NAMEKO3:
        original = nameko.messaging.encode_to_headers

        def make(kind):
            def encode_to_headers(context_data, prefix=nameko.constants.HEADER_PREFIX):
                return transform(original(context_data, prefix), context_data, kind)
            return encode_to_headers
        nameko.rpc.encode_to_headers = make("request")
        nameko.events.encode_to_headers = make("event")
        nameko.messaging.encode_to_headers = make("event")
    else:
        original = nameko.messaging.HeaderEncoder.get_message_headers

        def get_message_headers(self, worker_ctx):
            kind = "event" if isinstance(self, nameko.events.EventDispatcher) else "request"
            return transform(original(self, worker_ctx), worker_ctx.context_data, kind)
        nameko.messaging.HeaderEncoder.get_message_headers = get_message_headers


def patch_incoming_context(transform):
    """transform(context_data, headers, kind) for requests ('request') and events ('event')."""
    if NAMEKO3:
        original = nameko.messaging.decode_from_headers

        def make(kind):
            def decode_from_headers(headers, prefix=nameko.constants.HEADER_PREFIX):
                return transform(original(headers, prefix), dict(headers or {}), kind)
            return decode_from_headers
        nameko.rpc.decode_from_headers = make("request")
        nameko.messaging.decode_from_headers = make("event")
    else:
        original = nameko.messaging.HeaderDecoder.unpack_message_headers

        def unpack_message_headers(self, message):
            kind = "event" if isinstance(self, nameko.events.EventHandler) else "request"
            return transform(original(self, message), dict(message.headers or {}), kind)
        nameko.messaging.HeaderDecoder.unpack_message_headers = unpack_message_headers


def patch_call_id_stack(make_stack):
    """make_stack(parents, own_call_id) -> the worker's stack (nameko: the last 10 parents + own)."""
    context_cls = nameko.containers.WorkerContext
    if NAMEKO3:
        context_cls._make_call_id_stack = lambda self: list(make_stack(list(self._parent_call_id_stack), self.call_id))
    else:
        def call_id_stack(self):
            if self._call_id_stack is None:
                self._call_id_stack = list(make_stack(list(self._parent_call_id_stack), self.call_id))
            return list(self._call_id_stack)
        context_cls.call_id_stack = property(call_id_stack)


def patch_call_id(make_call_id):
    context_cls = nameko.containers.WorkerContext
    if NAMEKO3:
        context_cls._make_call_id = lambda self: make_call_id(self)
    else:
        def call_id(self):
            if self._call_id is None:
                self._call_id = make_call_id(self)
            return self._call_id
        context_cls.call_id = property(call_id)


def patch_queue_factory(module, predicate, change):
    """Queues that `module` builds and that match predicate(name, kwargs) are built with change(name, kwargs)."""
    def make_queue(name, *args, **kwargs):
        if predicate(name, kwargs):
            name, kwargs = change(name, dict(kwargs))
        return Queue(name, *args, **kwargs)
    module.Queue = make_queue


def patch_core_publish(change):
    """change(payload, kwargs) -> (payload, kwargs) for every publish of nameko's core Publisher."""
    original = CorePublisher.publish

    def publish(self, payload, **kwargs):
        payload, kwargs = change(payload, kwargs)
        return original(self, payload, **kwargs)
    CorePublisher.publish = publish


def is_nested_request(kwargs):
    return kwargs.get("mandatory") is True


def patch_qos(change):
    original = kombu.messaging.Consumer.qos

    def qos(self, prefetch_size=0, prefetch_count=0, apply_global=False):
        prefetch_count, apply_global = change(prefetch_count, apply_global)
        return original(self, prefetch_size=prefetch_size, prefetch_count=prefetch_count, apply_global=apply_global)
    kombu.messaging.Consumer.qos = qos


def walk(value, leaf):
    """A copy of a JSON value with leaf() applied to every node, children first."""
    if isinstance(value, dict):
        value = {k: walk(v, leaf) for k, v in value.items()}
    elif isinstance(value, (list, tuple)):
        value = [walk(v, leaf) for v in value]
    return leaf(value)


def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


# ------------------------------------------------------------------ a reply publisher with every field in reach

REPLY_MUTATORS = []
LAST_REPLY_TO = []


def raw_publish(exchange, routing_key, body, properties):
    import amqp
    with kombu.Connection(AMQP_URI, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        channel.basic_publish(amqp.Message(body, **properties), exchange=exchange, routing_key=routing_key)


def send_response(self, result, exc_info):
    """nameko's Responder.send_response, rebuilt so that a fault can reach every part of the reply."""
    error = None
    if exc_info is not None:
        error = nameko.rpc.serialize(exc_info[1])
    content_type = self.message.properties["content_type"]
    serializer = kombu.serialization.registry.type_to_name[content_type]
    try:
        kombu.serialization.dumps(result, serializer)
    except Exception:
        exc_info = sys.exc_info()
        error = nameko.rpc.serialize(nameko.exceptions.UnserializableValueError(result))
        result = None
    correlation_id = self.message.properties.get("correlation_id")
    properties = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
                  "priority": 0, "application_headers": {}}
    if correlation_id is not None:
        properties["correlation_id"] = correlation_id
    reply = {"exchange": self.exchange.name, "routing_key": self.message.properties["reply_to"],
             "payload": {"result": result, "error": error}, "properties": properties, "body": None, "copies": 1,
             "request": self.message}
    for mutate in REPLY_MUTATORS:
        mutate(reply)
    body = reply["body"]
    if body is None:
        body = kombu_json.dumps(reply["payload"]).encode("utf-8")
    for _ in range(reply["copies"]):
        raw_publish(reply["exchange"], reply["routing_key"], body, reply["properties"])
    return result, exc_info


def reply_fault(mutate):
    nameko.rpc.Responder.send_response = send_response
    REPLY_MUTATORS.append(mutate)


# ------------------------------------------------------------------ topology

def _is_rpc_queue(name, kwargs):
    return name == "rpc-" + SERVICE


@fault("rpc_queue_name_underscore")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue, lambda n, kw: ("rpc_" + SERVICE, kw))


@fault("rpc_queue_not_durable")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue, lambda n, kw: (n, dict(kw, durable=False)))


@fault("rpc_queue_auto_delete")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue, lambda n, kw: (n, dict(kw, auto_delete=True)))


@fault("rpc_queue_exclusive")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue, lambda n, kw: (n, dict(kw, exclusive=True)))


@fault("rpc_queue_message_ttl")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue,
                        lambda n, kw: (n, dict(kw, queue_arguments={"x-message-ttl": 600000})))


def _rebind(keys):
    def change(name, kwargs):
        exchange = kwargs.pop("exchange")
        kwargs.pop("routing_key", None)
        kwargs["bindings"] = [binding(exchange, routing_key=key) for key in keys]
        kwargs["exchange"] = exchange
        return name, kwargs
    return change


@fault("rpc_queue_extra_binding")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue, _rebind([SERVICE + ".*", SERVICE + ".#"]))


@fault("rpc_binding_per_method")
def _():
    patch_queue_factory(nameko.rpc, _is_rpc_queue, _rebind([SERVICE + "." + m for m in RPC_METHODS]))


@fault("rpc_exchange_ignores_config")
def _():
    nameko.rpc.get_rpc_exchange = lambda *args: Exchange("nameko-rpc", durable=True, type="topic")


@fault("rpc_exchange_not_durable")
def _():
    original = nameko.rpc.get_rpc_exchange
    nameko.rpc.get_rpc_exchange = lambda *args: Exchange(original(*args).name, durable=False, type="topic")


@fault("qos_global")
def _():
    patch_qos(lambda count, is_global: (count, True))


@fault("prefetch_unlimited")
def _():
    patch_qos(lambda count, is_global: (0, is_global))


@fault("prefetch_one")
def _():
    patch_qos(lambda count, is_global: (1, is_global))


# ------------------------------------------------------------------ request consumption

@fault("ack_before_reply")
def _():
    _install_ack_skipper()

    def wrapper(original, self, message, result, exc_info):
        request_consumer_of(self).ack_message(message)
        SKIP_ACK.add(id(message))
        return original(self, message, result, exc_info)
    patch_rpc_handle_result(wrapper)


@fault("never_ack")
def _():
    _install_ack_skipper()

    def wrapper(original, self, message, result, exc_info):
        SKIP_ACK.add(id(message))
        return original(self, message, result, exc_info)
    patch_rpc_handle_result(wrapper)


@fault("requeue_failed_once")
def _():
    _install_ack_skipper()

    def wrapper(original, self, message, result, exc_info):
        if exc_info is None or message.delivery_info.get("redelivered"):
            return original(self, message, result, exc_info)
        SKIP_ACK.add(id(message))
        outcome = original(self, message, result, exc_info)
        request_consumer_of(self).requeue_message(message)
        return outcome
    patch_rpc_handle_result(wrapper)


@fault("no_reply_on_error")
def _():
    def wrapper(original, self, message, result, exc_info):
        if exc_info is None:
            return original(self, message, result, exc_info)
        request_consumer_of(self).ack_message(message)
        return result, exc_info
    patch_rpc_handle_result(wrapper)


@fault("err_unserializable_no_reply")
def _():
    def wrapper(original, self, message, result, exc_info):
        try:
            kombu.serialization.dumps(result, "json")
        except Exception:
            request_consumer_of(self).ack_message(message)
            return None, exc_info
        return original(self, message, result, exc_info)
    patch_rpc_handle_result(wrapper)


@fault("kwargs_ignored")
def _():
    def wrapper(original, self, body, message):
        if isinstance(body, dict) and "kwargs" in body:
            body = dict(body, kwargs={})
        return original(self, body, message)
    patch_rpc_entrypoint(wrapper)


@fault("extra_member_rejected")
def _():
    def wrapper(original, self, body, message):
        if isinstance(body, dict) and set(body) - {"args", "kwargs"}:
            raise nameko.exceptions.MalformedRequest("unexpected members in the request body")
        return original(self, body, message)
    patch_rpc_entrypoint(wrapper)


@fault("headers_required")
def _():
    def wrapper(original, self, body, message):
        if "nameko.call_id_stack" not in (message.headers or {}):
            raise nameko.exceptions.MalformedRequest("missing nameko.call_id_stack")
        return original(self, body, message)
    patch_rpc_entrypoint(wrapper)


@fault("method_case_insensitive")
def _():
    def get_provider_for_method(self, routing_key):
        for provider in self._providers:
            if "{}.{}".format(self.container.service_name, provider.method_name).lower() == routing_key.lower():
                return provider
        raise nameko.exceptions.MethodNotFound(routing_key.split(".")[-1])
    nameko.rpc.RpcConsumer.get_provider_for_method = get_provider_for_method


# ------------------------------------------------------------------ replies

def _on_reply(fn):
    return lambda: reply_fault(fn)


def _set_property(name, value):
    def mutate(reply):
        reply["properties"][name] = value
    return mutate


def _drop_property(name):
    def mutate(reply):
        reply["properties"].pop(name, None)
    return mutate


def _reply_to_previous(reply):
    current = reply["routing_key"]
    if LAST_REPLY_TO:
        reply["routing_key"] = LAST_REPLY_TO[0]
    LAST_REPLY_TO[:] = [current]


def _new_correlation_id(reply):
    if "correlation_id" in reply["properties"]:
        reply["properties"]["correlation_id"] = str(_uuid.uuid4())


def _upper_correlation_id(reply):
    if "correlation_id" in reply["properties"]:
        reply["properties"]["correlation_id"] = reply["properties"]["correlation_id"].upper()


def _correlation_id_when_none(reply):
    reply["properties"].setdefault("correlation_id", "None")


def _context_headers(reply):
    reply["properties"]["application_headers"] = dict(reply["request"].headers or {})


def _payload(mutate):
    def mutator(reply):
        mutate(reply["payload"])
    return mutator


def _missing_error_on_success(payload):
    if payload["error"] is None:
        del payload["error"]


def _result_and_error(payload):
    if payload["error"] is not None:
        payload["result"] = ""


def _error_empty_on_success(payload):
    if payload["error"] is None:
        payload["error"] = {}


def _result(leaf):
    def mutate(payload):
        payload["result"] = walk(payload["result"], leaf)
    return mutate


def _twice(reply):
    reply["copies"] = 2


def _latin1(reply):
    reply["body"] = kombu_json.dumps(reply["payload"], ensure_ascii=False).encode("latin-1", "replace")


def _duplicate_member(reply):
    reply["body"] = ('{"result": null, ' + kombu_json.dumps(reply["payload"])[1:]).encode("utf-8")


def _int32(value):
    if is_int(value):
        return (value + 2 ** 31) % 2 ** 32 - 2 ** 31
    return value


def _bigint_float(value):
    if is_int(value) and abs(value) > 2 ** 53:
        return int(float(value))
    return value


def _untag(value):
    """A port that decodes tagged objects (as kombu >= 5.3 does) and sends back the bare value."""
    import datetime
    import decimal
    if isinstance(value, dict) and set(value) == {"__type__", "__value__"}:
        return value["__value__"]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, _uuid.UUID)):
        return str(value)
    return value


def _lower_kwargs(value):
    if isinstance(value, dict) and set(value) == {"args", "kwargs"} and isinstance(value["kwargs"], dict):
        return dict(value, kwargs={str(k).lower(): v for k, v in value["kwargs"].items()})
    return value


for _name, _mutator in {
    "reply_default_exchange": lambda r: r.update(exchange=""),
    "reply_routing_key_prefixed": lambda r: r.update(routing_key="reply." + r["routing_key"]),
    "reply_to_previous_request": _reply_to_previous,
    "reply_no_correlation_id": _drop_property("correlation_id"),
    "reply_new_correlation_id": _new_correlation_id,
    "reply_correlation_id_upper": _upper_correlation_id,
    "reply_correlation_id_when_none": _correlation_id_when_none,
    "reply_no_content_type": _drop_property("content_type"),
    "reply_content_type_charset": _set_property("content_type", "application/json; charset=utf-8"),
    "reply_content_type_text": _set_property("content_type", "text/plain"),
    "reply_no_content_encoding": _drop_property("content_encoding"),
    "reply_transient": _set_property("delivery_mode", 1),
    "reply_context_headers": _context_headers,
    "reply_extra_member": _payload(lambda p: p.update(ok=True)),
    "reply_missing_error_on_success": _payload(_missing_error_on_success),
    "reply_result_and_error": _payload(_result_and_error),
    "reply_error_empty_on_success": _payload(_error_empty_on_success),
    "reply_twice": _twice,
    "reply_body_latin1": _latin1,
    "reply_ints_as_floats": _payload(_result(lambda v: float(v) if is_int(v) else v)),
    "reply_bigint_as_float": _payload(_result(_bigint_float)),
    "reply_int32_wrap": _payload(_result(_int32)),
    "reply_duplicate_member": _duplicate_member,
    "reply_untags_objects": _payload(_result(_untag)),
    "reply_string_keys_sorted_case": _payload(_result(_lower_kwargs)),
}.items():
    APPLY[_name] = _on_reply(_mutator)


# ------------------------------------------------------------------ errors

def _error_fault(mutate):
    return lambda: patch_serialize(mutate)


def _exc_type_qualified(data, exc):
    data["exc_type"] = data["exc_path"]


def _exc_path_module_only(data, exc):
    data["exc_path"] = data["exc_path"].rsplit(".", 1)[0]


def _traceback_in_value(data, exc):
    data["value"] += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _unserializable_args(data, exc):
    if isinstance(exc, nameko.exceptions.UnserializableValueError):
        data["exc_args"] = [exc.repr_value]


for _name, _mutator in {
    "err_exc_type_qualified": _exc_type_qualified,
    "err_exc_path_module_only": _exc_path_module_only,
    "err_exc_args_string": lambda d, e: d.update(exc_args=" ".join(map(str, d["exc_args"]))),
    "err_missing_exc_args": lambda d, e: d.pop("exc_args"),
    "err_value_repr": lambda d, e: d.update(value=repr(e)),
    "err_value_empty": lambda d, e: d.update(value=""),
    "err_exc_args_objects": lambda d, e: d.update(exc_args=[{"arg": a} for a in d["exc_args"]]),
    "err_traceback_in_value": _traceback_in_value,
    "err_secret_in_error": lambda d, e: d.update(value=d["value"] + " (broker " + AMQP_URI + ")"),
    "err_unserializable_args": _unserializable_args,
}.items():
    APPLY[_name] = _error_fault(_mutator)


class NoSuchMethod(Exception):
    pass


@fault("err_method_not_found_renamed")
def _():
    nameko.rpc.MethodNotFound = NoSuchMethod


@fault("err_method_not_found_args_key")
def _():
    original = nameko.rpc.RpcConsumer.get_provider_for_method

    def get_provider_for_method(self, routing_key):
        try:
            return original(self, routing_key)
        except nameko.exceptions.MethodNotFound:
            raise nameko.exceptions.MethodNotFound(routing_key)
    nameko.rpc.RpcConsumer.get_provider_for_method = get_provider_for_method


@fault("err_incorrect_signature_typeerror")
def _():
    nameko.extensions.IncorrectSignature = TypeError


@fault("err_malformed_keyerror")
def _():
    nameko.rpc.MalformedRequest = KeyError


# ------------------------------------------------------------------ context

def _headers_fault(transform):
    return lambda: patch_outgoing_headers(transform)


def _prefix_outgoing(headers, context_data, kind):
    return {"x-" + k: v for k, v in headers.items()}


def _drop_others(headers, context_data, kind):
    return {k: v for k, v in headers.items() if k == "nameko.call_id_stack"}


def _drop_language(headers, context_data, kind):
    return {k: v for k, v in headers.items() if k != "nameko.language"}


def _stack_as_string(headers, context_data, kind):
    if "nameko.call_id_stack" in headers:
        headers = dict(headers, **{"nameko.call_id_stack": ",".join(headers["nameko.call_id_stack"])})
    return headers


def _stack_parent_outgoing(headers, context_data, kind):
    if "nameko.call_id_stack" in headers:
        headers = dict(headers, **{"nameko.call_id_stack": list(headers["nameko.call_id_stack"])[:-1]})
    return headers


def _uri_header(headers, context_data, kind):
    return dict(headers, **{"nameko.amqp_uri": AMQP_URI})


for _name, _transform in {
    "ctx_prefix_outgoing": _prefix_outgoing,
    "ctx_drop_other_headers": _drop_others,
    "ctx_drop_language": _drop_language,
    "ctx_stack_as_string": _stack_as_string,
    "ctx_stack_parent_outgoing": _stack_parent_outgoing,
    "sec_uri_header": _uri_header,
}.items():
    APPLY[_name] = _headers_fault(_transform)


def _stack_fault(make_stack):
    return lambda: patch_call_id_stack(make_stack)


for _name, _make in {
    "ctx_stack_not_extended": lambda parents, own: parents[-10:],
    "ctx_stack_uncapped": lambda parents, own: parents + [own],
    "ctx_stack_cap_5": lambda parents, own: parents[-5:] + [own],
    "ctx_stack_drops_newest": lambda parents, own: parents[:10] + [own],
    "ctx_stack_reversed": lambda parents, own: [own] + parents[-10:],
}.items():
    APPLY[_name] = _stack_fault(_make)


@fault("ctx_call_id_uuid_only")
def _():
    patch_call_id(lambda ctx: str(_uuid.uuid4()))


@fault("ctx_call_id_constant")
def _():
    patch_call_id(lambda ctx: "{}.{}.00000000-0000-4000-8000-000000000000".format(
        ctx.service_name, ctx.entrypoint.method_name))


def _context_fault(transform):
    return lambda: patch_incoming_context(transform)


def _without_stack(context, headers, kind):
    context = dict(context)
    context.pop("call_id_stack", None)
    return context


def _stack_ignored_by_handlers(context, headers, kind):
    return _without_stack(context, headers, kind) if kind == "event" else context


def _stringified(context, headers, kind):
    return {k: (v if k == "call_id_stack" else str(v)) for k, v in context.items()}


for _name, _transform in {
    "ctx_ignore_incoming_stack": _without_stack,
    "ctx_prefix_not_stripped": lambda context, headers, kind: headers,
    "ctx_values_stringified": _stringified,
    "evt_handler_stack_ignored": _stack_ignored_by_handlers,
}.items():
    APPLY[_name] = _context_fault(_transform)


# ------------------------------------------------------------------ events

def patch_dispatch(change):
    """change(dispatcher, event_type, event_data, kwargs) -> (event_data, kwargs) for each dispatched event."""
    def get_dependency(self, worker_ctx):
        if NAMEKO3:
            headers = nameko.events.encode_to_headers(worker_ctx.context_data)
        else:
            headers = self.get_message_headers(worker_ctx)

        def dispatch(event_type, event_data):
            kwargs = {"exchange": self.exchange, "routing_key": event_type, "extra_headers": headers}
            event_data, kwargs = change(self, event_type, event_data, kwargs)
            self.publisher.publish(event_data, **kwargs)
        return dispatch
    nameko.events.EventDispatcher.get_dependency = get_dependency


def _exchange_dash(dispatcher, event_type, data, kwargs):
    exchange = Exchange(dispatcher.container.service_name + "-events", type="topic", durable=True)
    return data, dict(kwargs, exchange=exchange, declare=[exchange])


def _routing_key_prefixed(dispatcher, event_type, data, kwargs):
    return data, dict(kwargs, routing_key=dispatcher.container.service_name + "." + event_type)


def _content_type_text(dispatcher, event_type, data, kwargs):
    return json.dumps(data), dict(kwargs, content_type="text/plain", content_encoding="utf-8")


for _name, _change in {
    "evt_exchange_name_dash": _exchange_dash,
    "evt_routing_key_prefixed": _routing_key_prefixed,
    "evt_body_envelope": lambda d, t, data, kw: ({"type": t, "data": data}, kw),
    "evt_content_type_text": _content_type_text,
    "evt_reply_to_set": lambda d, t, data, kw: (data, dict(kw, reply_to="events-reply",
                                                           correlation_id=str(_uuid.uuid4()))),
    "evt_no_context_headers": lambda d, t, data, kw: (data, dict(kw, extra_headers={})),
    "evt_transient": lambda d, t, data, kw: (data, dict(kw, delivery_mode=1)),
}.items():
    APPLY[_name] = (lambda change: lambda: patch_dispatch(change))(_change)


@fault("evt_exchange_auto_delete")
def _():
    original = nameko.events.get_event_exchange

    def get_event_exchange(*args):
        exchange = original(*args)
        return Exchange(exchange.name, type="topic", durable=True, auto_delete=True,
                        delivery_mode=exchange.delivery_mode)
    nameko.events.get_event_exchange = get_event_exchange


def _is_handler_queue(name, kwargs):
    return name.startswith("evt-")


def _is_broadcast(kwargs):
    return bool(kwargs.get("exclusive"))


def _pool_name(name, kwargs):
    if "--" in name and not _is_broadcast(kwargs):
        name = name.replace("--", "-")
    return name, kwargs


def _singleton_name(name, kwargs):
    if "--" not in name:
        name = name + "--" + SERVICE
    return name, kwargs


def _broadcast_no_id(name, kwargs):
    if _is_broadcast(kwargs):
        name = name.rsplit("-", 1)[0]
    return name, kwargs


def _reliable_auto_delete(name, kwargs):
    if not _is_broadcast(kwargs):
        kwargs["auto_delete"] = True
    return name, kwargs


for _name, _change in {
    "evt_pool_queue_name": _pool_name,
    "evt_singleton_queue_name": _singleton_name,
    "evt_broadcast_no_id": _broadcast_no_id,
    "evt_broadcast_not_exclusive": lambda n, kw: (n, dict(kw, exclusive=False)),
    "evt_reliable_auto_delete": _reliable_auto_delete,
    "evt_handler_queue_not_durable": lambda n, kw: (n, dict(kw, durable=False)),
    "evt_handler_binding_wide": lambda n, kw: (n, dict(kw, routing_key="#")),
}.items():
    APPLY[_name] = (lambda change: lambda: patch_queue_factory(nameko.events, _is_handler_queue, change))(_change)


@fault("evt_handler_never_ack")
def _():
    original = nameko.messaging.Consumer.handle_message_processed

    def handle_message_processed(self, message, result=None, exc_info=None):
        if isinstance(self, nameko.events.EventHandler):
            return None
        return original(self, message, result, exc_info)
    nameko.messaging.Consumer.handle_message_processed = handle_message_processed


@fault("evt_handler_twice")
def _():
    original = nameko.events.EventHandler.handle_message

    def handle_message(self, body, message):
        original(self, body, message)
        if NAMEKO3:
            context = nameko.messaging.decode_from_headers(message.headers)
        else:
            context = self.unpack_message_headers(message)
        self.container.spawn_worker(self, (body,), {}, context_data=context,
                                    handle_result=lambda worker_ctx, result, exc_info: (result, exc_info))
    nameko.events.EventHandler.handle_message = handle_message


# ------------------------------------------------------------------ nested calls through the testee's client

def _nested_fault(change):
    def apply():
        def core_change(payload, kwargs):
            if is_nested_request(kwargs):
                return change(payload, kwargs)
            return payload, kwargs
        patch_core_publish(core_change)
    return apply


def _charset(payload, kwargs):
    body = json.dumps({"args": list(payload["args"]), "kwargs": payload["kwargs"]})
    return body, dict(kwargs, content_type="application/json; charset=utf-8", content_encoding="utf-8")


for _name, _change in {
    "nested_no_mandatory": lambda p, kw: (p, dict(kw, mandatory=False)),
    "nested_content_type_charset": _charset,
    "nested_extra_body_member": lambda p, kw: (dict(p, meta={"client": "faulty"}), kw),
    "nested_transient": lambda p, kw: (p, dict(kw, delivery_mode=1)),
}.items():
    APPLY[_name] = _nested_fault(_change)


def patch_reply_listener(change):
    original = nameko.rpc.ReplyListener.setup

    def setup(self):
        original(self)
        change(self)
    nameko.rpc.ReplyListener.setup = setup


def _dotted_reply_to(listener):
    listener.queue.routing_key = "reply." + listener.queue.routing_key
    if not NAMEKO3:
        listener.routing_key = listener.queue.routing_key


def _reply_queue_name(listener):
    listener.queue.name = "reply-" + listener.queue.routing_key


APPLY["nested_reply_to_dotted"] = lambda: patch_reply_listener(_dotted_reply_to)
APPLY["nested_reply_queue_no_expiry"] = lambda: patch_reply_listener(
    lambda listener: setattr(listener.queue, "queue_arguments", {}))
APPLY["nested_reply_queue_name"] = lambda: patch_reply_listener(_reply_queue_name)


class _ConstantUuid(object):
    """nameko.rpc's view of the uuid module: every uuid4 is the same, so correlation ids repeat."""
    CONSTANT = _uuid.uuid4()

    def uuid4(self):
        return self.CONSTANT


@fault("nested_correlation_id_constant")
def _():
    nameko.rpc.uuid = _ConstantUuid()


# ------------------------------------------------------------------ security, malformed input

@fault("sec_pickle_accepted")
def _():
    original = nameko.serialization.setup

    def setup(*args):
        outcome = original(*args)
        if hasattr(outcome, "_replace"):
            return outcome._replace(accept=list(outcome.accept) + ["pickle"])
        serializer, accept = outcome
        return serializer, list(accept) + ["pickle"]
    nameko.serialization.setup = setup


@fault("mal_no_reply_to_requeued")
def _():
    import eventlet

    def wrapper(original, self, body, message):
        if not message.properties.get("reply_to"):
            eventlet.sleep(0.5)
            request_consumer_of(self).requeue_message(message)
            return None
        return original(self, body, message)
    patch_rpc_consumer_handle_message(wrapper)


@fault("mal_large_request_dropped")
def _():
    def wrapper(original, self, body, message):
        if len(message.body or b"") > 256 * 1024:
            request_consumer_of(self).ack_message(message)
            return None
        return original(self, body, message)
    patch_rpc_consumer_handle_message(wrapper)


APPLY["none"] = lambda: None

_missing = set(BY_NAME) - set(APPLY)
if _missing:
    raise SystemExit("faulty_nameko: faults without an implementation: %s" % sorted(_missing))

APPLY[FAULT]()
print("faulty_nameko: nameko %s, fault %s" % (VERSION, FAULT), file=sys.stderr)

from nameko_testee import ConformanceTestee  # noqa: E402,F401  (nameko run serves the class found here)
