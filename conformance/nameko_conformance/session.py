"""One kit run: the broker, the target (started by the kit or given), the probe service, and cleanup.

The session also holds what concerns the target as a whole rather than one test: the one AMQP connection every
test's peers open their channels on, what the readiness check found wrong (``start_findings``), and whether the
target still answers (``liveness``). A target that stops answering ends the run: the session sets the plugin's
``aborted`` reason, so every test not yet run reads ``not examined`` with it instead of waiting out its timeouts.
"""

from __future__ import annotations

import atexit
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

import pika
import pika.exceptions

from nameko_conformance import broker as brokers
from nameko_conformance.amqp import KitPeer
from nameko_conformance.clientcheck.probe_service import ProbeService, ProbeStartError
from nameko_conformance.launcher import REFERENCE_COMMAND, LaunchedTarget, NeverServed
from nameko_conformance.oracle.model import Judgement
from nameko_conformance.oracle.session import Liveness
from nameko_conformance.outcomes import KitFault
from nameko_conformance.queue_list import QueueLister
from nameko_conformance.trace import FIREHOSE_OBSERVER, SPY_OBSERVER, Trace
from nameko_conformance.uri import Target, mask, parse_capabilities, parse_target


@dataclass
class KitSession:
    target: Target
    broker: brokers.Broker
    command: str | None = None
    launched: LaunchedTarget | None = None
    probe: ProbeService | None = None
    observer: str = "spy"
    firehose: Any = None
    declared_exchanges: list[str] = field(default_factory=list)
    silent_reason: str | None = None  # why the target was last found unresponsive
    kit: Any = None  # the plugin's KitConfig: ``aborted`` ends the run when the target stops answering
    liveness: Liveness = field(default_factory=Liveness)
    start_findings: Judgement = field(default_factory=Judgement)  # the readiness check's findings on the target
    start_findings_delivered: bool = False
    _queue_lister: Any = None
    _connection: Any = None  # shared by every test's peers (one channel set per peer)
    _exchange_declared: bool = False
    _stopped: bool = False

    @classmethod
    def start(cls, kit: Any) -> "KitSession":
        if getattr(kit, "session_state", None) is not None:  # already started by the start-up check (startup.py)
            return kit.session_state
        given = parse_target(kit.target_uri, kit.capabilities) if kit.target_uri else None
        broker = brokers.resolve(kit.amqp_uri, given.broker_uri if given and kit.broker_mode != "private" else None,
                                 force_private=kit.broker_mode == "private")
        command = kit.target_cmd
        if given is None or kit.broker_mode == "private":
            command = command or REFERENCE_COMMAND
        if command:
            # The kit owns this service's name: unique per run, so parallel runs on one broker never meet.
            service = given.service if given and "service=" in (kit.target_uri or "") else \
                f"conformance_{uuid.uuid4().hex[:8]}"
            target = Target(broker.uri, service, given.rpc_exchange if given else "nameko-rpc",
                            given.capabilities if given else parse_capabilities(kit.capabilities))
        else:
            target = Target(broker.uri, given.service, given.rpc_exchange, given.capabilities)
        session = cls(target, broker, command, kit=kit)
        # The fixture's teardown stops the session; an internal error of pytest skips it, so the interpreter's
        # exit does it then (stop() runs once): no target process and no declared queue outlives the kit.
        atexit.register(session.stop)
        try:
            session.observer = session._observer(kit.observer)
            session.probe = session._start_probe()
            if command:
                # Assigned before it waits, so that stop() below ends the process and removes its queues too.
                session.launched = LaunchedTarget(command, target)
                session._launch()
        except BaseException:
            session.stop()
            raise
        return session

    def _launch(self) -> None:
        """Starts the target. One that never serves, with a finding that says why (the broker refused its
        declaration of the RPC exchange), is the target's failure: the run goes on to report it, and ends after
        the first test (the target is stopped, so the plugin sees it exit); any other failure to serve is the
        kit's (KitFault)."""
        try:
            self.launched.start()
        except NeverServed as exc:
            self.start_findings = exc.judgement
            self.liveness.never_served(str(exc))
            return
        self.start_findings = self.launched.readiness

    def __repr__(self) -> str:
        # Shown in failure tracebacks as a fixture value: never with the broker's password.
        return mask(f"KitSession(target={self.target.uri!r}, broker={self.broker.provider!r}, "
                    f"observer={self.observer!r}, command={self.command!r})")

    def _observer(self, wanted: str) -> str:
        """Switches the firehose on when the kit owns the node (and it is wanted); says which observer is used."""
        if wanted in ("auto", "firehose") and self.broker.node is not None:
            try:
                from nameko_conformance.capture.firehose import Firehose
                self.firehose = Firehose(self.broker.node, vhost="/", rpc_exchange=self.target.rpc_exchange).start()
                return FIREHOSE_OBSERVER
            except Exception as exc:  # the firehose is an extra view; the spy queues still work without it
                self.firehose = None
                if wanted == "firehose":
                    raise KitFault(f"--observer firehose: {exc!r}") from exc
        elif wanted == "firehose":
            raise KitFault("--observer firehose needs a broker the kit owns (--broker private)")
        return SPY_OBSERVER

    @property
    def observer_description(self) -> str:
        if self.observer == FIREHOSE_OBSERVER:
            return (f"firehose on the {self.broker.provider} broker the kit owns (every publish, with the queues "
                    f"it was routed to), plus the kit's own queues")
        return f"the kit's own reply queues and narrow spy queues ({self.broker.provider} broker, no firehose)"

    @property
    def queue_lister(self) -> QueueLister:
        """Reads the broker's own list of queues (EVT-9, TOPO-10), from the first source that works this run."""
        if self._queue_lister is None:
            self._queue_lister = QueueLister(self.target.broker_uri, self.broker.node,
                                             getattr(self.kit, "management_url", None))
        return self._queue_lister

    def _start_probe(self) -> ProbeService:
        """Hosts ``<service>_probe``, the service the target's client calls in the nested-call checks."""
        probe = ProbeService(self.target.broker_uri, f"{self.target.service}_probe",
                             exchange=self.target.rpc_exchange, queue_arguments=PROBE_QUEUE_ARGUMENTS)
        try:
            return probe.start()
        except ProbeStartError as exc:
            raise KitFault(f"the probe service {probe.service!r} could not start: {exc}") from exc

    def peer(self, trace: Trace) -> KitPeer:
        """A peer for one test, on the session's shared connection (re-opened if a test broke it). The first peer
        of the run carries the readiness check's findings into its test's evidence, so they reach the report
        as the target's findings (see ``deliver_start_findings``)."""
        if self.firehose is not None:
            trace.watch(self.firehose, self.target.service)
        peer = KitPeer(self.target.connection_parameters(), self.target.rpc_exchange, self.target.service, trace,
                       connection=self.shared_connection(), liveness=self.liveness,
                       on_unresponsive=self.unresponsive,
                       stray_binding=self.launched.misrouted_binding if self.launched is not None else None,
                       declare_exchange=not self._exchange_declared)
        self._exchange_declared = True  # once per connection is what TOPO-2 asks of a participant
        if not self.start_findings_delivered and self.start_findings.findings:
            # Until the report has a place for start-up findings, the first test that meets the target carries
            # them: they are the target's findings (TOPO-2, RPC-REPLY-1/2), examined by the readiness check.
            self.start_findings_delivered = True
            peer.carried.append(self.start_findings)
            if not self.liveness.responsive:
                # It never served: this test reports why, and the run ends with it (set before the plugin's own
                # exit check, which would otherwise charge the exit to this test's first requirement).
                self.unresponsive(self.liveness.reason)
        return peer

    def shared_connection(self) -> Any:
        from nameko_conformance.amqp import connect
        if self._connection is None or not self._connection.is_open:
            self._connection = connect(self.target.connection_parameters())
            self._exchange_declared = False
        return self._connection

    def unresponsive(self, reason: str) -> None:
        """The target stopped answering: the run ends after the current test (the rest reads not examined)."""
        if self.kit is not None and not getattr(self.kit, "aborted", None):
            self.kit.aborted = self.silent_reason = reason  # the plugin may start the target again

    def probe_problem(self) -> str | None:
        """Why the probe service no longer serves the target's nested calls (its thread died), or None."""
        return self.probe.problem() if self.probe is not None else None

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._connection is not None:
            try:
                if self._connection.is_open:
                    self._connection.close()
            except pika.exceptions.AMQPError:
                pass
            self._connection = None
        if self.launched is not None:
            self.launched.stop()
        if self.probe is not None:
            try:
                self.probe.stop()
            except RuntimeError:  # a stuck probe thread is a daemon; cleanup and the broker go on without it
                pass
        if self.launched is not None:
            self._delete_launched_topology()
        if self.firehose is not None:
            try:
                self.firehose.stop()
            except Exception:  # the node goes next; a firehose that cannot be switched off goes with it
                pass
            self.firehose = None
        if self.broker.stop is not None:
            self.broker.stop()

    def relaunch(self) -> None:
        """Starts the kit's target command again after it exited (a crash-prone test crashed it): the messages
        left in its service queue are purged first, or a poison message would crash the new process too."""
        try:
            connection = pika.BlockingConnection(self.target.connection_parameters())
            try:
                connection.channel().queue_purge(f"rpc-{self.target.service}")
            finally:
                connection.close()
        except pika.exceptions.AMQPError:
            pass  # no queue to purge: the new process declares it
        self.launched = LaunchedTarget(self.command, self.target).start()
        # The waits the crash left unanswered say nothing about the new process.
        self.liveness.streak = 0
        self.liveness.unanswered.clear()
        self.liveness.reason = None

    def _delete_launched_topology(self) -> None:
        """The kit named this service, so what the target declared for it is the kit's to remove."""
        reply_keys = {request.wire.properties.get("reply_to") for request in self.probe.requests} \
            if self.probe is not None else set()
        delete_service_topology(self.target, reply_keys)


