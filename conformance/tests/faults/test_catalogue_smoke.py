"""A smoke of the fault catalogue in the default run: the installed nameko with one fault each fails the gate on
the requirement the fault breaks, and without a fault passes it. The whole catalogue (about 35 minutes per nameko
version) runs in `tox -e faults-n2` / `faults-n3`."""

import sys
from importlib.metadata import version
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_faults  # noqa: E402

# One fault of each kind the kit has had to learn to see: a reply's routing, a context rule, an event handler that
# never acknowledges (the broker's own count), and a service queue that is exclusive (a 405, not a missing queue).
SMOKE = ("none", "reply_default_exchange", "ctx_stack_uncapped", "evt_handler_never_ack", "rpc_queue_exclusive")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    from concurrent.futures import ThreadPoolExecutor
    major = version("nameko").split(".")[0]
    out = tmp_path_factory.mktemp("faults")
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(lambda fault: run_faults.run_one(fault, major, out, [], 600), SMOKE))
    return {row["fault"]: row for row in rows}


@pytest.mark.nameko
@pytest.mark.parametrize("fault", SMOKE)
def test_each_fault_fails_the_gate_on_what_it_breaks(outcomes, fault):
    row = outcomes[fault]
    expected = "OK" if fault == "none" else "CAUGHT"
    assert row["verdict"] == expected, (row, Path(row["report"]).parent.joinpath("kit.log").read_text()[-3000:])
