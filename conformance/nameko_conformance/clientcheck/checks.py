"""One client check: probe services on the run's RPC exchange (private unless the client lacks a configurable
exchange), driver runs, and the trace of both.

Probe → act → verify: `start_probe` hosts a service whose methods misbehave as asked, `drive` runs the port's
driver with one job, and the checks of `oracle.client` and `oracle.driver` judge the outcomes and the recorded
requests. Everything the probe received and sent goes into the test's trace, so a failure shows the messages.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from nameko_conformance.clientcheck.driver import Call, DriverResult, build_job, run_driver
from nameko_conformance.clientcheck.probe_service import ProbeService
from nameko_conformance.trace import Seen, Trace

STARTUP_ALLOWANCE_SECONDS = 15.0   # interpreter start-up and connections; nameko imports eventlet


class ClientCheck:
    def __init__(self, session: Any, trace: Trace):
        self.session, self.trace = session, trace
        self.probes: list[ProbeService] = []
        self.runs: list[DriverResult] = []

    def start_probe(self, behaviours: dict | None = None, choose: Callable | None = None) -> ProbeService:
        from nameko_conformance.session import PROBE_QUEUE_ARGUMENTS

        probe = ProbeService(self.session.amqp_uri, f"kit_probe_{uuid.uuid4().hex[:10]}",
                             exchange=self.session.rpc_exchange, behaviours=behaviours, choose=choose,
                             queue_arguments=PROBE_QUEUE_ARGUMENTS)
        self.probes.append(probe.start())
        return probe

    def drive(self, calls: list[Call], wall_clock_limit: float | None = None) -> DriverResult:
        job = build_job(calls)
        if wall_clock_limit is None:
            wall_clock_limit = STARTUP_ALLOWANCE_SECONDS + sum(c.timeout or 10.0 for c in calls)
        if getattr(self.session, "note", ""):
            self.trace.note(f"driver {self.session.note}; RPC exchange {self.session.rpc_exchange}")
        self.trace.note(f"driver job: {job}")
        result = run_driver(self.session.client_cmd, job, amqp_uri=self.session.amqp_uri,
                            rpc_exchange=self.session.rpc_exchange, wall_clock_limit=wall_clock_limit)
        self.runs.append(result)
        self.trace.note(f"driver: {result.status} in {result.seconds:.1f} s, exit code {result.exit_code}, "
                        f"outcomes {result.outcomes}")
        self.record_traffic()
        return result

    def record_traffic(self) -> None:
        """Adds what the probes saw and sent since the last call to the trace, in time order."""
        for probe in self.probes:
            for request in probe.requests:
                wire = request.wire
                self.session.note_request(wire.properties.get("reply_to"), wire.headers)
                key = ("request", id(probe), request.index)
                if key not in self._recorded:
                    self._recorded.add(key)
                    self.trace.add(probe.trace_entry(request))
            for number, reply in enumerate(probe.replies):
                key = ("reply", id(probe), number)
                if key not in self._recorded:
                    self._recorded.add(key)
                    properties = {"correlation_id": reply.correlation_id} if reply.correlation_id else {}
                    self.trace.add(Seen("sent", self.session.rpc_exchange, reply.routing_key or "", properties,
                                        None, reply.body, via=f"probe reply ({reply.note or 'normal'}"
                                                               f"{'' if reply.routed else ', UNROUTABLE'})",
                                        at=reply.sent_at))
        self.trace.messages.sort(key=lambda m: m.at)

    @property
    def _recorded(self) -> set:
        if not hasattr(self, "_recorded_keys"):
            self._recorded_keys: set = set()
        return self._recorded_keys

    def close(self) -> None:
        self.record_traffic()
        for probe in self.probes:
            try:
                probe.stop()
            except RuntimeError as exc:  # a stuck probe thread is the kit's problem, reported in the trace
                self.trace.note(f"probe did not stop: {exc}")
