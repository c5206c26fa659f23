"""``nameko-conformance replay FILE``: re-send the message a failing fuzz example saved, and show the outcome.

The message goes out byte for byte as saved (properties, headers, body), except for two things the replaying
kit must own: the routing key names the replay target's service, and ``reply_to`` is the replayer's own key.
Without ``--target``/``--target-cmd`` the kit starts the reference testee, as ``run`` does. A masked password
(``***``) in ``--target`` is taken from ``--amqp-uri`` or ``NAMEKO_CONFORMANCE_AMQP_URI`` (else ``guest``).
The reply is judged by the oracle's reply checks (routing, correlation, content type, envelope), as the fuzz run
judged it; a reply on the default exchange is caught too. Exit status: 0 when the target replied, the reply has no
finding and the target still answers an echo afterwards, 1 otherwise, 3 kit fault.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.fuzz.link import FuzzLink
from nameko_conformance.fuzz.properties import judge_reply, reply_kind
from nameko_conformance.messages import Outgoing
from nameko_conformance.outcomes import KitFault
from nameko_conformance.uri import mask

MASKED = "***"


def unmasked(target: str, amqp_uri: str | None) -> str:
    if f":{MASKED}@" not in target:
        return target
    source = amqp_uri or os.environ.get("NAMEKO_CONFORMANCE_AMQP_URI") or ""
    password = urlsplit(source).password or "guest"
    return target.replace(f":{MASKED}@", f":{password}@", 1)


def replay_message(link: FuzzLink, message: WireMessage, timeout: float) -> tuple[Outgoing, object, bool, list]:
    """Sends ``message`` to the link's service; returns (what was sent, the reply or None, still answering, the
    oracle's findings on the reply)."""
    method = message.routing_key.split(".", 1)[1] if "." in message.routing_key else message.routing_key
    properties = dict(message.properties)
    properties["reply_to"] = link.reply_key
    out = link.send(Outgoing(link.rpc_exchange, f"{link.service}.{method}", message.body, properties,
                             message.headers))
    reply = link.take(properties.get("correlation_id"), timeout)
    sentinel = link.send(link.factory.request("echo", ["replay sentinel"]))
    alive = link.take(sentinel.correlation_id, timeout) is not None
    findings = list(judge_reply(link, out, reply).findings) if reply is not None else []
    return out, reply, alive, findings


def main(args) -> int:
    from nameko_conformance.session import KitSession

    document = json.loads(Path(args.message_file).read_text("utf-8"))
    message = WireMessage.from_fixture(document["message"])
    kit = SimpleNamespace(target_uri=unmasked(args.target, args.amqp_uri) if args.target else None,
                          target_cmd=getattr(args, "target_cmd", None), capabilities=None, amqp_uri=args.amqp_uri,
                          broker_mode="auto", observer="spy")
    try:
        session = KitSession.start(kit)
    except KitFault as exc:
        print(f"kit fault: {exc}")
        return 3
    try:
        target = session.target
        link = FuzzLink(target.connection_parameters(), target.rpc_exchange, target.service)
        try:
            out, reply, alive, findings = replay_message(link, message, args.timeout)
        finally:
            link.close()
    finally:
        session.stop()
    print(f"property: {document.get('property')}  requirements: {', '.join(document.get('requirements', []))}")
    print(f"recorded failure: {document.get('failure')}")
    print(f"target: {mask(target.uri)}")
    sent = WireMessage(out.exchange, out.routing_key, out.properties, out.headers, out.body, role="request")
    print("sent:  " + json.dumps(sent.to_fixture())[:4000])
    if reply is None:
        print(f"reply: none within {args.timeout:g} s")
    else:
        received = WireMessage(reply.exchange, reply.routing_key, reply.properties, reply.headers, reply.body,
                               role="reply")
        print("reply: " + json.dumps(received.to_fixture())[:4000])
    kind, detail = reply_kind(reply)
    print(f"outcome: {kind}  {json.dumps(detail, default=repr)[:300] if detail is not None else ''}")
    for finding in findings:
        print(f"finding: {finding.code}: {mask(finding.message)}")
    print(f"target still answers an echo afterwards: {'yes' if alive else 'NO'}")
    return 0 if reply is not None and alive and not findings else 1
