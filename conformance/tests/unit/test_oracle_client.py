"""oracle.client, offline: each check with passing and failing observations, exact finding codes and examined sets."""

import json
from dataclasses import dataclass

import pytest

from nameko_conformance.capture.wire import WireMessage
from nameko_conformance.oracle import client as clients
from nameko_conformance.oracle.client import REPLY_QUEUE_FLAGS, ReplyQueueView

EXCHANGE = "nameko-rpc-kit-x"
REPLY_TO = "5a7e2c1d-3b4f-4e6a-8c9d-0f1e2d3c4b5a"
CORRELATION = "b2c4d6e8-1a3b-4c5d-8e7f-9a0b1c2d3e4f"
GOOD_PROPERTIES = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2,
                   "correlation_id": CORRELATION, "reply_to": REPLY_TO}


def request(key="svc.meth", exchange=EXCHANGE, body=b'{"args": [1], "kwargs": {"k": 2}}', headers=None, **props):
    properties = dict(GOOD_PROPERTIES)
    properties.update(props)
    properties = {k: v for k, v in properties.items() if v is not None}
    return WireMessage(exchange, key, properties, headers, body)


def codes(judgement):
    return sorted(judgement.codes())


# -- routing ------------------------------------------------------------------------------------------------------

def test_routing_passes_on_the_exchange_with_service_dot_method():
    judgement = clients.request_routing(request(), EXCHANGE, "svc", "meth")
    assert judgement.examined == {"RPC-REQ-1", "TOPO-6"} and codes(judgement) == []


@pytest.mark.parametrize("message", [request(exchange="other"), request(exchange=""), request(key="svc.other")])
def test_routing_elsewhere_is_wrong_destination(message):
    judgement = clients.request_routing(message, EXCHANGE, "svc", "meth")
    assert codes(judgement) == ["RPC-REQ-1/wrong-destination"]
    assert judgement.findings[0].messages  # the request is shown


@pytest.mark.parametrize("key", ["svc.a.b", "svc.*", "#.m", ".m", "svc."])
def test_a_key_that_is_not_two_plain_names_breaks_topo_6(key):
    judgement = clients.request_routing(request(key=key), EXCHANGE, "svc", "meth")
    assert codes(judgement) == ["RPC-REQ-1/wrong-destination", "TOPO-6/name-syntax"]


# -- properties ---------------------------------------------------------------------------------------------------

def test_good_properties_pass_all_five():
    judgement = clients.request_properties(request())
    assert judgement.examined == {"RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-6", "RPC-REQ-7"}
    assert codes(judgement) == []


@pytest.mark.parametrize("override, code", [
    ({"content_type": "application/json; charset=utf-8"}, "RPC-REQ-2/content-type"),
    ({"content_type": None}, "RPC-REQ-2/content-type"),
    ({"reply_to": None}, "RPC-REQ-3/no-reply-to"),
    ({"reply_to": ""}, "RPC-REQ-3/no-reply-to"),
    ({"correlation_id": None}, "RPC-REQ-4/no-correlation-id"),
    ({"content_encoding": "latin-1"}, "RPC-REQ-6/content-encoding"),
    ({"delivery_mode": 1}, "RPC-REQ-7/delivery-mode"),
    ({"delivery_mode": None}, "RPC-REQ-7/delivery-mode"),
])
def test_each_property_fault_is_its_own_finding(override, code):
    assert codes(clients.request_properties(request(**override))) == [code]


# -- body ---------------------------------------------------------------------------------------------------------

def test_body_of_the_calls_arguments_passes_and_is_the_value():
    judgement = clients.request_body(request(), [1], {"k": 2})
    assert codes(judgement) == [] and judgement.value == {"args": [1], "kwargs": {"k": 2}}
    assert {"RPC-REQ-5", "RPC-REQ-9", "SER-1", "SER-3", "SER-7", "SER-8"} <= judgement.examined


