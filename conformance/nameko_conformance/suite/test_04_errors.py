"""Error replies: the error object and the built-in errors (chapter 04)."""

import json

import pytest

from nameko_conformance.oracle import reply as replies, values
from nameko_conformance.suite._steps import call_error

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("RPC-ERR-1", "RPC-ERR-2", "RPC-ERR-3", "RPC-ERR-4", "RPC-ERR-5", "RPC-ERR-9", "RPC-REPLY-5",
                 "TESTEE-3", "RPC-ERR-13")
def test_raised_error_is_reported_with_type_and_message(peer):
    """A failing method yields result null and an error naming its type, with its message as value."""
    error = call_error(peer, peer.request("raise_error", ["KitCustomError", "kit message"]), None)
    ev = peer.evidence
    ev.apply(values.equal("RPC-ERR-9", "exc-type-of-failure", "exc_type", "KitCustomError", error.get("exc_type")))
    ev.apply(values.equal("RPC-ERR-9", "value-of-failure", "value", "kit message", error.get("value")))
    ev.apply(values.equal("TESTEE-3", "raise-error-args", "exc_args", ["kit message"], error.get("exc_args")))
    ev.apply(replies.error_args_are_strings(error))
    ev.apply(replies.no_internals(error))


# A name no service has, and near misses of the testee's echo: a server that matches method names loosely (by
# case, prefix or a cleaned-up form) runs echo for them instead of answering MethodNotFound.
ABSENT_METHODS = ("kit_absent_method", "ECHO", "ech", "echo_", "Echo")


@pytest.mark.parametrize("method", ABSENT_METHODS)
@pytest.mark.req("RPC-ERR-6", "RPC-ERR-1", "RPC-ERR-5", "RPC-REQ-11")
def test_unknown_method_is_method_not_found(peer, method):
    """A method the service lacks yields MethodNotFound with the method name in exc_args."""
    error = call_error(peer, peer.request(method), "MethodNotFound", "RPC-ERR-6")
    peer.evidence.apply(values.equal("RPC-ERR-6", "method-not-found-args", "exc_args", [method],
                                     error.get("exc_args")))
    peer.evidence.apply(values.equal("RPC-REQ-11", "method-from-key", "the method named by the routing key",
                                     [method], error.get("exc_args")))
    peer.evidence.apply(replies.error_args_are_strings(error))


@pytest.mark.parametrize("args, kwargs", [([], {}), (["a", "b", "c"], {}), (["T"], {"bogus": 1})],
                         ids=["missing-argument", "extra-argument", "unexpected-keyword"])
@pytest.mark.req("RPC-ERR-7")
def test_wrong_signature_is_incorrect_signature(peer, args, kwargs):
    """Arguments that do not fit the method yield IncorrectSignature with one string in exc_args."""
    error = call_error(peer, peer.request("raise_error", args, kwargs), "IncorrectSignature", "RPC-ERR-7")
    peer.evidence.apply(values.holds("RPC-ERR-7", "exc-args-one-string", "exc_args holding one string",
                                     error.get("exc_args"), lambda a: len(a) == 1 and isinstance(a[0], str)))


@pytest.mark.parametrize("body", [{"args": []}, {"kwargs": {}}, {}], ids=["no-kwargs", "no-args", "empty-object"])
@pytest.mark.req("RPC-ERR-8")
def test_object_without_args_or_kwargs_is_malformed_request(peer, body):
    """A JSON object body without args or kwargs yields MalformedRequest with one string in exc_args."""
    error = call_error(peer, peer.request("echo", body=json.dumps(body).encode()), "MalformedRequest", "RPC-ERR-8")
    peer.evidence.apply(values.holds("RPC-ERR-8", "exc-args-one-string", "exc_args holding one string",
                                     error.get("exc_args"), lambda a: len(a) == 1 and isinstance(a[0], str)))


@pytest.mark.capability("unserializable")
@pytest.mark.req("RPC-ERR-10", "TESTEE-9")
def test_unencodable_result_is_unserializable_value_error(peer):
    """A result that cannot be encoded yields UnserializableValueError with exc_args [], and serving goes on."""
    error = call_error(peer, peer.request("unserializable"), "UnserializableValueError", "RPC-ERR-10")
    peer.evidence.apply(values.equal("RPC-ERR-10", "unserializable-args", "exc_args", [], error.get("exc_args")))
    peer.evidence.apply(values.holds("TESTEE-9", "unserializable", "unserializable() answered with "
                                     "UnserializableValueError", error.get("exc_type"),
                                     lambda t: t == "UnserializableValueError"))
    peer.sentinel("RPC-ERR-10")
