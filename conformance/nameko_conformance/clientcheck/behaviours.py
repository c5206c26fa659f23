"""How the probe service answers one request: a behaviour turned into planned replies (sans-I/O).

Behaviours are written as text so that tests and reports can name them:

    normal                 one reply whose result is {"args", "kwargs"} of the request
    late[:<seconds>]       the normal reply, after a delay (default 2 s)
    twice                  two identical normal replies
    foreign_correlation    a reply with a correlation id of no call, then the normal reply
    malformed_json         one reply whose body is not JSON
    error:<Kind>           an error reply; MethodNotFound, IncorrectSignature, MalformedRequest and
                           UnknownService carry nameko's exc_path, any other kind is a remote error
    error_lenient:<Kind>   as error:<Kind>, with an extra member and non-string exc_args (RPC-ERR-12)
    unusual_properties     the normal reply with extra headers and properties a client ignores (RPC-REPLY-12)
    never                  no reply
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from nameko_conformance.oracle.driver import BUILTIN_KINDS

DEFAULT_LATE_SECONDS = 2.0
# Error replies a client surfaces as their own kind (RPC-ERR-11); every other one is a remote error.
CLIENT_ERROR_KINDS = BUILTIN_KINDS
NAMEKO_ERROR_KINDS = CLIENT_ERROR_KINDS + ("UnknownService",)
NAMEKO_EXCEPTIONS_MODULE = "nameko.exceptions"
PROBE_EXCEPTIONS_MODULE = "conformance_probe"
FOREIGN_RESULT = "reply to no call"
MALFORMED_REPLY_BODY = b'{"result": "truncated'
_SIMPLE = ("normal", "twice", "foreign_correlation", "malformed_json", "unusual_properties", "never")


@dataclass(frozen=True)
class Behaviour:
    name: str                      # one of _SIMPLE, "late", "error", "error_lenient"
    delay: float = 0.0             # for late
    error_kind: str | None = None  # for error and error_lenient

    @classmethod
    def parse(cls, text: str) -> "Behaviour":
        name, _, argument = text.partition(":")
        if name in _SIMPLE and not argument:
            return cls(name)
        if name == "late":
            delay = float(argument) if argument else DEFAULT_LATE_SECONDS
            if delay < 0:
                raise ValueError(f"a delay cannot be negative: {text!r}")
            return cls(name, delay=delay)
        if name in ("error", "error_lenient") and argument.isidentifier():
            return cls(name, error_kind=argument)
        raise ValueError(f"unknown probe behaviour {text!r}")

    def __str__(self):
        if self.name == "late":
            return f"late:{self.delay:g}"
        if self.error_kind:
            return f"{self.name}:{self.error_kind}"
        return self.name


@dataclass(frozen=True)
class PlannedReply:
    delay: float
    correlation_id: str | None
    body: bytes
    headers: dict = field(default_factory=dict)
    extra_properties: dict = field(default_factory=dict)
    note: str = ""


def error_object(kind: str, method: str, *, lenient: bool = False) -> dict:
    module = NAMEKO_EXCEPTIONS_MODULE if kind in NAMEKO_ERROR_KINDS else PROBE_EXCEPTIONS_MODULE
    message = method if kind == "MethodNotFound" else f"probe error {kind}"
    error = {"exc_type": kind, "exc_path": f"{module}.{kind}", "exc_args": [message], "value": message}
    if lenient:
        error["exc_args"] = [message, 42, {"nested": None}]
        error["probe_extra"] = {"member": "a client ignores it"}
    return error


def echo_result(request_body) -> dict:
    """What the probe's normal reply returns: the request's args and kwargs, or nulls when they are missing."""
    if isinstance(request_body, dict):
        return {"args": request_body.get("args"), "kwargs": request_body.get("kwargs")}
    return {"args": None, "kwargs": None}


def encode_reply(result=None, error=None) -> bytes:
    return json.dumps({"result": result, "error": error}).encode("utf-8")


def decode_request_body(body: bytes):
    """The request body as JSON, or None when it is not UTF-8 JSON."""
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return None


def plan_replies(behaviour: Behaviour, method: str, correlation_id: str | None, request_body: bytes) -> list:
    """The replies the probe publishes for one request, in order."""
    parsed = decode_request_body(request_body)
    if parsed is None or not isinstance(parsed, dict) or "args" not in parsed or "kwargs" not in parsed:
        # A broken client's request gets what a conforming server answers (MAL-1, MAL-6, RPC-ERR-8).
        return [PlannedReply(0.0, correlation_id, encode_reply(error=error_object("MalformedRequest", method)),
                             note="request was malformed")]
    normal = encode_reply(result=echo_result(parsed))
    name = behaviour.name
    if name == "never":
        return []
    if name == "normal":
        return [PlannedReply(0.0, correlation_id, normal)]
    if name == "late":
        return [PlannedReply(behaviour.delay, correlation_id, normal, note="late")]
    if name == "twice":
        return [PlannedReply(0.0, correlation_id, normal, note="first"),
                PlannedReply(0.0, correlation_id, normal, note="duplicate")]
    if name == "foreign_correlation":
        return [PlannedReply(0.0, str(uuid.uuid4()), encode_reply(result=FOREIGN_RESULT), note="foreign"),
                PlannedReply(0.0, correlation_id, normal)]
    if name == "malformed_json":
        return [PlannedReply(0.0, correlation_id, MALFORMED_REPLY_BODY, note="malformed")]
    if name == "unusual_properties":
        return [PlannedReply(0.0, correlation_id, normal,
                             headers={"x-probe": "ignored", "nameko.call_id_stack": ["probe.reply.0"],
                                      "nameko.user_id": 7},
                             extra_properties={"type": "probe.reply", "app_id": "conformance-probe",
                                               "message_id": str(uuid.uuid4()), "timestamp": 1700000000,
                                               "priority": 9, "expiration": "600000"},
                             note="unusual properties")]
    lenient = name == "error_lenient"
    return [PlannedReply(0.0, correlation_id, encode_reply(error=error_object(behaviour.error_kind, method,
                                                                               lenient=lenient)))]


def expected_outcome(behaviour: Behaviour, args, kwargs) -> dict | None:
    """The outcome a conforming client reports for a call answered with `behaviour` (before its timeout).

    None means there is no single answer: `malformed_json` allows a protocol error or a timeout (RPC-CORR-11,
    RPC-CORR-14), and `never` and `late` beyond the timeout give a timeout.
    """
    name = behaviour.name
    if name in ("normal", "late", "twice", "foreign_correlation", "unusual_properties"):
        return {"result": {"args": list(args), "kwargs": dict(kwargs)}}
    if name in ("error", "error_lenient"):
        kind = behaviour.error_kind
        driver_kind = kind if kind in CLIENT_ERROR_KINDS else "remote"
        return {"error": {"kind": driver_kind, "exc_type": kind}}
    return None
