"""The broker's own list of queues and their flags, from wherever the kit can read one.

AMQP alone cannot tell a queue's flags without a declare that might create or lock it, and it cannot list queues
whose names hold an id (a broadcast handler's queue). Some requirements need that list (EVT-9, TOPO-10); without it
they are inconclusive, never passed. So do the bindings (where a reply keyed by a client's ``reply_to`` goes: its
reply queue, whatever its name; RPC-CORR-4..6) and the consumers with their channels' QoS (RPC-REQ-16, TOPO-11).
The sources, in order:

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

# name -> durable, auto_delete, exclusive (bools), arguments, unacked (deliveries not yet acknowledged, or None)
Flags = dict[str, dict[str, Any]]


def _objects(document: Any, what: str) -> list[dict]:
    """The objects of a listing (a JSON array); anything else in it is skipped, a non-array refused."""
    if not isinstance(document, list):
        raise ValueError(f"expected a JSON array of {what}, got {type(document).__name__}")
    return [item for item in document if isinstance(item, dict)]


def parse_queues(document: Any) -> Flags:
    """A JSON array of queue objects: the management API's ``/api/queues/<vhost>`` or ``rabbitmqctl list_queues
    --formatter json``."""
    flags: Flags = {}
    for queue in _objects(document, "queues"):
        if isinstance(queue.get("name"), str):
            flags[queue["name"]] = {k: queue.get(k) is True for k in FLAGS}
            flags[queue["name"]]["arguments"] = _arguments(queue.get("arguments"))
            unacked = queue.get("messages_unacknowledged")
            flags[queue["name"]]["unacked"] = unacked if isinstance(unacked, int) else None
    return flags


def _arguments(raw: Any) -> dict:
    """Queue arguments as the API gives them (an object) or rabbitmqctl's JSON does (``[[name, type, value]]``)."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, list):
        return {item[0]: item[-1] for item in raw if isinstance(item, list) and len(item) >= 2
                and isinstance(item[0], str)}
    return {}


def parse_bindings(document: Any) -> list[tuple[str, str, str]]:
    """(source exchange, destination queue, routing key) of every binding to a queue, from the management API's
    ``/api/bindings/<vhost>`` or ``rabbitmqctl list_bindings --formatter json``."""
    found = []
    for binding in _objects(document, "bindings"):
        source = binding.get("source", binding.get("source_name"))
        destination = binding.get("destination", binding.get("destination_name"))
        kind = binding.get("destination_type", binding.get("destination_kind"))
        key = binding.get("routing_key")
        if kind == "queue" and all(isinstance(v, str) for v in (source, destination, key)):
            found.append((source, destination, key))
    return found


def parse_consumers(document: Any) -> list[tuple[str, str, int]]:
    """(queue, channel, prefetch_count) of every consumer: ``rabbitmqctl list_consumers --formatter json`` or the
    management API's ``/api/consumers/<vhost>``."""
    found = []
    for consumer in _objects(document, "consumers"):
        queue = consumer.get("queue_name", consumer.get("queue"))
        queue = queue.get("name") if isinstance(queue, dict) else queue
        channel = consumer.get("channel_pid", consumer.get("channel_details"))
        channel = channel.get("name") if isinstance(channel, dict) else channel
        prefetch = consumer.get("prefetch_count")
        if isinstance(queue, str) and isinstance(channel, str) and isinstance(prefetch, int):
            found.append((queue, channel, prefetch))
    return found


