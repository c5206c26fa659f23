"""The AsyncAPI 3.0 document is valid against the official AsyncAPI 3.0.0 JSON Schema (vendored from the npm package
@asyncapi/specs 6.11.1, Apache-2.0, under asyncapi/vendor/), is what tools/asyncapi.py generates from the spec's
registry and the schemas, and references only schemas and requirements that exist."""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

REPO = Path(__file__).resolve().parent.parent
DOCUMENT = REPO / "asyncapi" / "nameko-wire.asyncapi.json"
VENDOR = REPO / "asyncapi" / "vendor"
OFFICIAL_SCHEMA = VENDOR / "asyncapi-3.0.0.schema.json"


def _load_tool():
    spec = importlib.util.spec_from_file_location("asyncapi_tool", REPO / "tools" / "asyncapi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(OFFICIAL_SCHEMA.read_text("utf-8"))

    def no_network(uri: str):
        raise LookupError(f"the AsyncAPI schema refers outside itself: {uri}")
    resource = Resource.from_contents(schema, default_specification=DRAFT7)
    registry = Registry(retrieve=no_network).with_resource(schema["$id"], resource).crawl()
    return Draft7Validator(schema, registry=registry)


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(DOCUMENT.read_text("utf-8"))


def test_document_is_valid_asyncapi_3(validator, document):
    """The committed document meets the official AsyncAPI 3.0.0 schema."""
    assert document["asyncapi"] == "3.0.0"
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(document)]
    assert errors == []


@pytest.mark.parametrize("mutate", [
    lambda d: d["channels"]["events"]["bindings"]["amqp"].update({"is": "nonsense"}),
    lambda d: d["operations"]["callMethod"].update({"action": "publish"}),
    lambda d: d["operations"]["callMethod"]["reply"].update({"address": {"location": "reply_to"}}),
    lambda d: d["components"]["messages"]["event"].update({"contentType": 5}),
    lambda d: d["info"].pop("version"),
], ids=["binding", "action", "runtime-expression", "content-type", "info-version"])
def test_the_validator_rejects_broken_documents(validator, document, mutate):
    """The same validator finds a mistake in a channel binding, an operation, a reply address, a message and info,
    so the test above is not passing for want of checking."""
    broken = copy.deepcopy(document)
    mutate(broken)
    assert list(validator.iter_errors(broken))


def test_document_is_generated_from_the_registry_and_schemas(tmp_path):
    """The committed document is exactly what tools/asyncapi.py writes; --check fails on a stale one."""
    assert DOCUMENT.read_text("utf-8") == tool.render(tool.build(tool.load_registry()))
    assert tool.main(["--check"]) == 0
    stale = tmp_path / "stale.json"
    stale.write_text(DOCUMENT.read_text("utf-8").replace('"nameko wire protocol"', '"old"'), "utf-8")
    assert tool.main(["--check", "--output", str(stale)]) == 1


def test_channels_operations_and_messages_cover_the_protocol(document):
    """RPC requests, replies and events; call, serve, reply and dispatch/handle; request, reply, error and event."""
    assert document["channels"]["rpcRequests"]["address"] == "{service}.{method}"
    assert document["channels"]["rpcReplies"]["address"] == "{replyTo}"
    assert document["channels"]["events"]["address"] == "{eventType}"
    assert document["channels"]["rpcRequests"]["bindings"]["amqp"]["exchange"]["name"] == "nameko-rpc"
    assert document["channels"]["events"]["bindings"]["amqp"]["exchange"]["name"] == "{service}.events"
    actions = {name: op["action"] for name, op in document["operations"].items()}
    assert actions == {"callMethod": "send", "serveCall": "receive", "sendReply": "send", "receiveReply": "receive",
                       "dispatchEvent": "send", "handleEvent": "receive"}
    assert set(document["components"]["messages"]) == {"rpcRequest", "rpcReply", "rpcErrorReply", "event"}


def _refs(node, found=None):
    found = [] if found is None else found
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_every_reference_resolves(document):
    """Internal references point into the document; external ones to schema files in schemas/."""
    refs = _refs(document)
    external = {r for r in refs if not r.startswith("#")}
    assert {"../schemas/rpc-request-body.schema.json", "../schemas/rpc-reply-body.schema.json",
            "../schemas/error.schema.json", "../schemas/event-body.schema.json",
            "../schemas/context-headers.schema.json", "../schemas/amqp-properties.schema.json"} <= external
    for ref in external:
        path = (DOCUMENT.parent / ref).resolve()
        assert path.is_file(), ref
        assert json.loads(path.read_text("utf-8"))["$id"].endswith(path.name)
    for ref in (r for r in refs if r.startswith("#/")):
        node = document
        for part in ref[2:].split("/"):
            node = node[part]


def test_requirement_ids_exist_and_are_current(document):
    """Every x-requirements ID is in the registry and not withdrawn; every channel and operation cites some."""
    registry = {r["id"]: r for r in tool.load_registry()["requirements"]}
    parts = list(document["channels"].values()) + list(document["operations"].values())
    for part in parts:
        assert part["x-requirements"]
        for req_id in part["x-requirements"]:
            assert req_id in registry and registry[req_id]["level"] != "WITHDRAWN", req_id
    assert "EVT-1" in document["operations"]["dispatchEvent"]["x-requirements"]
    assert "TOPO-3" in document["operations"]["serveCall"]["x-requirements"]


def test_generation_fails_when_the_spec_no_longer_says_what_the_document_quotes(tmp_path):
    """A definition that changed in the spec, or a missing schema, stops generation instead of drifting."""
    registry = tool.load_registry()
    for entry in registry["requirements"]:
        if entry["id"] == "TOPO-1":
            entry["text"] = entry["text"].replace("`nameko-rpc`", "`other-rpc`")
    with pytest.raises(tool.GenerationError, match="TOPO-1"):
        tool.build(registry)
    with pytest.raises(tool.GenerationError, match="missing"):
        tool.build(tool.load_registry(), schemas_dir=tmp_path)


def test_vendored_schema_keeps_its_licence():
    """The vendored AsyncAPI schema comes with the Apache-2.0 licence and the NOTICE of its package."""
    assert "Apache License" in (VENDOR / "LICENSE").read_text("utf-8")
    assert "AsyncAPI Initiative" in (VENDOR / "NOTICE").read_text("utf-8")
    assert json.loads(OFFICIAL_SCHEMA.read_text("utf-8"))["$id"] == "http://asyncapi.com/definitions/3.0.0/asyncapi.json"
