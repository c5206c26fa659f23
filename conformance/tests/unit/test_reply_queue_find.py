"""Finding a client's reply queue: the firehose's name, else the queue bound with its reply_to in the broker's
list, else the guessed names; flags from the list (any arguments), else from equivalent declares."""

from nameko_conformance.clientcheck.reply_queue import RESOURCE_LOCKED, find
from nameko_conformance.oracle import client as clients
from nameko_conformance.oracle.client import REPLY_QUEUE_FLAGS

OWN = ("kit-q", "kit.*")


class Lister:
    def __init__(self, bound=None, listed=None):
        self.bound, self.listed, self.asked = bound, listed, []

    def bound_queues(self, exchange, key, own):
        self.asked.append((exchange, key, own))
        return self.bound

    def flags(self, own_queue):
        return self.listed


def declarer(existing):
    """A broker that holds ``existing``: name -> (durable, auto_delete, arguments) or "exclusive"."""
    calls = []

    def declare(name, passive=False, **flags):
        calls.append((name, passive))
        if name not in existing:
            return 404
        if existing[name] == "exclusive":
            return RESOURCE_LOCKED
        if passive:
            return None
        return None if (flags["durable"], flags["auto_delete"], flags["arguments"]) == existing[name] else 406
    declare.calls = calls
    return declare


def test_a_queue_of_any_name_is_found_by_its_binding_and_judged_from_the_list():
    lister = Lister(bound=["replies.my-lib.r1"], listed={"replies.my-lib.r1": {
        "durable": True, "auto_delete": False, "exclusive": False, "arguments": {"x-expires": 60000}}})
    declare = declarer({})
    view = find("r1", ("rpc.reply-svc-r1",), declare, lister, "nameko-rpc", OWN)
    assert view.name == "replies.my-lib.r1" and view.flags == (True, False, {"x-expires": 60000})
    assert declare.calls == [("rpc.reply-svc-r1", True)]  # the guess first: a declare is cheaper than a list
    assert lister.asked == [("nameko-rpc", "r1", OWN)]
    judged = clients.reply_queue(view, "r1")
    assert judged.codes() == ["RPC-CORR-4/reply-queue-name", "RPC-CORR-5/flags"]  # removed (x-expires): CORR-6 ok
    assert "RPC-CORR-6" in judged.examined


def test_an_exclusive_queue_in_the_list_is_exclusive():
    lister = Lister(bound=["q"], listed={"q": {"durable": False, "auto_delete": True, "exclusive": True,
                                               "arguments": {}}})
    assert find("r1", (), declarer({}), lister, "x", OWN).exclusive is True


def test_without_a_list_the_guessed_names_are_declared():
    declare = declarer({"rpc.reply-b-r1": REPLY_QUEUE_FLAGS[0]})
    view = find("r1", ("rpc.reply-a-r1", "rpc.reply-b-r1"), declare, Lister(bound=None), "x", OWN)
    assert view.name == "rpc.reply-b-r1" and view.flags == REPLY_QUEUE_FLAGS[0]
    assert clients.reply_queue(view, "r1").ok
    locked = find("r1", ("rpc.reply-a-r1",), declarer({"rpc.reply-a-r1": "exclusive"}))
    assert locked.exclusive is True
    unknown = find("r1", ("rpc.reply-a-r1",), declarer({"rpc.reply-a-r1": (True, False, {"x-max-length": 5})}))
    assert unknown.name == "rpc.reply-a-r1" and unknown.flags is None
    nothing = find("r1", ("rpc.reply-a-r1",), declarer({}))
    assert nothing.name is None and not clients.reply_queue(nothing, "r1").examined


def test_the_firehose_name_wins_over_the_bindings():
    lister = Lister(bound=["other"], listed=None)
    view = find("r1", ("guess",), declarer({"seen": REPLY_QUEUE_FLAGS[0]}), lister, "x", OWN, known="seen")
    assert view.name == "seen" and lister.asked == []


def test_the_lists_are_read_only_when_the_declares_cannot_tell():
    lister = Lister(bound=["never-asked"], listed={"rpc.reply-a-r1": {
        "durable": True, "auto_delete": False, "exclusive": False, "arguments": {"x-expires": 60000}}})
    plain = find("r1", ("rpc.reply-a-r1",), declarer({"rpc.reply-a-r1": REPLY_QUEUE_FLAGS[0]}), lister, "x", OWN)
    assert plain.flags == REPLY_QUEUE_FLAGS[0] and lister.asked == []
    # Found by its name, but with arguments no declare of the table matches: the list gives them.
    odd = find("r1", ("rpc.reply-a-r1",), declarer({"rpc.reply-a-r1": (True, False, {"x-expires": 60000})}),
               lister, "x", OWN)
    assert odd.flags == (True, False, {"x-expires": 60000}) and lister.asked == []
