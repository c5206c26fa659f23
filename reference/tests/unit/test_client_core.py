"""The client's correlation table: one outcome per call, whatever arrives and in whatever order."""

import pytest

from nameko_reference import client_core, codec, errors


def table():
    return client_core.CallTable("nameko-rpc", "reply-key")


def reply_to(request, body, content_type="application/json"):
    properties = {"correlation_id": request.properties["correlation_id"]}
    if content_type:
        properties["content_type"] = content_type
    return codec.Message(body, properties, {}, "nameko-rpc", "reply-key")


def test_request_of_a_call():
    """A call's request goes to `S.m` with mandatory, the client's reply_to and a fresh uuid (RPC-REQ-1, RPC-CORR-9)."""
    calls = table()
    first = calls.new_call("svc", "m", [1], {}, None, "t1")
    second = calls.new_call("svc", "m", [1], {}, None, "t2")
    assert first.routing_key == "svc.m" and first.mandatory and first.properties["reply_to"] == "reply-key"
    assert first.properties["correlation_id"] != second.properties["correlation_id"]
    assert len(first.properties["correlation_id"]) == 36 and len(calls) == 2


def test_replies_in_any_order():
    """Replies settle their own calls, by correlation_id alone (RPC-REPLY-11, RPC-CORR-10)."""
    calls = table()
    a = calls.new_call("svc", "m", [], {}, None, "a")
    b = calls.new_call("svc", "m", [], {}, None, "b")
    assert calls.on_reply(reply_to(b, b'{"result": "B", "error": null}')) == client_core.Settled("b", "B")
    assert calls.on_reply(reply_to(a, b'{"result": "A", "error": null}')) == client_core.Settled("a", "A")


def test_duplicate_and_unknown_replies_are_ignored():
    """A second reply and a reply nobody waits for are ignored (RPC-CALL-4, RPC-CORR-8)."""
    calls = table()
    a = calls.new_call("svc", "m", [], {}, None, "a")
    assert calls.on_reply(reply_to(a, b'{"result": 1, "error": null}')).value == 1
    assert isinstance(calls.on_reply(reply_to(a, b'{"result": 2, "error": null}')), client_core.Ignored)
    stranger = codec.Message(b"{}", {"correlation_id": "nobody"})
    assert isinstance(calls.on_reply(stranger), client_core.Ignored)


def test_timeout_then_late_reply():
    """A timed-out call fails with RpcTimeout and its late reply is ignored (RPC-CALL-3, RPC-CALL-6)."""
    calls = table()
    a = calls.new_call("svc", "m", [], {}, None, "a")
    settled = calls.on_timeout(a.properties["correlation_id"])
    assert isinstance(settled.error, errors.RpcTimeout)
    assert isinstance(calls.on_reply(reply_to(a, b'{"result": 1, "error": null}')), client_core.Ignored)
    assert calls.on_timeout(a.properties["correlation_id"]) is None


def test_returned_request_is_unknown_service():
    """A request returned by the broker fails as UnknownService naming the service (RPC-CALL-1)."""
    calls = table()
    a = calls.new_call("ghost", "m", [], {}, None, "a")
    settled = calls.on_return(a)
    assert isinstance(settled.error, errors.UnknownService) and settled.error.service == "ghost"
    assert isinstance(calls.on_return(a), client_core.Ignored)


def test_nack_fails_the_call():
    """A request the broker nacks fails at once instead of waiting for a timeout."""
    calls = table()
    a = calls.new_call("svc", "m", [], {}, None, "a")
    assert isinstance(calls.on_nack(a.properties["correlation_id"]).error, errors.ProtocolError)


@pytest.mark.parametrize("body, content_type, kind", [
    (b'{"result": null, "error": {"exc_type": "E", "exc_path": "x.E", "exc_args": [], "value": "v"}}',
     "application/json", errors.RemoteError),
    (b'{"result": null, "error": {"exc_type": "MethodNotFound", "exc_path": "nameko.exceptions.MethodNotFound",'
     b' "exc_args": ["m"], "value": "m"}}', "application/json", errors.MethodNotFound),
    (b"{not json", "application/json", errors.ProtocolError),
    (b'"\xff"', "application/json", errors.ProtocolError),
    (b"[1]", "application/json", errors.ProtocolError),
    (b'{"error": null}', "application/json", errors.ProtocolError),
    (b'{"result": 1, "error": "boom"}', "application/json", errors.ProtocolError),
    (b'{"result": 1, "error": null}', "text/plain", errors.ProtocolError),
])
def test_failing_replies(body, content_type, kind):
    """Error replies raise their kind; undecodable replies never yield a result (RPC-REPLY-10, RPC-CORR-11, RPC-CORR-14)."""
    calls = table()
    a = calls.new_call("svc", "m", [], {}, None, "a")
    settled = calls.on_reply(reply_to(a, body, content_type))
    assert type(settled.error) is kind and settled.value is None


def test_reply_without_content_type_and_with_extra_members():
    """A reply's unused properties, headers and members are ignored (RPC-REPLY-12)."""
    calls = table()
    a = calls.new_call("svc", "m", [], {}, None, "a")
    settled = calls.on_reply(reply_to(a, b'{"result": [1], "error": null, "x": 1}', content_type=None))
    assert settled == client_core.Settled("a", [1])


def test_fail_all():
    """Losing the connection settles every outstanding call once."""
    calls = table()
    calls.new_call("svc", "m", [], {}, None, "a")
    calls.new_call("svc", "m", [], {}, None, "b")
    failure = ConnectionError("gone")
    assert [s.token for s in calls.fail_all(failure)] == ["a", "b"] and len(calls) == 0