def test_body_with_other_arguments_is_wrong_arguments():
    assert codes(clients.request_body(request(), [2], {"k": 2})) == ["RPC-REQ-5/wrong-arguments"]
    assert codes(clients.request_body(request(), [1], {"k": 3})) == ["RPC-REQ-5/wrong-arguments"]


def test_body_without_expectations_checks_only_the_shape():
    assert codes(clients.request_body(request())) == []


@pytest.mark.parametrize("body", [b'{"args": {}, "kwargs": {}}', b'{"args": [], "kwargs": []}', b'{"args": []}',
                                  b'[1, 2]', b'"text"'])
def test_a_body_that_is_no_request_object_breaks_rpc_req_5_and_leaves_9_undecided(body):
    judgement = clients.request_body(request(body=body))
    assert [f.requirement for f in judgement.findings] == ["RPC-REQ-5"]
    assert "RPC-REQ-9" not in judgement.examined and dict(judgement.inconclusive).get("RPC-REQ-9")
    assert judgement.value is None


def test_extra_members_break_rpc_req_9():
    judgement = clients.request_body(request(body=b'{"args": [], "kwargs": {}, "x": 1}'))
    assert codes(judgement) == ["RPC-REQ-9/extra-members"] and judgement.value is not None


@pytest.mark.parametrize("body, expected", [
    (b"not json", ["SER-1"]),
    (b'{"args": [NaN], "kwargs": {}}', ["SER-1", "SER-3"]),
    (b'{"args": [], "args": [], "kwargs": {}}', ["SER-7"]),
])
def test_a_body_that_is_not_strict_json_is_judged_by_the_strict_reader(body, expected):
    judgement = clients.request_body(request(body=body))
    assert sorted(f.requirement for f in judgement.findings) == expected
    assert {"RPC-REQ-5", "RPC-REQ-9"} & judgement.examined == set() and judgement.value is None


def test_tagged_objects_in_a_request_break_ser_8():
    body = json.dumps({"args": [{"__type__": "datetime", "__value__": "x"}], "kwargs": {}}).encode()
    assert codes(clients.request_body(request(body=body))) == ["SER-8/tagged-object"]


# -- reply_to, correlation ids -------------------------------------------------------------------------------------

def test_uuid4_reply_to_passes_both():
    judgement = clients.reply_to_key(request())
    assert judgement.examined == {"RPC-CORR-3", "RPC-CORR-12"} and codes(judgement) == []


@pytest.mark.parametrize("reply_to, expected", [
    ("rpc.reply-x-" + REPLY_TO, ["RPC-CORR-12/reply-to-not-uuid4", "RPC-CORR-3/reply-to-pattern"]),
    ("a*b", ["RPC-CORR-12/reply-to-not-uuid4", "RPC-CORR-3/reply-to-pattern"]),
    ("plain-key", ["RPC-CORR-12/reply-to-not-uuid4"]),
    (REPLY_TO.upper(), ["RPC-CORR-12/reply-to-not-uuid4"]),
])
def test_reply_to_faults(reply_to, expected):
    assert codes(clients.reply_to_key(request(reply_to=reply_to))) == expected


@pytest.mark.parametrize("reply_to", [None, ""])
def test_no_reply_to_decides_neither(reply_to):
    judgement = clients.reply_to_key(request(reply_to=reply_to))
    assert judgement.examined == frozenset() and dict(judgement.inconclusive).keys() == {"RPC-CORR-3", "RPC-CORR-12"}
    assert codes(judgement) == []


def test_distinct_uuid4_correlation_ids_pass():
    other = "c3d5e7f9-2b4c-4d6e-9f8a-0b1c2d3e4f50"
    judgement = clients.correlation_ids([request(), request(correlation_id=other)])
    assert judgement.examined == {"RPC-CORR-9", "RPC-CORR-13"} and codes(judgement) == []


def test_a_reused_correlation_id_breaks_rpc_corr_9():
    assert codes(clients.correlation_ids([request(), request()])) == ["RPC-CORR-9/reused-correlation-id"]


