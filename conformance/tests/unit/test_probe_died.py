"""A probe service whose thread died is reported as a kit error with the reason, not left for the target to take
the blame for nested calls nobody answered (offline: the thread is simulated)."""

import threading

import pytest

from nameko_conformance.clientcheck.probe_service import ProbeDied, ProbeService
from nameko_conformance.outcomes import KitFault


def dead_probe(failure=None):
    probe = ProbeService("amqp://guest:guest@127.0.0.1:5672/%2F", "svc_probe")
    probe._thread = threading.Thread(target=lambda: None)
    probe._thread.start()
    probe._thread.join()
    probe._failure = failure
    return probe


def test_a_running_or_unstarted_probe_has_no_problem():
    assert ProbeService("amqp://x", "svc_probe").problem() is None


def test_a_dead_probe_says_why_and_its_readers_raise_a_kit_fault():
    probe = dead_probe(ConnectionResetError("broker went away"))
    assert "broker went away" in probe.problem()
    for read in (probe.mark, lambda: probe.requests_since(0), lambda: probe.wait_for_requests(1, 0.01),
                 lambda: probe.wait_for_replies(1, 0.01)):
        with pytest.raises(ProbeDied) as raised:
            read()
        assert isinstance(raised.value, KitFault) and "svc_probe" in str(raised.value)


def test_a_thread_that_ended_without_an_error_is_reported_too():
    assert "thread ended" in dead_probe().problem()


def test_a_stopped_probe_is_not_a_problem():
    probe = dead_probe()
    probe._stopping.set()
    assert probe.problem() is None
    assert probe.requests == []