def delete_service_topology(target: Target, reply_keys: set = frozenset(), listed: Iterable[str] = ()) -> None:
    """Removes what a target the kit launched declared for the service the kit named: its queues (the handler
    queues as the spec names them, and as a port that leaves out the method names them: girolle), its reply queues
    for ``reply_keys`` and those named for the service in ``listed`` (the broker's own list, where the kit has one:
    a client declares its reply queue before any call), its events exchanges, and the RPC exchange when nothing is
    bound to it any more."""
    s = target.service
    queues = [f"rpc-{s}", f"evt-{s}_src-ping--{s}.on_ping_pool", f"evt-{s}_src-ping", f"evt-{s}_src-ping--{s}"]
    queues += sorted(f"rpc.reply-{s}-{key}" for key in reply_keys if key)
    queues += sorted(name for name in listed if name.startswith(f"rpc.reply-{s}-") and name not in queues)
    exchanges = [f"{s}.events", f"{s}_src.events"]
    try:
        connection = pika.BlockingConnection(target.connection_parameters())
    except pika.exceptions.AMQPError:
        return
    for kind, names in (("queue", queues), ("exchange", exchanges)):
        for name in names:
            channel = connection.channel()
            try:
                if kind == "queue":
                    channel.queue_delete(name)
                else:
                    channel.exchange_delete(name)
                channel.close()
            except pika.exceptions.AMQPError:
                pass
    # The RPC exchange is shared with every other service on the broker: remove it only when nothing is bound to
    # it any more, so a concurrent run or a live deployment keeps it.
    channel = connection.channel()
    try:
        channel.exchange_delete(target.rpc_exchange, if_unused=True)
        channel.close()
    except pika.exceptions.AMQPError:
        pass
    connection.close()