def test_one_call_examines_uniqueness_not_at_all():
    judgement = clients.correlation_ids([request(correlation_id="call-1")])
    assert judgement.examined == {"RPC-CORR-13"} and codes(judgement) == ["RPC-CORR-13/correlation-id-not-uuid4"]


def test_distinct_reply_to_per_client_instance():
    assert codes(clients.distinct_reply_to(["a", "b"])) == []
    assert clients.distinct_reply_to(["a", "b"]).examined == {"RPC-CORR-2"}
    assert codes(clients.distinct_reply_to(["a", "a"])) == ["RPC-CORR-2/shared-reply-to"]
    undecided = clients.distinct_reply_to(["a", None])
    assert undecided.examined == frozenset() and "RPC-CORR-2" in dict(undecided.inconclusive)


# -- the whole request --------------------------------------------------------------------------------------------

def test_the_whole_request_examines_every_part_and_returns_the_body():
    headers = {"nameko.call_id_stack": ["client.call.1"], "nameko.language": "en"}
    judgement = clients.request(request(headers=headers), EXCHANGE, "svc", "meth", [1], {"k": 2})
    assert codes(judgement) == []
    assert {"RPC-REQ-1", "RPC-REQ-2", "RPC-REQ-3", "RPC-REQ-4", "RPC-REQ-5", "RPC-REQ-6", "RPC-REQ-7", "RPC-REQ-9",
            "RPC-CORR-3", "RPC-CORR-12", "CTX-2", "CTX-10", "TOPO-6", "SER-1"} <= judgement.examined
    assert judgement.value == {"args": [1], "kwargs": {"k": 2}}


def test_every_fault_of_a_request_is_reported_not_only_the_first():
    headers = {"nameko.call_id_stack": "client.call.1", "nameko.void": None}
    message = request(key="svc.other", headers=headers, delivery_mode=1, body=b'{"args": [], "kwargs": {}, "x": 0}')
    judgement = clients.request(message, EXCHANGE, "svc", "meth")
    assert codes(judgement) == ["CTX-10/void-context-header", "CTX-2/stack-not-string-array",
                                "RPC-REQ-1/wrong-destination", "RPC-REQ-7/delivery-mode", "RPC-REQ-9/extra-members"]


def test_a_request_without_a_stack_does_not_examine_ctx_2():
    assert "CTX-2" not in clients.request(request(), EXCHANGE, "svc", "meth").examined


# -- context headers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", [["a.b.1"], []])
def test_string_array_stacks_pass(stack):
    judgement = clients.call_id_stack(stack)
    assert judgement.examined == {"CTX-2"} and codes(judgement) == [] and judgement.value == stack


@pytest.mark.parametrize("stack", ["a.b.1", ["a", 1], None, {"a": 1}])
def test_other_stacks_break_ctx_2(stack):
    judgement = clients.call_id_stack(stack)
    assert codes(judgement) == ["CTX-2/stack-not-string-array"] and judgement.value is None


def test_context_items_as_prefixed_headers():
    message = request(headers={"nameko.language": "en", "nameko.user_id": 7})
    assert clients.context_headers(message, {"language": "en", "user_id": 7}).examined == {"CTX-1"}
    assert codes(clients.context_headers(message, {"language": "en", "user_id": 7})) == []
    assert codes(clients.context_headers(message, {"language": "fr"})) == ["CTX-1/context-header"]
    assert codes(clients.context_headers(request(headers={"language": "en"}), {"language": "en"})) == \
        ["CTX-1/context-header"]


def test_void_context_headers_break_ctx_10_and_other_void_headers_do_not():
    assert codes(clients.no_void_headers(request(headers={"nameko.x": None}))) == ["CTX-10/void-context-header"]
    judgement = clients.no_void_headers(request(headers={"x-other": None, "nameko.y": 0}))
    assert codes(judgement) == [] and judgement.examined == {"CTX-10"}


