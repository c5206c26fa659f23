"""Reference implementation of the nameko AMQP wire protocol.

The sans-I/O core (names, codec, errors, context, server_core, client_core) imports no pika;
`transport` is the only module that does, and `client`, `service`, `cli` and `testee` build on it.
"""

from .errors import (IncorrectSignature, MalformedRequest, MethodNotFound, ProtocolError, RemoteError, RpcError,
                     RpcTimeout, UnknownService, UnserializableValueError)

__all__ = ["IncorrectSignature", "MalformedRequest", "MethodNotFound", "ProtocolError", "RemoteError", "RpcError",
           "RpcTimeout", "UnknownService", "UnserializableValueError", "ClusterClient", "ServiceRunner", "rpc",
           "event_handler", "EventDispatcher", "ClusterRpc"]

_LAZY = {"ClusterClient": "client", "ServiceRunner": "service", "rpc": "service", "event_handler": "service",
         "EventDispatcher": "service", "ClusterRpc": "service"}


def __getattr__(name):
    # Loaded on first use, so that importing the core does not import pika.
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
