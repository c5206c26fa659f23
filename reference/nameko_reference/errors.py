"""Error objects on the wire and the exceptions they stand for (spec chapter 04)."""

from .codec import scrub

# Types whose error objects nameko identifies by a `nameko.exceptions.*` path (RPC-ERR-6..8, RPC-ERR-10).
NAMEKO_EXCEPTIONS = "nameko.exceptions"


class RpcError(Exception):
    """Base of the errors a caller sees."""


class MethodNotFound(RpcError):
    """The service has no method of that name."""


class IncorrectSignature(RpcError):
    """The arguments do not fit the method's parameters."""


class MalformedRequest(RpcError):
    """The request cannot be decoded or lacks `args`/`kwargs`."""


class UnknownService(RpcError):
    """The broker routed the request to no queue."""

    def __init__(self, service):
        super().__init__(service)
        self.service = service

    def __str__(self):
        return f"Unknown service `{self.service}`"


class RpcTimeout(RpcError):
    """No reply arrived within the call's timeout."""


class ProtocolError(RpcError):
    """A reply (or a broker answer) that does not follow the protocol."""


class ConnectionLost(RpcError):
    """The connection to the broker broke while the call was outstanding, or is down when the call is made
    (CONN-6): the call's outcome is unknown, since the request may or may not have run."""


class RequestTooLarge(RpcError, ValueError):
    """The encoded request exceeds the client's configured limit; nothing was sent."""


class RemoteError(RpcError):
    """Any other failure the service reported."""

    def __init__(self, exc_type, value, exc_args=(), exc_path=None):
        super().__init__(f"{exc_type} {value}")
        self.exc_type = exc_type
        self.value = value
        self.exc_args = list(exc_args)
        self.exc_path = exc_path


class UnserializableValueError(Exception):
    """A method returned a value the reply's content type cannot encode."""

    def __init__(self, value):
        super().__init__()  # RPC-ERR-10: exc_args is []
        self.text = scrub(f"Unserializable value: `{_safe_repr(value)}`")

    def __str__(self):
        return self.text


class ReplyTooLarge(Exception):
    """The method's result encodes to more bytes than the server's limit, or the broker refused the reply."""


# RPC-ERR-11: the three kinds a client rebuilds; everything else is a RemoteError.
CLIENT_KINDS = {
    f"{NAMEKO_EXCEPTIONS}.{cls.__name__}": cls for cls in (MethodNotFound, IncorrectSignature, MalformedRequest)
}
_NAMEKO_PATHED = (MethodNotFound, IncorrectSignature, MalformedRequest, UnknownService, RpcTimeout,
                  RemoteError, UnserializableValueError)


def error_object(exc):
    """The wire error object for an exception (RPC-ERR-1..5); never a traceback (RPC-ERR-13).

    Every string is scrubbed of lone surrogates, so that the object always encodes (SER-7, CONN-11).
    """
    cls = type(exc)
    module = NAMEKO_EXCEPTIONS if cls in _NAMEKO_PATHED else _safe_str(getattr(cls, "__module__", ""))
    name = scrub(_safe_str(getattr(cls, "__name__", "Exception")))
    args = getattr(exc, "args", ())
    return {
        "exc_type": name,  # RPC-ERR-2: no module prefix
        "exc_path": scrub(f"{module}.{name}"),  # RPC-ERR-3: last segment is exc_type
        "exc_args": [scrub(_safe_str(arg)) for arg in (args if isinstance(args, tuple) else ())],  # RPC-ERR-4, -5
        "value": scrub(_safe_str(exc)),
    }


def exception_from_error(error):
    """The exception a client raises for a non-null error member (RPC-ERR-11, RPC-ERR-12)."""
    if not isinstance(error, dict):
        return ProtocolError(f"reply error is not an object: {error!r}")
    exc_args = error.get("exc_args")
    exc_args = exc_args if isinstance(exc_args, list) else []
    exc_path = error.get("exc_path")
    kind = CLIENT_KINDS.get(exc_path) if isinstance(exc_path, str) else None  # a hostile path may be unhashable
    exc = kind(*exc_args) if kind else RemoteError(error.get("exc_type"), error.get("value"), exc_args,
                                                   error.get("exc_path"))
    exc.error = error  # the object as received, extra members included
    return exc


def _safe_str(value):
    if isinstance(value, str):
        return value
    try:
        text = str(value)
        return text if isinstance(text, str) else "[__str__ returned no string]"
    except Exception:
        return "[__str__ failed]"


def _safe_repr(value, limit=200):
    try:
        text = repr(value)
    except Exception:
        return "[__repr__ failed]"
    if not isinstance(text, str):
        return "[__repr__ returned no string]"
    return text if len(text) <= limit else text[:limit] + "..."
