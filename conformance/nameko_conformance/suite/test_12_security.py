"""Security considerations visible on the wire (chapter 12)."""

import pytest

from nameko_conformance.oracle import reply as replies
from nameko_conformance.suite._steps import call_error, call_ok

pytestmark = pytest.mark.capability("server")


@pytest.mark.req("SEC-1")
def test_no_credentials_in_replies(peer, conformance_session):
    """Replies and error objects carry no broker credentials."""
    call_ok(peer, "context")
    call_error(peer, peer.request("raise_error", ["KitError", "credential check"]), None)
    peer.evidence.apply(replies.no_credentials(peer.received, conformance_session.target.password))
