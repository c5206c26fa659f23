"""Error objects on the wire and the exceptions they stand for (spec chapter 04)."""

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
        self.text = f"Unserializable value: `{_safe_repr(value)}`"

    def __str__(self):
        return self.text


# RPC-ERR-11: the three kinds a client rebuilds; everything else is a RemoteError.
CLIENT_KINDS = {
    f"{NAMEKO_EXCEPTIONS}.{cls.__name__}": cls for cls in (MethodNotFound, IncorrectSignature, MalformedRequest)
}
_NAMEKO_PATHED = (MethodNotFound, IncorrectSignature, MalformedRequest, UnknownService, RpcTimeout,
                  RemoteError, UnserializableValueError)


def error_object(exc):
    """The wire error object for an exception (RPC-ERR-1..5); never a traceback (RPC-ERR-13)."""
    cls = type(exc)
    module = NAMEKO_EXCEPTIONS if cls in _NAMEKO_PATHED else cls.__module__
    return {
        "exc_type": cls.__name__,  # RPC-ERR-2: no module prefix
        "exc_path": f"{module}.{cls.__name__}",  # RPC-ERR-3: last segment is exc_type
        "exc_args": [_safe_str(arg) for arg in exc.args],  # RPC-ERR-4, RPC-ERR-5
        "value": _safe_str(exc),
    }


def exception_from_error(error):
    """The exception a client raises for a non-null error member (RPC-ERR-11, RPC-ERR-12)."""
    if not isinstance(error, dict):
        return ProtocolError(f"reply error is not an object: {error!r}")
    exc_args = error.get("exc_args")
    exc_args = exc_args if isinstance(exc_args, list) else []
    kind = CLIENT_KINDS.get(error.get("exc_path"))
    exc = kind(*exc_args) if kind else RemoteError(error.get("exc_type"), error.get("value"), exc_args,
                                                   error.get("exc_path"))
    exc.error = error  # the object as received, extra members included
    return exc


def _safe_str(value):
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:
        return "[__str__ failed]"


def _safe_repr(value):
    try:
        return repr(value)
    except Exception:
        return "[__repr__ failed]"