def test_root_stacks_one_entry_distinct_per_call():
    first = request(headers={"nameko.call_id_stack": ["c.call.1"]})
    second = request(headers={"nameko.call_id_stack": ["c.call.2"]})
    assert codes(clients.root_stacks([first, second])) == [] and clients.root_stacks([first]).examined == {"CTX-11"}
    assert codes(clients.root_stacks([first, first])) == ["CTX-11/root-entry-reused"]
    two = request(headers={"nameko.call_id_stack": ["p.1", "c.call.1"]})
    assert codes(clients.root_stacks([two])) == ["CTX-11/root-stack-length"]
    assert codes(clients.root_stacks([request()])) == ["CTX-11/root-stack-length"]
    assert codes(clients.root_stacks([first, request()])) == ["CTX-11/root-stack-length"]
    string = request(headers={"nameko.call_id_stack": "c.call.1"})
    undecided = clients.root_stacks([string, first])
    assert codes(undecided) == [] and undecided.examined == frozenset() and "CTX-11" in dict(undecided.inconclusive)


def test_worker_stack_appends_the_worker_id():
    message = request(headers={"nameko.call_id_stack": ["kit.root.1", "svc.call.9"]})
    judgement = clients.worker_stack(message, ["kit.root.1"], "svc")
    assert codes(judgement) == [] and judgement.examined == {"CTX-2", "CTX-6"}


@pytest.mark.parametrize("stack", [["svc.call.9"], ["kit.root.1"], ["kit.root.1", ""],
                                   ["kit.root.1", "svc.call.9", "svc.call.10"], ["kit.root.1", "kit.root.1"]])
def test_worker_stack_faults_break_ctx_6(stack):
    judgement = clients.worker_stack(request(headers={"nameko.call_id_stack": stack}), ["kit.root.1"], "svc")
    assert codes(judgement) == ["CTX-6/worker-stack"]


def test_an_own_id_of_another_shape_is_ctx_14s_business_not_ctx_6s():
    """A worker whose id is a bare uuid (or names another service) still extends the stack as CTX-6 says; the
    id's shape is the SHOULD CTX-14, judged where the worker reports its own stack."""
    for own in ("3f2c9a4e-0d1b-4c7e-9a55-1e2f3a4b5c6d", "other.call.9"):
        judgement = clients.worker_stack(request(headers={"nameko.call_id_stack": ["kit.root.1", own]}),
                                         ["kit.root.1"], "svc")
        assert codes(judgement) == [], own


def test_worker_stack_that_is_not_an_array_leaves_ctx_6_undecided():
    judgement = clients.worker_stack(request(headers={"nameko.call_id_stack": "x"}), ["kit.root.1"], "svc")
    assert codes(judgement) == ["CTX-2/stack-not-string-array"] and "CTX-6" in dict(judgement.inconclusive)


def test_capped_worker_stack_keeps_the_newest_ten():
    incoming = [f"kit.parent.{n}" for n in range(15)]
    good = request(headers={"nameko.call_id_stack": incoming[-10:] + ["svc.call.1"]})
    judgement = clients.worker_stack(good, incoming, "svc")
    assert codes(judgement) == [] and judgement.examined == {"CTX-2", "CTX-5", "CTX-6"}
    uncapped = request(headers={"nameko.call_id_stack": incoming + ["svc.call.1"]})
    assert codes(clients.worker_stack(uncapped, incoming, "svc")) == ["CTX-5/stack-not-capped"]
    oldest = request(headers={"nameko.call_id_stack": incoming[:10] + ["svc.call.1"]})
    assert codes(clients.worker_stack(oldest, incoming, "svc")) == ["CTX-5/stack-not-capped"]
    parent_last = request(headers={"nameko.call_id_stack": incoming[-10:] + [incoming[-1]]})
    assert codes(clients.worker_stack(parent_last, incoming, "svc")) == ["CTX-6/worker-entry"]


