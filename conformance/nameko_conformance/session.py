"""One kit run: the broker, the target (started by the kit or given), the probe service, and cleanup."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pika
import pika.exceptions

from nameko_conformance import broker as brokers
from nameko_conformance.amqp import KitPeer, ProbeService
from nameko_conformance.launcher import REFERENCE_COMMAND, LaunchedTarget
from nameko_conformance.outcomes import KitFault
from nameko_conformance.trace import Trace
from nameko_conformance.uri import Target, parse_capabilities, parse_target


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

    @classmethod
    def start(cls, kit: Any) -> "KitSession":
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
        session = cls(target, broker, command)
        session.observer = session._observer(kit.observer)
        try:
            session.probe = ProbeService(target.connection_parameters(), target.rpc_exchange,
                                         f"{target.service}_probe").start()
            if command:
                session.launched = LaunchedTarget(command, target).start()
        except BaseException:
            session.stop()
            raise
        return session

    def _observer(self, wanted: str) -> str:
        if wanted in ("auto", "firehose") and self.broker.node is not None:
            try:
                from nameko_conformance.capture.firehose import Firehose
                self.firehose = Firehose(self.broker.node, vhost="/")
                return "firehose"
            except Exception as exc:  # the firehose is an extra view; the spy queues still work without it
                if wanted == "firehose":
                    raise KitFault(f"--observer firehose: {exc!r}") from exc
        elif wanted == "firehose":
            raise KitFault("--observer firehose needs a broker the kit owns (--broker private)")
        return "spy"

    def peer(self, trace: Trace) -> KitPeer:
        return KitPeer(self.target.connection_parameters(), self.target.rpc_exchange, self.target.service, trace)

    def stop(self) -> None:
        if self.launched is not None:
            self.launched.stop()
        if self.probe is not None:
            self.probe.stop()
        if self.launched is not None:
            self._delete_launched_topology()
        if self.firehose is not None and hasattr(self.firehose, "close"):
            self.firehose.close()
        if self.broker.stop is not None:
            self.broker.stop()

    def _delete_launched_topology(self) -> None:
        """The kit named this service, so what the target declared for it is the kit's to remove."""
        s = self.target.service
        queues = [f"rpc-{s}", f"evt-{s}_src-ping--{s}.on_ping_pool", f"evt-{s}_src-ping"]
        if self.probe is not None:
            queues += sorted({f"rpc.reply-{s}-{m.properties.get('reply_to')}" for m in self.probe.requests
                              if m.properties.get("reply_to")})
        exchanges = [f"{s}.events", f"{s}_src.events"]
        try:
            connection = pika.BlockingConnection(self.target.connection_parameters())
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
        connection.close()
