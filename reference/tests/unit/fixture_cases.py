"""Loads the language-neutral vectors of `fixtures/**/*.json` as codec Messages."""

import base64
import json
from pathlib import Path

from nameko_reference import codec

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"


def message_of(entry):
    """The codec Message of one fixture message."""
    body = entry["body_text"].encode("utf-8") if "body_text" in entry else base64.b64decode(entry["body_base64"])
    return codec.Message(body, dict(entry.get("properties", {})), entry.get("headers"),
                         entry.get("exchange", ""), entry.get("routing_key", ""))


def cases(select):
    """(test id, file kind, case) for every case for which `select(kind, case)` is true."""
    found = []
    for path in sorted(FIXTURES.glob("**/*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
            continue  # not a fixture file (e.g. an index)
        kind = document.get("source", {}).get("kind")
        for case in document["cases"]:
            if case.get("messages") and select(kind, case):
                found.append((f"{path.relative_to(FIXTURES)}::{case['id']}", kind, case))
    return found
