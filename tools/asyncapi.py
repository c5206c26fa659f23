"""Generates ``asyncapi/nameko-wire.asyncapi.json``, an AsyncAPI 3.0 document of the nameko wire protocol, from the
spec's requirement registry (``spec/requirements.json``) and the JSON Schemas (``schemas/``).

    python tools/asyncapi.py           # (re)write the document
    python tools/asyncapi.py --check   # exit 1 when the committed document differs from what would be written

What comes from where, so the document cannot drift:

- the version is the spec's ``spec_version``;
- each channel and operation lists, under ``x-requirements``, the IDs of the requirements of its chapters and
  roles (WITHDRAWN ones left out) and quotes the sentences that define its names and routing;
- each message's payload and headers are ``$ref``s to the schema files, and its title and summary are the schema's
  own ``title`` and the first sentence of its ``description``; a schema the document needs that is missing is an
  error, not an empty message.

The protocol's fixed names (``nameko-rpc``, ``S.events``, the queue name patterns) are the spec's too: the
generator checks that each is quoted in the requirement sentence it cites.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REGISTRY = REPO / "spec" / "requirements.json"
SCHEMAS = REPO / "schemas"
OUTPUT = REPO / "asyncapi" / "nameko-wire.asyncapi.json"
SCHEMA_REF_PREFIX = "../schemas/"  # relative to the document
AMQP_BINDING_VERSION = "0.3.0"
JSON_SCHEMA_FORMAT = "application/schema+json;version=draft-07"


class GenerationError(Exception):
    pass


# -- what the protocol is made of (each tied to the requirement whose sentence defines it) ------------------------

# (name in the document, the requirement that defines it, a literal that sentence must quote)
DEFINED_BY = {
    "rpc_exchange": ("TOPO-1", "`nameko-rpc`"),
    "service_queue": ("TOPO-3", "`rpc-S`"),
    "service_binding": ("TOPO-5", "`S.*`"),
    "events_exchange": ("EVT-1", "`S.events`"),
    "pool_queue": ("EVT-5", "`evt-S-T--V.h`"),
    "singleton_queue": ("EVT-6", "`evt-S-T`"),
    "broadcast_queue": ("EVT-7", "`evt-S-T--V.h-<id>`"),
}

# operation → (action, channel, message names, chapters, roles, summary)
OPERATIONS = {
    "callMethod": ("send", "rpcRequests", ["rpcRequest"], ("02", "05", "06", "07"), ("client",),
                   "A client calls method M of service S: it publishes a request to the RPC exchange with the routing "
                   "key S.M and waits for the reply on its reply queue."),
    "serveCall": ("receive", "rpcRequests", ["rpcRequest"], ("01", "02", "05", "07", "10", "12"), ("server",),
                  "A server of service S consumes requests from its queue rpc-S, bound to the RPC exchange with S.*."),
    "sendReply": ("send", "rpcReplies", ["rpcReply", "rpcErrorReply"], ("03", "04", "09"), ("server",),
                  "A server publishes the reply to the RPC exchange with the request's reply_to as the routing key "
                  "and its correlation_id."),
    "receiveReply": ("receive", "rpcReplies", ["rpcReply", "rpcErrorReply"], ("03", "04", "06"), ("client",),
                     "A client consumes replies from its reply queue and matches them to calls by correlation_id."),
    "dispatchEvent": ("send", "events", ["event"], ("08",), ("dispatcher",),
                      "A dispatcher of service S publishes an event of type T to the exchange S.events with the "
                      "routing key T."),
    "handleEvent": ("receive", "events", ["event"], ("08", "10"), ("handler",),
                    "A handler consumes events of type T from S from its own queue, bound to S.events with the key "
                    "T: one per service (service_pool), one in all (singleton) or every instance (broadcast)."),
}

# channel → (chapters, roles, description)
CHANNELS = {
    "rpcRequests": (("01",), ("any", "server", "observer"),
                    "RPC requests: the RPC exchange, routing key {service}.{method}."),
    "rpcReplies": (("03",), ("server",), "RPC replies: the RPC exchange, routing key {replyTo} (the request's reply_to)."),
    "events": (("08",), ("dispatcher", "handler"), "Events: the exchange {service}.events, routing key {eventType}."),
}

# message → (schema file that gives its title and summary, headers schema file or None)
MESSAGES = {
    "rpcRequest": ("rpc-request-body.schema.json", "context-headers.schema.json"),
    "rpcReply": ("rpc-reply-body.schema.json", None),
    "rpcErrorReply": ("error.schema.json", None),
    "event": ("event-body.schema.json", "context-headers.schema.json"),
}
PROPERTIES_SCHEMA = "amqp-properties.schema.json"


# -- inputs ------------------------------------------------------------------------------------------------------

def load_registry(path: Path = REGISTRY) -> dict:
    return json.loads(path.read_text("utf-8"))


def load_schema(name: str, directory: Path = SCHEMAS) -> dict:
    path = directory / name
    if not path.is_file():
        raise GenerationError(f"schemas/{name} is missing; the AsyncAPI document references it")
    return json.loads(path.read_text("utf-8"))


def requirement_ids(registry: dict, chapters: tuple[str, ...], roles: tuple[str, ...]) -> list[str]:
    return [r["id"] for r in registry["requirements"]
            if r["level"] != "WITHDRAWN" and r["chapter"][:2] in chapters and r["role"] in roles]


def requirement(registry: dict, req_id: str) -> dict:
    for r in registry["requirements"]:
        if r["id"] == req_id:
            return r
    raise GenerationError(f"{req_id} is not in spec/requirements.json")


def defined(registry: dict, name: str) -> str:
    """The sentence that defines ``name``, checked to still quote the literal the document uses."""
    req_id, literal = DEFINED_BY[name]
    entry = requirement(registry, req_id)
    if entry["level"] == "WITHDRAWN" or literal not in entry["text"]:
        raise GenerationError(f"{req_id} no longer defines {literal}; update tools/asyncapi.py with the spec")
    return f"{req_id}: {entry['text']}"


def first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


# -- the document ------------------------------------------------------------------------------------------------

def schema_ref(name: str) -> dict:
    return {"$ref": SCHEMA_REF_PREFIX + name}


def payload_schema(message: str, schema_file: str) -> dict:
    """The payload's schema: the file itself, except for an error reply, which is the reply body with result null
    and the error object as its error member."""
    if message != "rpcErrorReply":
        return schema_ref(schema_file)
    return {"allOf": [schema_ref("rpc-reply-body.schema.json")], "required": ["result", "error"],
            "properties": {"result": {"type": "null"}, "error": schema_ref(schema_file)}}


def exchange_binding(name: str) -> dict:
    return {"amqp": {"is": "routingKey", "bindingVersion": AMQP_BINDING_VERSION,
                     "exchange": {"name": name, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"}}}


def build(registry: dict, schemas_dir: Path = SCHEMAS) -> dict:
    messages = {}
    for name, (payload_file, headers_file) in MESSAGES.items():
        schema = load_schema(payload_file, schemas_dir)
        message = {
            "name": name,
            "title": schema.get("title", name),
            "summary": first_sentence(schema.get("description", "")),
            "contentType": "application/json",
            "payload": {"schemaFormat": JSON_SCHEMA_FORMAT, "schema": payload_schema(name, payload_file)},
            "correlationId": {"description": "The AMQP basic property correlation_id (not an application header).",
                              "location": "$message.header#/correlation_id"},
            "bindings": {"amqp": {"contentEncoding": "utf-8", "bindingVersion": AMQP_BINDING_VERSION}},
            "x-amqp-properties": schema_ref(PROPERTIES_SCHEMA),
        }
        if headers_file:
            load_schema(headers_file, schemas_dir)
            message["headers"] = {"schemaFormat": JSON_SCHEMA_FORMAT, "schema": schema_ref(headers_file)}
        if name == "rpcErrorReply":
            load_schema("rpc-reply-body.schema.json", schemas_dir)
            message["summary"] = ("A failure reply: the reply body with result null and an error object as its error "
                                  "member. " + message["summary"])
        if name == "event":
            del message["correlationId"]  # EVT-4: events carry none
        load_schema(PROPERTIES_SCHEMA, schemas_dir)
        messages[name] = message

    parameters = {
        "service": {"description": "The service name S (TOPO-6: not empty, no '.', '*' or '#')."},
        "method": {"description": "The method name M (TOPO-6: not empty, no '.', '*' or '#')."},
        "replyTo": {"description": "The request's reply_to: the routing key of the client's reply queue binding."},
        "eventType": {"description": "The event type T."},
    }
    channels = {
        "rpcRequests": {
            "address": "{service}.{method}",
            "title": "RPC requests",
            "description": " ".join([CHANNELS["rpcRequests"][2], defined(registry, "rpc_exchange"),
                                     defined(registry, "service_queue"), defined(registry, "service_binding")]),
            "parameters": {"service": parameters["service"], "method": parameters["method"]},
            "messages": {"rpcRequest": {"$ref": "#/components/messages/rpcRequest"}},
            "bindings": exchange_binding("nameko-rpc"),
        },
        "rpcReplies": {
            "address": "{replyTo}",
            "title": "RPC replies",
            "description": " ".join([CHANNELS["rpcReplies"][2], defined(registry, "rpc_exchange")]),
            "parameters": {"replyTo": parameters["replyTo"]},
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in ("rpcReply", "rpcErrorReply")},
            "bindings": exchange_binding("nameko-rpc"),
        },
        "events": {
            "address": "{eventType}",
            "title": "Events",
            "description": " ".join([CHANNELS["events"][2], defined(registry, "events_exchange"),
                                     defined(registry, "pool_queue"), defined(registry, "singleton_queue"),
                                     defined(registry, "broadcast_queue")]),
            "parameters": {"eventType": parameters["eventType"]},
            "messages": {"event": {"$ref": "#/components/messages/event"}},
            "bindings": exchange_binding("{service}.events"),
        },
    }
    for name, (chapters, roles, _) in CHANNELS.items():
        channels[name]["x-requirements"] = requirement_ids(registry, chapters, roles)

    operations = {}
    for name, (action, channel, message_names, chapters, roles, summary) in OPERATIONS.items():
        operation = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": summary,
            "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in message_names],
            "x-requirements": requirement_ids(registry, chapters, roles),
        }
        if name in ("callMethod", "serveCall"):
            operation["reply"] = {
                "address": {"location": "$message.header#/reply_to",
                            "description": "The AMQP basic property reply_to: the reply's routing key."},
                "channel": {"$ref": "#/channels/rpcReplies"},
                "messages": [{"$ref": f"#/channels/rpcReplies/messages/{m}"} for m in ("rpcReply", "rpcErrorReply")],
            }
        if action == "send":
            operation["bindings"] = {"amqp": {"deliveryMode": 2, "bindingVersion": AMQP_BINDING_VERSION}}
        operations[name] = operation

    return {
        "asyncapi": "3.0.0",
        "id": "urn:nameko-wire:protocol",
        "info": {
            "title": "nameko wire protocol",
            "version": registry["spec_version"],
            "description": ("RPC and events over AMQP 0-9-1 as spoken by nameko 2.14.1 and 3.0.0rc11 and their ports. "
                            "Generated by tools/asyncapi.py from spec/requirements.json and schemas/; the spec is "
                            "normative, this document is a map of it. Payloads and headers reference the draft-07 "
                            "schemas in schemas/; x-requirements lists the requirement IDs that govern each part."),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "broker": {"host": "127.0.0.1:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                       "description": "Any RabbitMQ broker; the virtual host is the deployment's choice."},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed document is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        text = render(build(load_registry()))
    except GenerationError as exc:
        print(f"asyncapi: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.output.read_text("utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"asyncapi: {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output} "
                  "is stale; run python tools/asyncapi.py", file=sys.stderr)
            return 1
        print("asyncapi: up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, "utf-8")
    print(f"asyncapi: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
