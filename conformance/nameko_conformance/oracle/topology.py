"""Checks on the topology a server declared, from the broker's answers to equivalent and passive declares."""

from __future__ import annotations

from typing import Any

from nameko_conformance.oracle import names
from nameko_conformance.oracle.model import Check, Judgement, short

RESOURCE_LOCKED = 405  # a declare of a queue exclusive to another connection
NO_LIST = "queue flags need the broker's own list of queues (--broker private)"


def rpc_exchange(result: Any, exchange: str) -> Judgement:
    """TOPO-1/2: an equivalent declare (topic, durable, not auto-delete, not internal) is accepted."""
    check = Check("TOPO-1", "TOPO-2")
    if not result.ok:
        requirement = "TOPO-2" if result.code == 406 else "TOPO-1"
        check.fail(requirement, "rpc-exchange-flags" if result.code == 406 else "rpc-exchange-missing",
                   f"{exchange!r} a durable topic exchange, not auto-delete, not internal",
                   f"an equivalent declare got {result}")
    return check.done()


def refused_declare(code: int | None, text: str, exchange: str) -> Judgement:
    """TOPO-2: the broker refused the kit's equivalent declare of the RPC exchange: its flags differ."""
    check = Check("TOPO-2")
    check.fail("TOPO-2", "rpc-exchange-flags", f"{exchange!r} a durable topic exchange without arguments",
               f"the broker refused an equivalent declare: {code} {text}")
    return check.done()


def service_queue_consumed(result: Any, service: str) -> Judgement:
    """TOPO-3, TESTEE-1/10: rpc-S exists and has a consumer."""
    check = Check("TOPO-3", "TESTEE-1", "TESTEE-10")
    queue = names.service_queue(service)
    if getattr(result, "code", None) == RESOURCE_LOCKED:
        # 405 on a passive declare: the queue exists, exclusive to the server's connection. That is TOPO-4's fault
        # (the test of TOPO-4 reports it); the queue is there and consumed by its owner.
        pass
    elif not result.ok:
        check.fail("TOPO-3", "no-service-queue", f"queue {queue} consumed by the service", f"{result}")
    elif not result.consumer_count:
        check.fail("TOPO-3", "service-queue-unconsumed", f"queue {queue} consumed by the service", "no consumer")
    return check.done()


def service_queue_exclusive(result: Any, service: str) -> Judgement:
    """TOPO-4: a passive declare of rpc-S refused with 405 RESOURCE_LOCKED: the queue is exclusive to its server's
    connection, so no second instance can share it. None when the passive declare was not refused so."""
    check = Check("TOPO-4")
    if getattr(result, "code", None) == RESOURCE_LOCKED:
        check.fail("TOPO-4", "service-queue-exclusive", f"{names.service_queue(service)} not exclusive",
                   f"exclusive to the server's connection ({result})")
    return check.done()


def service_queue_flags(results: dict[str, Any], service: str) -> Judgement:
    """TOPO-4: one of the declarations the spec allows (classic: durable, no arguments; or a quorum queue) is
    equivalent to the service queue. ``results`` maps a description of each tried declaration to its outcome."""
    check = Check("TOPO-4")
    if not any(r.ok for r in results.values()):
        check.fail("TOPO-4", "service-queue-flags", f"{names.service_queue(service)} durable, not exclusive, not "
                   f"auto-delete, without x- arguments (or a quorum queue)",
                   "; ".join(f"{k}: {v}" for k, v in results.items()))
    return check.done()


def binding_routes(routable: dict[str, bool], service: str) -> Judgement:
    """TOPO-5: ``S.<method>`` routes to rpc-S and keys with more or fewer words do not."""
    check = Check("TOPO-5")
    for key, was_routable in routable.items():
        should = key.startswith(f"{service}.") and key.count(".") == service.count(".") + 1
        if should and not was_routable:
            check.fail("TOPO-5", "method-key-unroutable", f"{key!r} routed to {names.service_queue(service)}",
                       "the broker returned it as unroutable")
        elif not should and was_routable:
            check.fail("TOPO-5", "extra-binding", f"{key!r} unroutable (binding key exactly "
                       f"{names.service_binding(service)})", "a queue took it")
    return check.done()


