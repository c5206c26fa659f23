"""Reading anything and bounding what is decoded (chapter 17)."""

import datetime
import decimal

import pytest

from nameko_conformance.oracle import names, reply as replies, robustness
from nameko_conformance.suite._steps import reply_to

pytestmark = [pytest.mark.capability("server"), pytest.mark.crash_prone]

NESTING = 20000  # far beyond any bound a server could mean (the reference's is 100), yet only 40 kB


@pytest.mark.req("CONN-10", "MAL-9")
def test_hostile_properties_headers_and_routing_keys_are_read(peer, service):
    """Deliveries whose header names and values, properties and routing keys are not what a decoder expects
    (invalid UTF-8, odd AMQP types) are answered or acknowledged, and serving goes on."""
    odd_headers = {b"\xffkit-key": b"\xfe\xff", "kit-decimal": decimal.Decimal("1.5"), "kit-void": None,
                   "kit-time": datetime.datetime(2026, 1, 1), "kit-table": {"a": [1, "b", {"c": True}]},
                   "nameko.call_id_stack": [b"\xff\xfe", 7], "nameko.language": b"\xff"}
    peer.request("echo", ["odd headers"], headers=odd_headers)
    peer.request("echo", ["odd properties"], correlation_id=b"\xff\xfe", type=b"\xff", app_id=b"\xfe",
                 content_encoding="x-kit-unknown")
    peer.request("echo", ["odd routing key"], routing_key=f"{service}.".encode() + b"\xff\xfe")
    peer.request("echo", ["odd stack"], headers={"nameko.call_id_stack": {"not": "a list"}})
    served = peer.sentinel("MAL-9", stop=False)  # judges the sentinel's reply, body included
    queue = names.service_queue(service)
    other = next((f for f in peer.evidence.findings if f.requirement not in ("MAL-9", "CONN-10")), None)
    if other is not None:  # the sentinel's reply went wrong for another reason (a foreign correlation id)
        peer.evidence.undecided("CONN-10", f"masked by {other.code}")
        return
    peer.evidence.apply(robustness.read_anything(served is not None and not peer.evidence.findings,
                                                 peer.passive_queue(queue), queue))


@pytest.mark.req("CONN-13", "MAL-9")
def test_deeply_nested_body_is_refused(peer):
    """A request body nested 20,000 levels deep gets a MalformedRequest error reply, and serving goes on."""
    body = b'{"args": [' + b"[" * NESTING + b"]" * NESTING + b'], "kwargs": {}}'
    out = peer.request("echo", body=body)
    reply = peer.reply_before_sentinel(out, "CONN-13", f"a request nested {NESTING} levels deep")
    peer.evidence.apply(replies.routing(reply, peer.reply_key, peer.rpc_exchange))
    peer.evidence.apply(replies.correlation(reply, out.correlation_id))
    peer.evidence.apply(robustness.bounded_nesting(reply, NESTING))