def parse_channels(document: Any) -> dict[str, int]:
    """channel -> global_prefetch_count: ``rabbitmqctl list_channels --formatter json`` or ``/api/channels``."""
    return {channel.get("pid", channel.get("name")): channel["global_prefetch_count"]
            for channel in _objects(document, "channels") if isinstance(channel.get("pid", channel.get("name")), str)
            and isinstance(channel.get("global_prefetch_count"), int)}


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

    def sources(self) -> list[tuple[str, Callable[[str], Any]]]:
        if self.node is not None:
            return [("the private node's rabbitmqctl", self._from_node)]
        found = [(f"the management API at {self.management_url}", self._from_management)]
        if self.host in LOOPBACK and shutil.which("rabbitmqctl"):
            found.append(("rabbitmqctl on this machine", self._from_local_ctl))
        return found

    def flags(self, own_queue: str) -> Flags | None:
        """name -> {durable, auto_delete, exclusive, arguments} of the broker's queues, or None (``why_none``)."""
        return self._first_usable("queues", lambda listed: own_queue in listed,
                                  f"lacks the kit's own {own_queue}")

    def bound_queues(self, exchange: str, routing_key: str, own: tuple[str, str]) -> list[str] | None:
        """The queues bound to ``exchange`` with ``routing_key`` (where a reply keyed so goes), or None. ``own``: a
        (queue, key) binding of the kit's on that exchange, which a list of this broker and vhost must show."""
        bindings = self._first_usable("bindings", lambda found: (exchange, *own) in found,
                                      f"lacks the kit's own binding {own[0]} <- {exchange} ({own[1]})")
        if bindings is None:
            return None
        return sorted({queue for source, queue, key in bindings if source == exchange and key == routing_key})

    def consumer_qos(self, queue: str, own_queue: str) -> list[tuple[int, int]] | None:
        """(prefetch_count, the channel's global_prefetch_count) of each consumer of ``queue``, or None. The kit
        consumes ``own_queue``, so a list of this broker and vhost shows it."""
        consumers = self._first_usable("consumers", lambda found: any(q == own_queue for q, _, _ in found),
                                       f"lacks the kit's own consumer of {own_queue}")
        if consumers is None:
            return None
        mine = [(channel, prefetch) for q, channel, prefetch in consumers if q == queue]
        channels = self._first_usable("channels", lambda found: all(c in found for c, _ in mine),
                                      f"lacks the channels consuming {queue}") if mine else {}
        if channels is None:
            return None
        return [(prefetch, channels[channel]) for channel, prefetch in mine]

    def _first_usable(self, what: str, shows_own: Callable[[Any], bool], lacking: str) -> Any:
        for name, read in self.sources():
            failed_key = f"{name} ({what})"
            if failed_key in self.failed:
                continue
            try:
                listed = read(what)
            except Exception as exc:  # noqa: BLE001 - any failure of an extra view means only "not from here"
                self.failed[failed_key] = mask(f"{type(exc).__name__}: {exc}")[:300]
                continue
            if not shows_own(listed):
                self.failed[failed_key] = f"its list of {len(listed)} {what} {lacking}: another broker or vhost"
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

    _CTL = {"queues": ("list_queues", "name", *FLAGS, "arguments", "messages_unacknowledged"),
            "bindings": ("list_bindings", "source_name", "destination_name", "destination_kind", "routing_key"),
            "consumers": ("list_consumers", "queue_name", "channel_pid", "prefetch_count"),
            "channels": ("list_channels", "pid", "prefetch_count", "global_prefetch_count")}
    _PARSE = {"queues": parse_queues, "bindings": parse_bindings, "consumers": parse_consumers,
              "channels": parse_channels}
    # Channels belong to connections, not to a vhost: list_channels takes no -p.
    _VHOSTED = ("queues", "bindings", "consumers")

    def _from_node(self, what: str) -> Any:
        command, *columns = self._CTL[what]
        return self._PARSE[what](json.loads(self.node.ctl(command, "-q", "--formatter", "json", *columns) or "[]"))

    def _from_local_ctl(self, what: str) -> Any:
        command, *columns = self._CTL[what]
        vhost = ("-p", self.vhost) if what in self._VHOSTED else ()
        done = self._run(["rabbitmqctl", command, "-q", "--formatter", "json", *vhost, *columns],
                         capture_output=True, text=True, timeout=CTL_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}: {(done.stderr or done.stdout).strip()[:200]}")
        return self._PARSE[what](json.loads(done.stdout or "[]"))

    def _from_management(self, what: str) -> Any:
        if urlsplit(self.management_url).scheme not in ("http", "https"):
            raise ValueError(f"{self.management_url} is not an http(s) URL")
        vhost = quote(self.vhost, safe="")
        url = {"queues": f"{self.management_url}/api/queues/{vhost}?columns=name,{','.join(FLAGS)},arguments,"
                         "messages_unacknowledged",
               "bindings": f"{self.management_url}/api/bindings/{vhost}",
               "consumers": f"{self.management_url}/api/consumers/{vhost}",
               "channels": f"{self.management_url}/api/channels?columns=name,prefetch_count,global_prefetch_count",
               }[what]
        return self._PARSE[what](json.loads(self._fetch(url)))

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
