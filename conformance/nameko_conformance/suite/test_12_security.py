"""Security considerations visible on the wire (chapter 12)."""

import pickle

import pytest

from nameko_conformance.oracle import reply as replies, values
from nameko_conformance.suite._steps import call_error, call_ok

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("SEC-1")
def test_no_credentials_in_replies(peer, conformance_session):
    """Replies and error objects carry no broker credentials."""
    call_ok(peer, "context")
    call_error(peer, peer.request("raise_error", ["KitError", "credential check"]), None)
    peer.evidence.apply(replies.no_credentials(peer.received, conformance_session.target.password))


PICKLE_CONTENT_TYPE = "application/x-python-serialize"


@pytest.mark.req("SEC-7")
def test_pickle_requests_are_not_decoded(peer):
    """A request pickled (a harmless dict of strings, which the kit builds and never unpickles) under pickle's
    content type gets no result: the testee, as the kit runs it, does not decode a serializer that can run code.
    An error reply, or none (MAL-3 is judged elsewhere), both keep SEC-7."""
    token = f"kit-pickle-{peer.reply_key[:8]}"
    out = peer.request("echo", body=pickle.dumps({"args": [token], "kwargs": {}}, protocol=2),
                       content_type=PICKLE_CONTENT_TYPE)
    peer.sentinel("MAL-9", stop=False)
    peer.settle()
    decoded = [m for m in peer.replies_for(out.correlation_id) if token.encode() in m.body]
    peer.evidence.apply(values.holds("SEC-7", "pickle-decoded", f"no result for a {PICKLE_CONTENT_TYPE} request "
                                     f"(its body unpickled)", len(decoded), lambda n: n == 0,
                                     decoded[0] if decoded else None))
