"""The committed recordings stay honest: the plain call, recorded afresh from the nameko installed here, has the
same shape as the one in `fixtures/recorded/` (same members, properties, routing pattern and body; uuids masked).

Runs in a virtualenv with nameko 2.14.1 or 3.0.0rc11 (tox envs nameko2/nameko3) and starts a private RabbitMQ
node through `tools/record/record_nameko.py`.
"""

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from nameko_conformance.capture.private_node import PrivateNode

pytestmark = pytest.mark.nameko

REPO = Path(__file__).resolve().parents[3]
ORCHESTRATOR = REPO / "tools" / "record" / "record_nameko.py"
RECORDED = REPO / "fixtures" / "recorded"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


def installed_nameko() -> str:
    try:
        return metadata.version("nameko")
    except metadata.PackageNotFoundError:
        pytest.fail("nameko is not installed in this interpreter (run in the nameko2/nameko3 tox envs)")


def mask(value):
    """Replace every uuid in strings (and object keys) by `<uuid>`, recursively."""
    if isinstance(value, str):
        return UUID.sub("<uuid>", value)
    if isinstance(value, list):
        return [mask(item) for item in value]
    if isinstance(value, dict):
        return {mask(key): mask(item) for key, item in value.items()}
    return value


def plain_call(path: Path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    return next(case for case in document["cases"] if case["id"] == "plain-call")


def test_mask_hides_uuids_but_keeps_the_pattern():
    """Masking turns each uuid into `<uuid>` and leaves the text around it."""
    masked = mask({"reply_to": "0b7e1f0e-2f4a-4a55-bb1e-9f6c1d2e3a44",
                   "q": ["evt-x--s.h-499b27488e4349eb8a2163985783a47f"]})
    assert masked == {"reply_to": "<uuid>", "q": ["evt-x--s.h-<uuid>"]}


def test_fresh_plain_call_has_the_shape_of_the_committed_fixture(tmp_path):
    """A plain call recorded now matches the committed one in members, properties, routing and body."""
    version = installed_nameko()
    committed_file = RECORDED / f"nameko-{version}-rpc.json"
    assert committed_file.exists(), f"no committed recording for nameko {version}: {committed_file}"
    if not PrivateNode.available():
        pytest.fail("rabbitmq-server is needed to record afresh (set NAMEKO_CONFORMANCE_RABBITMQ_BIN)")

    completed = subprocess.run(
        [sys.executable, str(ORCHESTRATOR), "--version", version, "--venv", sys.prefix, "--plain-call-only",
         "--out-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, f"recording failed:\n{completed.stderr[-4000:]}"

    fresh_case = plain_call(tmp_path / f"nameko-{version}-rpc.json")
    request, reply = fresh_case["messages"]
    assert reply["routing_key"] == request["properties"]["reply_to"], "the reply does not go to the request's reply_to"
    assert reply["properties"]["correlation_id"] == request["properties"]["correlation_id"]

    fresh = mask(fresh_case)
    committed = mask(plain_call(committed_file))
    assert [list(m) for m in fresh["messages"]] == [list(m) for m in committed["messages"]], "message members differ"
    for fresh_message, committed_message in zip(fresh["messages"], committed["messages"]):
        assert fresh_message == committed_message, (
            f"the {committed_message['role']} differs from the committed recording:\n"
            f"fresh:     {json.dumps(fresh_message, sort_keys=True)}\n"
            f"committed: {json.dumps(committed_message, sort_keys=True)}")
    assert {key: fresh[key] for key in ("id", "requirements", "valid", "outcome")} \
        == {key: committed[key] for key in ("id", "requirements", "valid", "outcome")}