def test_carried_context_unchanged():
    incoming = {"nameko.call_id_stack": ["r"], "nameko.language": "fr", "x-not-context": 1}
    good = request(headers={"nameko.call_id_stack": ["r", "svc.call.1"], "nameko.language": "fr"})
    assert codes(clients.carried_context(good, incoming)) == [] and \
        clients.carried_context(good, incoming).examined == {"CTX-7"}
    changed = request(headers={"nameko.language": "en"})
    assert codes(clients.carried_context(changed, incoming)) == ["CTX-7/context-not-carried"]
    assert codes(clients.carried_context(request(), incoming)) == ["CTX-7/context-not-carried"]


# -- what arrived at the probe -------------------------------------------------------------------------------------

def test_one_request_per_call():
    judgement = clients.one_request_per_call(["a", "b"], ["b", "a"])
    assert codes(judgement) == [] and judgement.examined == {"DRIVER-1", "DRIVER-2", "DRIVER-3"}
    assert codes(clients.one_request_per_call(["a", "a", "b"], ["a", "b"])) == ["DRIVER-3/requests-per-call"]
    assert codes(clients.one_request_per_call(["a"], ["a", "b"])) == ["DRIVER-3/requests-per-call"]
    nothing = clients.one_request_per_call([], ["a"])
    assert codes(nothing) == ["DRIVER-1/no-requests"] and nothing.examined == {"DRIVER-1"}


def test_one_request_count():
    assert codes(clients.one_request_count([request()], "x", "TESTEE-6")) == []
    assert clients.one_request_count([request()], "x", "TESTEE-6").examined == {"TESTEE-6"}
    assert codes(clients.one_request_count([], "x", "TESTEE-6")) == ["TESTEE-6/requests-per-call"]
    assert codes(clients.one_request_count([request(), request()], "x", "TESTEE-6")) == ["TESTEE-6/requests-per-call"]


def test_nested_unknown_service():
    judgement = clients.nested_unknown_service({"exc_type": "UnknownService", "value": "svc"})
    assert codes(judgement) == [] and judgement.examined == {"TESTEE-11", "RPC-REQ-8"}
    assert codes(clients.nested_unknown_service({"exc_type": "RpcTimeout", "value": "t"})) == \
        ["RPC-REQ-8/unroutable-not-detected"]


@dataclass
class Sent:
    routing_key: str | None
    routed: bool


def test_replies_routed():
    judgement = clients.replies_routed([Sent("k", True), Sent(None, False)])
    assert codes(judgement) == [] and judgement.examined == {"RPC-REQ-3", "RPC-CORR-1"}
    assert codes(clients.replies_routed([Sent("k", True), Sent("q", False)])) == \
        ["RPC-CORR-1/reply-unroutable", "RPC-REQ-3/reply-to-unbound"]
    none = clients.replies_routed([Sent(None, False)])
    assert none.examined == frozenset() and "RPC-CORR-1" in dict(none.inconclusive)


def test_calls_in_flight():
    assert codes(clients.calls_in_flight([1.0, 2.0], 3.0)) == []
    assert clients.calls_in_flight([1.0, 2.0], 3.0).examined == {"DRIVER-4"}
    assert codes(clients.calls_in_flight([1.0, 3.0], 3.0)) == ["DRIVER-4/calls-not-in-flight"]
    assert clients.calls_in_flight([], None).examined == frozenset()
    assert clients.calls_in_flight([], 3.0).examined == frozenset()
    assert "DRIVER-4" in dict(clients.calls_in_flight([1.0], None).inconclusive)


# -- the reply queue: one table ------------------------------------------------------------------------------------

QUEUE = f"rpc.reply-mylib-{REPLY_TO}"


def test_the_table_starts_with_the_spec_flags_and_has_no_duplicates():
    assert REPLY_QUEUE_FLAGS[0] == (True, False, {"x-expires": 300000})
    assert len({repr(flags) for flags in REPLY_QUEUE_FLAGS}) == len(REPLY_QUEUE_FLAGS)


def test_spec_flags_under_any_recommended_name_pass_all_three():
    judgement = clients.reply_queue(ReplyQueueView(QUEUE, flags=REPLY_QUEUE_FLAGS[0]), REPLY_TO)
    assert codes(judgement) == [] and judgement.examined == {"RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6"}


