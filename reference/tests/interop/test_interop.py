"""The reference and real nameko talk to each other in both directions, for RPC and events."""

import time

import pytest

from nameko_reference import IncorrectSignature, MethodNotFound, RemoteError, UnknownService

from . import reference_services
from .conftest import run_nameko_client

pytestmark = pytest.mark.nameko


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- reference client -> nameko service --------------------------------------------------------------------


def test_plain_call_and_kwargs(client, nameko_service):
    """A nameko service answers the reference client's positional and keyword arguments."""
    assert client[nameko_service].hello("world") == "Hello, world!"
    assert client[nameko_service].echo(1, "é", x={"y": [1, 2.5, None]}) == {
        "args": [1, "é"], "kwargs": {"x": {"y": [1, 2.5, None]}}}


def test_calls_in_flight(client, nameko_service):
    """Many outstanding calls on one reply queue each get their own reply (RPC-CORR-10)."""
    replies = [client[nameko_service].echo.call_async(i) for i in range(50)]
    assert [reply.result(timeout=20) for reply in reversed(replies)] == [
        {"args": [i], "kwargs": {}} for i in reversed(range(50))]


def test_context_reaches_nameko(client, nameko_service):
    """nameko sees the reference client's context data and extends its call id stack (CTX-1, CTX-2)."""
    seen = client[nameko_service].whoami()
    assert seen["context"]["language"] == "en"
    assert len(seen["call_id_stack"]) == 2
    assert seen["call_id_stack"][0].startswith("reference_rpc_client.call.")
    assert seen["call_id_stack"][1].startswith(f"{nameko_service}.whoami.")


@pytest.mark.parametrize("call, kind, exc_type", [
    (lambda s: s.no_such_method(), MethodNotFound, None),
    (lambda s: s.hello(), IncorrectSignature, None),
    (lambda s: s.hello("a", "b"), IncorrectSignature, None),
    (lambda s: s.raise_value_error("boom"), RemoteError, "ValueError"),
    (lambda s: s.unserializable(), RemoteError, "UnserializableValueError"),
])
def test_errors_from_nameko(client, nameko_service, call, kind, exc_type):
    """nameko's error replies surface as the reference client's error kinds (RPC-ERR-11)."""
    with pytest.raises(kind) as raised:
        call(client[nameko_service])
    if exc_type:
        assert raised.value.exc_type == exc_type


def test_unknown_service(client, token):
    """A call to a service nobody serves fails at once with UnknownService (RPC-CALL-1)."""
    started = time.monotonic()
    with pytest.raises(UnknownService):
        client.call(f"nobody_{token}", "m", timeout=30)
    assert time.monotonic() - started < 30


def test_events_from_nameko_reach_every_reference_handler(client, nameko_service):
    """An event nameko dispatches reaches the reference's pool, singleton and broadcast handlers (EVT-11, EVT-12)."""
    client[nameko_service].emit("greeted", {"who": "ann"})

    def handled():
        return {r["handler"] for r in reference_services.RECEIVED if r["payload"] == {"who": "ann"}}
    assert wait_for(lambda: handled() == {"service_pool", "singleton", "broadcast"}), reference_services.RECEIVED
    record = next(r for r in reference_services.RECEIVED if r["payload"] == {"who": "ann"})
    assert record["call_id_stack"][1].startswith(f"{nameko_service}.emit.") and len(record["call_id_stack"]) == 3


# -- nameko clients -> reference server --------------------------------------------------------------------


@pytest.fixture(scope="module")
def nameko_outcomes(reference_runner, cleanup, token):
    return run_nameko_client(f"ref_{token}", cleanup)


def test_nameko_standalone_client_calls_the_reference(nameko_outcomes):
    """nameko's standalone client gets results, in any order, from the reference server."""
    assert nameko_outcomes["echo"] == {"result": {"args": ["world", 1], "kwargs": {"flag": True}}}
    assert nameko_outcomes["kwargs_only"] == {"result": {"args": [], "kwargs": {"a": {"b": [1, 2.5, None]}}}}
    assert nameko_outcomes["call_async"] == [{"args": [i], "kwargs": {}} for i in reversed(range(20))]


def test_nameko_context_reaches_the_reference(nameko_outcomes, token):
    """The reference worker sees nameko's context headers and its call id stack (CTX-4)."""
    seen = nameko_outcomes["context"]["result"]
    assert seen["context"] == {"language": "fr", "user_id": 7}
    assert seen["call_id_stack"][0].startswith("standalone_rpc_")
    assert seen["call_id_stack"][1].startswith(f"ref_{token}.context.") and len(seen["call_id_stack"]) == 2


@pytest.mark.parametrize("name, kind, exc_type", [
    ("method_not_found", "MethodNotFound", None),
    ("incorrect_signature", "IncorrectSignature", None),
    ("remote_error", "RemoteError", "CustomError"),
    ("unserializable", "RemoteError", "UnserializableValueError"),
])
def test_reference_errors_reach_nameko(nameko_outcomes, name, kind, exc_type):
    """The reference's error replies are rebuilt by nameko as the same kinds (RPC-ERR-6, RPC-ERR-7, RPC-ERR-10)."""
    outcome = nameko_outcomes[name]
    assert outcome["kind"] == kind, outcome
    if exc_type:
        assert outcome["exc_type"] == exc_type


def test_in_service_proxy_calls_the_reference(client, nameko_service, token):
    """A nameko service's RpcProxy calls the reference; the stack grows over both hops (CTX-4, CTX-6)."""
    assert client[nameko_service].relay("echo", [1], {"k": "v"}) == {"args": [1], "kwargs": {"k": "v"}}
    seen = client[nameko_service].relay("context", [], {})
    assert seen["context"] == {"language": "en"}
    assert [entry.split(".")[:2] for entry in seen["call_id_stack"][1:]] == [
        [nameko_service, "relay"], [f"ref_{token}", "context"]]
    with pytest.raises(RemoteError) as raised:
        client[nameko_service].relay("raise_error", ["CustomError", "nested"], {})
    # nameko re-raises the nested failure as its own RemoteError, keeping the type only in the text.
    assert raised.value.exc_type == "RemoteError" and raised.value.value == "CustomError nested"


def test_reference_in_service_client_calls_nameko(client, nameko_service, token):
    """The reference's in-service client calls nameko with the worker's stack (TESTEE-6, CTX-6)."""
    seen = client[f"ref_{token}"].call(nameko_service, "whoami", [], {})
    assert seen["context"] == {"language": "en"}
    assert seen["call_id_stack"][1].startswith(f"ref_{token}.call.") and len(seen["call_id_stack"]) == 3
    with pytest.raises(RemoteError) as raised:
        client[f"ref_{token}"].call(f"nobody_{token}", "m", [], {})
    assert raised.value.exc_type == "UnknownService"


# -- reference dispatcher -> nameko event handlers ---------------------------------------------------------


def test_reference_events_reach_nameko_handlers(client, nameko_service, token):
    """A reference worker's event reaches a nameko handler with the worker's call id stack (EVT-1, CTX-6)."""
    client[f"ref_{token}"].dispatch("ref_event", {"n": 1})
    assert wait_for(lambda: client[nameko_service].received())
    received = client[nameko_service].received()
    assert [r["payload"] for r in received] == [{"n": 1}]
    stack = received[0]["call_id_stack"]
    assert stack[1].startswith(f"ref_{token}.dispatch.") and stack[2].startswith(f"{nameko_service}.on_ref_event.")
