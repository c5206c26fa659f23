"""The broker's own list of queues and their flags, from wherever the kit can read one.

AMQP alone cannot tell a queue's flags without a declare that might create or lock it, and it cannot list queues
whose names hold an id (a broadcast handler's queue). Some requirements need that list (EVT-9, TOPO-10); without it
they are inconclusive, never passed. The sources, in order:

1. a private node the kit started: its ``rabbitmqctl``;
2. the management plugin's HTTP API (``--management-url``, else port 15672 on the AMQP host), with the AMQP
   credentials: what a CI service container such as ``rabbitmq:3-management`` offers;
3. ``rabbitmqctl`` on this machine when the broker is on loopback (a broker installed from packages).

A list is used only if it holds the kit's own reply queue: otherwise it shows another broker or vhost. A source
that failed once is not asked again in the run; why each failed is kept for the verdict's reason.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import urllib.error
import urllib.request
from typing import Any, Callable
from urllib.parse import quote, unquote, urlsplit

from nameko_conformance.uri import mask

FLAGS = ("durable", "auto_delete", "exclusive")
HTTP_TIMEOUT = 3.0
CTL_TIMEOUT = 30.0
MAX_LIST_BYTES = 64 * 1024 * 1024  # a broker with a huge number of queues is read only this far
LOOPBACK = ("127.0.0.1", "localhost", "::1")

Flags = dict[str, dict[str, bool]]


def parse_ctl(out: str) -> Flags:
    """``rabbitmqctl list_queues -q --no-table-headers name durable auto_delete exclusive`` output."""
    flags: Flags = {}
    for line in out.splitlines():
        parts = line.rsplit("\t", 3)  # a queue name may hold a tab; the three flags never do
        if len(parts) == 4:
            flags[parts[0]] = {k: v.strip() == "true" for k, v in zip(FLAGS, parts[1:])}
    return flags


def parse_management(document: Any) -> Flags:
    """``GET /api/queues/<vhost>`` of the management plugin: a JSON array of queue objects."""
    if not isinstance(document, list):
        raise ValueError(f"expected a JSON array of queues, got {type(document).__name__}")
    flags: Flags = {}
    for queue in document:
        if isinstance(queue, dict) and isinstance(queue.get("name"), str):
            flags[queue["name"]] = {k: queue.get(k) is True for k in FLAGS}
    return flags


class QueueLister:
    def __init__(self, broker_uri: str, node: Any = None, management_url: str | None = None,
                 run: Callable[..., Any] = subprocess.run, fetch: Callable[..., Any] | None = None):
        parts = urlsplit(broker_uri)
        self.host = parts.hostname or "127.0.0.1"
        self.vhost = unquote(parts.path[1:]) if parts.path not in ("", "/") else "/"
        self.user, self.password = unquote(parts.username or "guest"), unquote(parts.password or "guest")
        self.node = node
        self.management_url = (management_url or f"http://{self._host_for_url()}:15672").rstrip("/")
        self._run, self._fetch = run, fetch or self._http_get
        self.failed: dict[str, str] = {}  # source -> why it gave no usable list
        self.source: str | None = None  # the source that gave the last usable list

    def _host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    def sources(self) -> list[tuple[str, Callable[[], Flags]]]:
        if self.node is not None:
            return [("the private node's rabbitmqctl", self._from_node)]
        found = [(f"the management API at {self.management_url}", self._from_management)]
        if self.host in LOOPBACK and shutil.which("rabbitmqctl"):
            found.append(("rabbitmqctl on this machine", self._from_local_ctl))
        return found

    def flags(self, own_queue: str) -> Flags | None:
        """name -> {durable, auto_delete, exclusive} of the broker's queues, or None (``why_none`` says why)."""
        for name, read in self.sources():
            if name in self.failed:
                continue
            try:
                listed = read()
            except Exception as exc:  # noqa: BLE001 - any failure of an extra view means only "not from here"
                self.failed[name] = mask(f"{type(exc).__name__}: {exc}")[:300]
                continue
            if own_queue not in listed:
                self.failed[name] = (f"its list of {len(listed)} queues lacks the kit's own {own_queue}: another "
                                     f"broker or vhost")
                continue
            self.source = name
            return listed
        return None

    @property
    def why_none(self) -> str:
        tried = "; ".join(f"{k}: {v}" for k, v in self.failed.items())
        return ("queue flags need the broker's own list of queues (--broker private, the management plugin's API "
                "with --management-url, or rabbitmqctl on the broker's machine)" + (f"; tried {tried}" if tried else ""))

    # -- the sources -----------------------------------------------------------------------------------------------

    def _from_node(self) -> Flags:
        return parse_ctl(self.node.ctl("list_queues", "-q", "--no-table-headers", *(("name",) + FLAGS)))

    def _from_local_ctl(self) -> Flags:
        done = self._run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers", "-p", self.vhost, "name", *FLAGS],
                         capture_output=True, text=True, timeout=CTL_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[:200]}")
        return parse_ctl(done.stdout)

    def _from_management(self) -> Flags:
        if urlsplit(self.management_url).scheme not in ("http", "https"):
            raise ValueError(f"{self.management_url} is not an http(s) URL")
        url = f"{self.management_url}/api/queues/{quote(self.vhost, safe='')}?columns=name,{','.join(FLAGS)}"
        return parse_management(json.loads(self._fetch(url)))

    def _http_get(self, url: str) -> bytes:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310 - http(s) only
                return response.read(MAX_LIST_BYTES)
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"HTTP {exc.code} {exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise RuntimeError(str(exc.reason)) from exc