def test_a_name_off_the_pattern_breaks_rpc_corr_4():
    judgement = clients.reply_queue(ReplyQueueView(f"replies-{REPLY_TO}", flags=REPLY_QUEUE_FLAGS[0]), REPLY_TO)
    assert codes(judgement) == ["RPC-CORR-4/reply-queue-name"]
    empty_client = clients.reply_queue(ReplyQueueView(f"rpc.reply--{REPLY_TO}", flags=REPLY_QUEUE_FLAGS[0]), REPLY_TO)
    assert codes(empty_client) == ["RPC-CORR-4/reply-queue-name"]


def test_without_reply_to_the_name_is_not_judged():
    judgement = clients.reply_queue(ReplyQueueView(QUEUE, flags=REPLY_QUEUE_FLAGS[0]))
    assert judgement.examined == {"RPC-CORR-5", "RPC-CORR-6"}


@pytest.mark.parametrize("flags, expected", [
    ((True, False, None), ["RPC-CORR-5/flags", "RPC-CORR-6/never-removed"]),
    ((False, False, None), ["RPC-CORR-5/flags", "RPC-CORR-6/never-removed"]),
    ((False, False, {"x-expires": 300000}), ["RPC-CORR-5/flags"]),
    ((True, True, None), ["RPC-CORR-5/flags"]),
    ((False, True, None), ["RPC-CORR-5/flags"]),
    ((True, True, {"x-expires": 300000}), ["RPC-CORR-5/flags"]),
])
def test_other_flags(flags, expected):
    judgement = clients.reply_queue(ReplyQueueView(QUEUE, flags=flags), REPLY_TO)
    assert codes(judgement) == expected and judgement.examined == {"RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6"}


def test_an_exclusive_queue_breaks_the_should_but_is_removed():
    judgement = clients.reply_queue(ReplyQueueView(QUEUE, exclusive=True), REPLY_TO)
    assert codes(judgement) == ["RPC-CORR-5/exclusive"]
    assert judgement.examined == {"RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6"}


def test_unidentified_flags_leave_the_flags_undecided():
    judgement = clients.reply_queue(ReplyQueueView(QUEUE), REPLY_TO)
    assert judgement.examined == {"RPC-CORR-4"} and codes(judgement) == []
    assert dict(judgement.inconclusive).keys() == {"RPC-CORR-5", "RPC-CORR-6"}


def test_no_queue_found_decides_nothing_and_says_where_the_kit_looked():
    judgement = clients.reply_queue(ReplyQueueView(None, (QUEUE,), error="no connection"), REPLY_TO)
    assert judgement.examined == frozenset() and codes(judgement) == []
    why = dict(judgement.inconclusive)
    assert why.keys() == {"RPC-CORR-4", "RPC-CORR-5", "RPC-CORR-6"} and QUEUE in why["RPC-CORR-5"]
    assert "no connection" in why["RPC-CORR-4"]


def test_nested_call_result():
    good = clients.nested_call_result({"result": {"args": ["n1"], "kwargs": {"k": 1}}, "error": None}, ["n1"], {"k": 1})
    assert codes(good) == [] and good.examined == {"TESTEE-6", "RPC-CORR-1", "RPC-CORR-7"}
    wrong = clients.nested_call_result({"result": {"args": [], "kwargs": {}}, "error": None}, ["n1"], {"k": 1})
    assert codes(wrong) == ["TESTEE-6/wrong-result"] and wrong.examined == {"TESTEE-6", "RPC-CORR-1", "RPC-CORR-7"}
    failed = clients.nested_call_result({"result": None, "error": {"exc_type": "RpcTimeout"}}, ["n1"], {"k": 1})
    assert codes(failed) == ["TESTEE-6/nested-call-failed"] and failed.examined == {"TESTEE-6"}
    assert dict(failed.inconclusive).keys() == {"RPC-CORR-1", "RPC-CORR-7"}
