"""The broker's own queue list: parsed from rabbitmqctl or the management API, used only when it shows the kit's
own queue, each failing source asked once and named in the reason (no broker: the sources are stand-ins)."""

import json
import subprocess

import pytest

from nameko_conformance.queue_list import QueueLister, parse_bindings, parse_channels, parse_consumers, parse_queues

OWN = "conformance-kit.reply-k"
CTL_QUEUES = json.dumps([
    {"name": OWN, "durable": False, "auto_delete": True, "exclusive": True, "arguments": []},
    {"name": "rpc-svc", "durable": True, "auto_delete": False, "exclusive": False,
     "arguments": [["x-queue-type", "longstr", "quorum"]]},
    {"name": "odd\tname", "durable": True, "auto_delete": False, "exclusive": False, "arguments": [["bad"], 7]}])
CTL_BINDINGS = json.dumps([
    {"source_name": "nameko-rpc", "destination_name": OWN, "destination_kind": "queue", "routing_key": "k"},
    {"source_name": "nameko-rpc", "destination_name": "rpc.reply-x", "destination_kind": "queue",
     "routing_key": "r-1"},
    {"source_name": "nameko-rpc", "destination_name": "other-exchange", "destination_kind": "exchange",
     "routing_key": "r-1"},
    {"source_name": "", "destination_name": "rpc.reply-x", "destination_kind": "queue", "routing_key": "rpc.reply-x"}])


def test_queue_lists_become_flags_with_arguments_in_either_form():
    flags = parse_queues(json.loads(CTL_QUEUES))
    assert flags[OWN] == {"durable": False, "auto_delete": True, "exclusive": True, "arguments": {}, "unacked": None}
    assert flags["rpc-svc"]["arguments"] == {"x-queue-type": "quorum"}
    assert flags["odd\tname"]["durable"] is True and flags["odd\tname"]["arguments"] == {}
    api = [{"name": "q", "durable": "yes", "arguments": {"x-expires": 300000}}, {"nameless": 1}, "junk"]
    assert parse_queues(api) == {"q": {"durable": False, "auto_delete": False, "exclusive": False,
                                       "arguments": {"x-expires": 300000}, "unacked": None}}
    assert parse_queues([{"name": "q", "messages_unacknowledged": 3}])["q"]["unacked"] == 3
    with pytest.raises(ValueError):
        parse_queues({"error": "not_authorised"})


def test_bindings_to_queues_in_either_form():
    assert parse_bindings(json.loads(CTL_BINDINGS)) == [("nameko-rpc", OWN, "k"), ("nameko-rpc", "rpc.reply-x", "r-1"),
                                                        ("", "rpc.reply-x", "rpc.reply-x")]
    api = [{"source": "nameko-rpc", "destination": "q", "destination_type": "queue", "routing_key": "r"}, 5]
    assert parse_bindings(api) == [("nameko-rpc", "q", "r")]
    with pytest.raises(ValueError):
        parse_bindings("nope")


class Node:
    def __init__(self):
        self.calls = []

    def ctl(self, *args):
        self.calls.append(args)
        return CTL_QUEUES if args[0] == "list_queues" else CTL_BINDINGS


def test_a_private_node_is_the_only_source_when_there_is_one():
    node = Node()
    lister = QueueLister("amqp://guest:guest@127.0.0.1:5673/", node=node, fetch=lambda url: b"[]")
    assert lister.flags(OWN)[OWN]["exclusive"] is True and lister.source == "the private node's rabbitmqctl"
    assert lister.bound_queues("nameko-rpc", "r-1", (OWN, "k")) == ["rpc.reply-x"]
    assert lister.bound_queues("nameko-rpc", "nobody", (OWN, "k")) == []
    assert lister.bound_queues("nameko-rpc", "r-1", (OWN, "other-key")) is None  # not the kit's broker or vhost
    assert node.calls[0][:4] == ("list_queues", "-q", "--formatter", "json")


