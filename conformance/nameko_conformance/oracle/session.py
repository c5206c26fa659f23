"""Judgements about the target as a whole, made while the kit starts it and while the run goes on: what the readiness
echo brought back, a declaration the broker refused, and whether the target still answers at all.

Pure: the launcher and the peers hand over what they saw; nothing here touches the broker or the process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from nameko_conformance.oracle.model import Check, Judgement, short
from nameko_conformance.oracle.reply import DEFAULT_CATCHER

REPLY_QUEUE = "reply queue"
STRAY_CATCHER = "stray-reply catcher"  # a kit queue bound to the RPC exchange for any key: replies on a wrong key


def readiness(arrived: Iterable[Any], reply_key: str, rpc_exchange: str, echo_correlation_ids: Iterable[str]) -> Judgement:
    """What the readiness echoes (each with its own correlation id) brought back. ``value`` is the reply the kit
    accepts as "the target serves": an echo's own reply, even when it is misrouted (default exchange, wrong key),
    or else a reply with a correlation id the kit never sent; None while nothing answered. A misrouted or
    miscorrelated reply is the target's finding (RPC-REPLY-1, RPC-REPLY-2), not a reason to stop: the suite goes
    on and judges the target in detail."""
    arrived = [m for m in arrived if getattr(m, "direction", "received") == "received"]
    sent = set(echo_correlation_ids)
    own = [m for m in arrived if m.properties.get("correlation_id") in sent]
    correlation_id = sorted(sent)[0] if len(sent) == 1 else "of the echo"
    check = Check()
    for reply in own:
        via = getattr(reply, "via", "")
        if via == DEFAULT_CATCHER or reply.exchange != rpc_exchange:
            check.fail("RPC-REPLY-1", "wrong-exchange", f"the reply to the readiness echo on exchange {rpc_exchange!r}",
                       f"exchange {reply.exchange or '(default)'!r} key {reply.routing_key!r}", reply)
        elif reply.routing_key != reply_key:
            check.fail("RPC-REPLY-1", "wrong-routing-key",
                       f"the reply to the readiness echo routed with key {reply_key!r}",
                       f"key {short(reply.routing_key)}", reply)
        return check.done(reply)
    strays = [m for m in arrived if getattr(m, "via", "") in (REPLY_QUEUE, DEFAULT_CATCHER)
              and m.properties.get("correlation_id") not in sent]
    if strays:
        check.fail("RPC-REPLY-2", "wrong-correlation-id",
                   f"the reply to the readiness echo with its correlation_id ({correlation_id})",
                   f"{len(strays)} replies with correlation ids the kit never sent, e.g. "
                   f"{short(strays[0].properties.get('correlation_id'))}", *strays[:3])
        return check.done(strays[0])
    return check.done(None)


# RabbitMQ's text for a declaration that disagrees with the existing exchange (PRECONDITION_FAILED, 406), as a
# client library relays it in its error.
_INEQUIVALENT = re.compile(r"inequivalent arg '(?P<arg>[^']+)' for exchange '(?P<exchange>[^']*)' in vhost "
                           r"'[^']*': received (?P<received>'[^']{0,60}'|\S{1,60}) but current is (?P<current>'[^']{0,60}'|[^'\")\s]{1,60})",
                           re.MULTILINE)


def refused_declaration(output: str, rpc_exchange: str) -> Judgement:
    """TOPO-2, from the target's own output: the broker refused its declaration of the RPC exchange (406
    PRECONDITION_FAILED, "inequivalent arg"), so the target declares it with other flags than every participant
    must. Nothing examined when the output shows no such refusal."""
    check = Check()
    for match in _INEQUIVALENT.finditer(output or ""):
        if match.group("exchange") == rpc_exchange:
            check.fail("TOPO-2", "refused-declare", f"{rpc_exchange!r} declared as a durable topic exchange, not "
                       "auto-delete, not internal, without arguments",
                       f"the broker refused the target's declaration: {match.group('arg')} "
                       f"{match.group('received')} (current: {match.group('current')})",
                       {"target_output": match.group(0)[:400]})
            break
    return check.done()


@dataclass
class Liveness:
    """Whether the target still answers, from the kit's waits for replies over the whole run.

    A wait that expected an answer (a reply, a sentinel, an event) and timed out counts as unanswered; any answer
    resets the streak. ``consecutive`` unanswered waits in a row (a target gone silent), or ``total`` over the run
    (a target that drops some replies), make the target unresponsive: the run then ends, and what is left reads
    ``not examined``. With the kit's 10 s reply timeout, a silent target ends the run within about 20 s of going
    quiet and one that drops replies within about 40 s, instead of every remaining test waiting out its timeouts.
    """

    consecutive: int = 2
    total: int = 4
    streak: int = 0
    unanswered: list[str] = field(default_factory=list)
    reason: str | None = None  # set once: why the target is considered unresponsive

    @property
    def responsive(self) -> bool:
        return self.reason is None

    def answered(self) -> None:
        self.streak = 0

    def timed_out(self, what: str, seconds: float) -> str | None:
        """Records an unanswered wait; returns the reason when this one makes the target unresponsive."""
        self.streak += 1
        self.unanswered.append(f"{what} (no answer within {seconds:.0f} s)")
        if self.reason is None and (self.streak >= self.consecutive or len(self.unanswered) >= self.total):
            kind = "went silent" if self.streak >= self.consecutive else "drops replies"
            recent = "; ".join(self.unanswered[-self.consecutive:])
            self.reason = (f"the target {kind}: {len(self.unanswered)} waits unanswered, "
                           f"{self.streak} in a row (last: {recent})")
            return self.reason
        return None

    def never_served(self, why: str) -> None:
        """The target never answered the readiness echo: nothing after it can be waited for."""
        self.reason = self.reason or f"the target never served: {why}"
