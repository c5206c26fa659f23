"""The broker's own queue list: parsed from rabbitmqctl or the management API, used only when it shows the kit's
own queue, each failing source asked once and named in the reason (no broker: the sources are stand-ins)."""

import json
import subprocess

import pytest

from nameko_conformance.queue_list import QueueLister, parse_ctl, parse_management

OWN = "conformance-kit.reply-k"
CTL_OUT = f"{OWN}\tfalse\ttrue\ttrue\nrpc-svc\ttrue\tfalse\tfalse\nodd\tname\ttrue\tfalse\tfalse\nshort\ttrue\n"


def test_rabbitmqctl_lines_become_flags_and_a_tab_in_a_name_survives():
    flags = parse_ctl(CTL_OUT)
    assert flags[OWN] == {"durable": False, "auto_delete": True, "exclusive": True}
    assert flags["rpc-svc"] == {"durable": True, "auto_delete": False, "exclusive": False}
    assert flags["odd\tname"]["durable"] is True and "short" not in flags


def test_management_queues_become_flags_and_anything_else_is_refused():
    document = [{"name": OWN, "durable": False, "auto_delete": True, "exclusive": True},
                {"name": "q", "durable": "yes"}, {"nameless": 1}, "junk"]
    assert parse_management(document) == {OWN: {"durable": False, "auto_delete": True, "exclusive": True},
                                          "q": {"durable": False, "auto_delete": False, "exclusive": False}}
    with pytest.raises(ValueError):
        parse_management({"error": "not_authorised"})


class Node:
    def __init__(self, out):
        self.out, self.calls = out, 0

    def ctl(self, *args):
        self.calls += 1
        return self.out


def test_a_private_node_is_the_only_source_when_there_is_one():
    node = Node(CTL_OUT)
    lister = QueueLister("amqp://guest:guest@127.0.0.1:5673/", node=node, fetch=lambda url: b"[]")
    assert lister.flags(OWN)[OWN]["exclusive"] is True and lister.source == "the private node's rabbitmqctl"


def test_the_management_api_is_asked_with_the_vhost_and_credentials():
    asked = []

    def fetch(url):
        asked.append(url)
        return json.dumps([{"name": OWN, "durable": True, "auto_delete": False, "exclusive": False}]).encode()

    lister = QueueLister("amqp://u:p%40ss@broker.example:5672/v%2Fh", fetch=fetch)
    assert lister.flags(OWN) is not None and lister.source.startswith("the management API at http://broker.example")
    assert asked == ["http://broker.example:15672/api/queues/v%2Fh?columns=name,durable,auto_delete,exclusive"]
    assert (lister.user, lister.password, lister.vhost) == ("u", "p@ss", "v/h")


def test_a_list_without_the_kits_own_queue_is_not_used_and_each_failure_is_asked_once(monkeypatch):
    fetched, ran = [], []

    def fetch(url):
        fetched.append(url)
        return b'[{"name": "someone-else"}]'

    def run(argv, **kwargs):
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 69, "", "Error: unable to perform an operation on node")

    monkeypatch.setattr("shutil.which", lambda name: "/usr/sbin/rabbitmqctl")
    lister = QueueLister("amqp://guest:secret@127.0.0.1:5672/", run=run, fetch=fetch)
    assert lister.flags(OWN) is None and lister.flags(OWN) is None
    assert len(fetched) == 1 and len(ran) == 1
    assert ran[0][:2] == ["rabbitmqctl", "list_queues"] and ran[0][ran[0].index("-p") + 1] == "/"
    why = lister.why_none
    assert "lacks the kit's own" in why and "exit 69" in why and "secret" not in why


def test_no_local_rabbitmqctl_for_a_remote_broker_and_no_scheme_but_http(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/sbin/rabbitmqctl")
    remote = QueueLister("amqp://guest:guest@broker.example:5672/", fetch=lambda url: b"[]")
    assert [name for name, _ in remote.sources()] == ["the management API at http://broker.example:15672"]
    odd = QueueLister("amqp://guest:guest@broker.example/", management_url="file:///etc/passwd",
                      fetch=lambda url: b"[]")
    assert odd.flags(OWN) is None and "not an http(s) URL" in odd.why_none
