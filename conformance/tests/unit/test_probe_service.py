"""The probe's recorded requests as failure reports show them (no broker: the probe is never started)."""

from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.clientcheck.behaviours import Behaviour
from nameko_conformance.clientcheck.probe_service import ProbeService, RecordedRequest

WIRE = WireMessage("nameko-rpc", "svc_probe.kit_method",
                   {"content_type": "application/json", "correlation_id": "c-1", "reply_to": "r-1"},
                   {"nameko.call_id_stack": ["svc.call.1"]}, b'{"args": ["n1"], "kwargs": {"k": 1}}', role="request")


def test_trace_entry_is_the_request_as_delivered():
    """A recorded request shows in the trace as received by the probe, with its exchange, key, properties,
    headers, body and arrival time unchanged."""
    probe = ProbeService("amqp://guest:guest@127.0.0.1:5672/%2F", "svc_probe")
    request = RecordedRequest(0, "kit_method", Behaviour.parse("normal"), WIRE, received_at=12.5)
    entry = probe.trace_entry(request)
    assert (entry.direction, entry.exchange, entry.routing_key) == ("received", "nameko-rpc", "svc_probe.kit_method")
    assert entry.properties == WIRE.properties and entry.properties is not WIRE.properties
    assert entry.headers == {"nameko.call_id_stack": ["svc.call.1"]}
    assert entry.json_body() == {"args": ["n1"], "kwargs": {"k": 1}}
    assert entry.via == "probe svc_probe (normal)" and entry.at == 12.5
    assert "svc_probe.kit_method" in entry.summary()