def instances_share_queue(consumer_counts: tuple[Any, Any], replies_by_instance: dict[str, int]) -> Judgement:
    """TOPO-8: a second instance consumes from the same rpc-S (its consumer count grows), and requests are spread
    over the instances, each request handled once."""
    check = Check("TOPO-8")
    before, after = consumer_counts
    if not (getattr(before, "ok", False) and getattr(after, "ok", False)):
        check.undecided("TOPO-8", f"the service queue could not be inspected ({before}, {after})")
    elif (after.consumer_count or 0) <= (before.consumer_count or 0):
        check.fail("TOPO-8", "second-instance-own-queue", "a second instance consuming from the same rpc-S queue",
                   f"consumers {before.consumer_count} before, {after.consumer_count} with two instances")
    return check.done()


def queue_flags(results: dict[str, Any], requirement: str, slug: str, queue: str, expected: str) -> Judgement:
    """A queue's flags, from equivalent declares: one of the allowed declarations is accepted (406 otherwise)."""
    check = Check(requirement)
    if not any(r.ok for r in results.values()):
        if all(r.code == 404 for r in results.values()):
            check.undecided(requirement, f"{queue} does not exist: {short(list(results.values()))}")
        else:
            check.fail(requirement, slug, f"{queue} {expected}", "; ".join(f"{k}: {v}" for k, v in results.items()))
    return check.done()


def no_transient_shared_queues(listed: dict | None, service: str, unavailable: str = NO_LIST) -> Judgement:
    """TOPO-10: of the queues named for the service (its service queue, its handler and reply queues), none is both
    non-durable and non-exclusive, from the broker's own list (RabbitMQ lists exclusive queues as non-durable)."""
    check = Check("TOPO-10")
    if listed is None:
        check.undecided("TOPO-10", unavailable)
        return check.done()
    mine = {name: flags for name, flags in listed.items() if service in name
            and not name.startswith(("conformance-kit.", f"{names.service_queue(service)}_probe"))}
    transient = sorted(n for n, f in mine.items() if not f.get("durable") and not f.get("exclusive"))
    if transient:
        check.fail("TOPO-10", "transient-shared-queue", "no queue both non-durable and non-exclusive",
                   short(transient))
    return check.done()


def consumer_qos(qos: list | None, queue: str, unavailable: str = NO_LIST) -> Judgement:
    """RPC-REQ-16 and TOPO-11 from the broker's consumer and channel lists: each consumer of the service queue has
    a prefetch of its own (a positive ``prefetch_count``; 0 with no global limit is unbounded), and no channel
    consuming it carries a global QoS (``global_prefetch_count`` 0). ``qos``: (prefetch_count,
    global_prefetch_count) per consumer. Whether a bound matches the server's concurrency is not observed."""
    check = Check()
    if qos is None:
        check.undecided("RPC-REQ-16", unavailable)
        check.undecided("TOPO-11", unavailable)
        return check.done()
    if not qos:
        check.undecided("RPC-REQ-16", f"no consumer of {queue} in the broker's list")
        check.undecided("TOPO-11", f"no consumer of {queue} in the broker's list")
        return check.done()
    check.examine("RPC-REQ-16", "TOPO-11")
    for prefetch, global_prefetch in qos:
        if global_prefetch:
            check.fail("TOPO-11", "global-qos", f"basic.qos per consumer on the channel consuming {queue}",
                       f"global_prefetch_count {global_prefetch}")
        elif not prefetch:
            check.fail("RPC-REQ-16", "unbounded-prefetch", f"a bounded prefetch on the consumer of {queue}",
                       "prefetch_count 0 (unlimited)")
    return check.done()