def test_the_management_api_is_asked_with_the_vhost_and_credentials():
    asked = []

    def fetch(url):
        asked.append(url)
        return json.dumps([{"name": OWN, "durable": True, "auto_delete": False, "exclusive": False}]).encode()

    lister = QueueLister("amqp://u:p%40ss@broker.example:5672/v%2Fh", fetch=fetch)
    assert lister.flags(OWN) is not None and lister.source.startswith("the management API at http://broker.example")
    assert asked == ["http://broker.example:15672/api/queues/v%2Fh?columns=name,durable,auto_delete,exclusive,"
                     "arguments,messages_unacknowledged"]
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
    assert ran[0][:4] == ["rabbitmqctl", "list_queues", "-q", "--formatter"] and ran[0][ran[0].index("-p") + 1] == "/"
    why = lister.why_none
    assert "lacks the kit's own" in why and "exit 69" in why and "secret" not in why


def test_no_local_rabbitmqctl_for_a_remote_broker_and_no_scheme_but_http(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/sbin/rabbitmqctl")
    remote = QueueLister("amqp://guest:guest@broker.example:5672/", fetch=lambda url: b"[]")
    assert [name for name, _ in remote.sources()] == ["the management API at http://broker.example:15672"]
    odd = QueueLister("amqp://guest:guest@broker.example/", management_url="file:///etc/passwd",
                      fetch=lambda url: b"[]")
    assert odd.flags(OWN) is None and "not an http(s) URL" in odd.why_none


CTL_CONSUMERS = json.dumps([
    {"queue_name": OWN, "channel_pid": "#PID<1.1.0>", "consumer_tag": "k", "prefetch_count": 0},
    {"queue_name": "rpc-svc", "channel_pid": "#PID<1.2.0>", "consumer_tag": "a", "prefetch_count": 10},
    {"queue_name": "rpc-svc", "channel_pid": "#PID<1.3.0>", "consumer_tag": "b", "prefetch_count": 0}])
CTL_CHANNELS = json.dumps([{"pid": "#PID<1.1.0>", "prefetch_count": 0, "global_prefetch_count": 0},
                           {"pid": "#PID<1.2.0>", "prefetch_count": 0, "global_prefetch_count": 0},
                           {"pid": "#PID<1.3.0>", "prefetch_count": 0, "global_prefetch_count": 5}])


def test_consumer_qos_joins_consumers_to_their_channels_in_either_form():
    class QosNode:
        def ctl(self, command, *args):
            return {"list_consumers": CTL_CONSUMERS, "list_channels": CTL_CHANNELS}[command]

    lister = QueueLister("amqp://guest:guest@127.0.0.1:5673/", node=QosNode())
    assert lister.consumer_qos("rpc-svc", OWN) == [(10, 0), (0, 5)]
    assert lister.consumer_qos("rpc-nobody", OWN) == []
    assert lister.consumer_qos("rpc-svc", "not-the-kits") is None
    api_consumers = [{"queue": {"name": "q"}, "channel_details": {"name": "c 1"}, "prefetch_count": 3}, {"x": 1}]
    api_channels = [{"name": "c 1", "prefetch_count": 0, "global_prefetch_count": 0}, {"name": 7}]
    assert parse_consumers(api_consumers) == [("q", "c 1", 3)]
    assert parse_channels(api_channels) == {"c 1": 0}


def test_consumer_qos_judged():
    from nameko_conformance.oracle import topology
    judged = topology.consumer_qos([(10, 0), (0, 5), (0, 0)], "rpc-svc")
    assert judged.codes() == ["TOPO-11/global-qos", "RPC-REQ-16/unbounded-prefetch"]
    assert topology.consumer_qos([(10, 0)], "rpc-svc").ok and {"RPC-REQ-16", "TOPO-11"} <= \
        topology.consumer_qos([(10, 0)], "rpc-svc").examined
    for qos in (None, []):
        unjudged = topology.consumer_qos(qos, "rpc-svc", "no list here")
        assert not unjudged.examined and {r for r, _ in unjudged.inconclusive} == {"RPC-REQ-16", "TOPO-11"}
