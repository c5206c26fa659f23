"""Error replies: the error object and the built-in errors (chapter 04)."""

import json

import pytest

from nameko_conformance import verify
from nameko_conformance.suite._steps import call_error

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("RPC-ERR-1", "RPC-ERR-2", "RPC-ERR-3", "RPC-ERR-4", "RPC-ERR-5", "RPC-ERR-9", "RPC-REPLY-5",
                 "TESTEE-3", "RPC-ERR-13")
def test_raised_error_is_reported_with_type_and_message(peer):
    """A failing method yields result null and an error naming its type, with its message as value."""
    error = call_error(peer, peer.request("raise_error", ["KitCustomError", "kit message"]), None)
    if error["exc_type"] != "KitCustomError" or error["value"] != "kit message":
        verify.fail(f"expected exc_type 'KitCustomError' and value 'kit message', saw {error!r}",
                    ("RPC-ERR-9", "TESTEE-3"))
    if error["exc_args"] != ["kit message"]:
        verify.fail(f"expected exc_args ['kit message'], saw {error['exc_args']!r}", "TESTEE-3")
    verify.verify_error_args_are_strings(error)
    verify.verify_no_internals(error)


@pytest.mark.req("RPC-ERR-6", "RPC-ERR-1", "RPC-ERR-5", "RPC-REQ-11")
def test_unknown_method_is_method_not_found(peer):
    """A method the service lacks yields MethodNotFound with the method name in exc_args."""
    error = call_error(peer, peer.request("kit_absent_method"), "MethodNotFound", "RPC-ERR-6")
    if error["exc_args"] != ["kit_absent_method"]:
        verify.fail(f"expected exc_args ['kit_absent_method'], saw {error['exc_args']!r}", "RPC-ERR-6")
    verify.verify_error_args_are_strings(error)


@pytest.mark.parametrize("args, kwargs", [([], {}), (["a", "b", "c"], {}), (["T"], {"bogus": 1})],
                         ids=["missing-argument", "extra-argument", "unexpected-keyword"])
@pytest.mark.req("RPC-ERR-7")
def test_wrong_signature_is_incorrect_signature(peer, args, kwargs):
    """Arguments that do not fit the method yield IncorrectSignature with one string in exc_args."""
    error = call_error(peer, peer.request("raise_error", args, kwargs), "IncorrectSignature", "RPC-ERR-7")
    if len(error["exc_args"]) != 1 or not isinstance(error["exc_args"][0], str):
        verify.fail(f"expected exc_args holding one string, saw {error['exc_args']!r}", "RPC-ERR-7")


@pytest.mark.parametrize("body", [{"args": []}, {"kwargs": {}}, {}], ids=["no-kwargs", "no-args", "empty-object"])
@pytest.mark.req("RPC-ERR-8")
def test_object_without_args_or_kwargs_is_malformed_request(peer, body):
    """A JSON object body without args or kwargs yields MalformedRequest with one string in exc_args."""
    error = call_error(peer, peer.request("echo", body=json.dumps(body).encode()), "MalformedRequest", "RPC-ERR-8")
    if len(error["exc_args"]) != 1 or not isinstance(error["exc_args"][0], str):
        verify.fail(f"expected exc_args holding one string, saw {error['exc_args']!r}", "RPC-ERR-8")


@pytest.mark.capability("unserializable")
@pytest.mark.req("RPC-ERR-10", "TESTEE-9")
def test_unencodable_result_is_unserializable_value_error(peer):
    """A result that cannot be encoded yields UnserializableValueError with exc_args [], and serving goes on."""
    error = call_error(peer, peer.request("unserializable"), "UnserializableValueError", "RPC-ERR-10")
    if error["exc_args"] != []:
        verify.fail(f"expected exc_args [], saw {error['exc_args']!r}", "RPC-ERR-10")
    peer.sentinel("RPC-ERR-10")