# Client names whose reply queues (rpc.reply-<client>-<reply_to>) the kit knows without being told (RPC-CORR-4):
# nameko 2.x and 3.x standalone clients and the reference client. Others are learned from the call id stack root.
KNOWN_CLIENT_NAMES = ("standalone_rpc_proxy", "standalone_rpc_client", "reference_rpc_client")
CLIENT_EXCHANGE_PREFIX = "nameko-rpc-kit-"
# The probe's service queue is declared as TOPO-4 says (no arguments): a client that declares the queue of the
# service it calls (girolle does) must meet an equivalent declaration, not a 406. The kit deletes it at stop.
PROBE_QUEUE_ARGUMENTS: dict = {}


def client_names_from(headers: dict | None) -> list[str]:
    """Client names a request suggests: the first dotted part of its call id stack's root entry, then the known."""
    stack = (headers or {}).get("nameko.call_id_stack")
    root = stack[0] if isinstance(stack, list) and stack else stack  # a string stack (a CTX-2 fault) still names it
    learned = [root.split(".", 1)[0]] if isinstance(root, str) and "." in root else []
    return list(dict.fromkeys(learned + list(KNOWN_CLIENT_NAMES)))


@dataclass
class ClientSession:
    """The client suite's share of a run: a broker, a private RPC exchange, the driver command, and cleanup.

    The exchange is unique to the run, so no other service's binding makes an unknown service routable and a
    driver that ignores NAMEKO_CONFORMANCE_RPC_EXCHANGE (DRIVER-1) reaches nothing.
    """

    amqp_uri: str
    client_cmd: str
    broker: brokers.Broker | None
    rpc_exchange: str = field(default_factory=lambda: f"{CLIENT_EXCHANGE_PREFIX}{uuid.uuid4().hex[:12]}")
    reply_queues: set[str] = field(default_factory=set)
    owns_broker: bool = False
    queue_lister: QueueLister | None = None  # the broker's own queue list (RPC-CORR-4..6 for any reply queue name)

    @classmethod
    def start(cls, kit: Any, server: KitSession | None) -> "ClientSession":
        if server is not None:
            session = cls(server.target.broker_uri, kit.client_cmd, server.broker, queue_lister=server.queue_lister)
        else:
            broker = brokers.resolve(kit.amqp_uri, None, force_private=kit.broker_mode == "private")
            session = cls(broker.uri, kit.client_cmd, broker, owns_broker=True,
                          queue_lister=QueueLister(broker.uri, broker.node, getattr(kit, "management_url", None)))
        kit.client_state = session
        try:
            connection = pika.BlockingConnection(pika.URLParameters(session.amqp_uri))
        except pika.exceptions.AMQPError as exc:
            raise KitFault(f"the client suite cannot connect to the broker: {exc!r}") from exc
        connection.channel().exchange_declare(session.rpc_exchange, "topic", durable=True)
        connection.close()
        return session

    def __repr__(self) -> str:
        return mask(f"ClientSession(amqp_uri={self.amqp_uri!r}, client_cmd={self.client_cmd!r}, "
                    f"rpc_exchange={self.rpc_exchange!r})")

    def note_request(self, reply_to: str | None, headers: dict | None) -> None:
        """Remembers the reply queues a client may have left behind for this request (removed at stop)."""
        if reply_to:
            self.reply_queues |= {f"rpc.reply-{name}-{reply_to}" for name in client_names_from(headers)}

    def stop(self) -> None:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
            channel = connection.channel()
            from nameko_conformance.suite._client_steps import UNKNOWN_SERVICES
            # A client that declares the queue of the service it calls leaves rpc-<unknown service> behind.
            for name in sorted(self.reply_queues) + [f"rpc-{n}" for n in UNKNOWN_SERVICES]:
                channel.queue_delete(name)
            channel.exchange_delete(self.rpc_exchange)
            connection.close()
        except pika.exceptions.AMQPError:
            pass
        if self.owns_broker and self.broker is not None and self.broker.stop is not None:
            self.broker.stop()
