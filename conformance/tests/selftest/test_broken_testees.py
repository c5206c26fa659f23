"""The kit fails each deliberately broken testee with exactly the requirement IDs its fault breaks."""

import pytest

from .conftest import failing, raw_testee_command

EXPECTED = {
    "error-without-exc-path": {"RPC-ERR-1"},
    "error-reply-default-exchange": {"RPC-REPLY-1"},
    "string-call-id-stack": {"CTX-2", "CTX-6"},  # the event it dispatches carries the string too
    "wrong-queue-flags": {"TOPO-4"},
    "crash-without-reply-to": {"MAL-5", "MAL-9"},
}


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_broken_testee_fails_exactly_its_requirements(kit, fault):
    """A testee with one fault fails the gate with exactly the IDs the fault breaks, and exit code 1."""
    code, document, output = kit("--target-cmd", raw_testee_command(fault))
    assert document, output[-3000:]
    assert failing(document) == EXPECTED[fault], output[-3000:]
    assert code == 1
    assert document["summary"]["gate"] is False


def test_faultless_raw_testee_passes_every_must(kit):
    """The raw-pika testee without faults passes the gate with exit code 0."""
    code, document, output = kit("--target-cmd", raw_testee_command("none"))
    assert failing(document) == set(), output[-3000:]
    assert code == 0
