"""Checks on one RPC reply (oracle/reply.py): each with a right and a wrong observation, exact codes and sets."""

import json

from oracle_fakes import Declared, Msg, reply, summary

from nameko_conformance.oracle import reply as r
from nameko_conformance.oracle.model import describe

ERROR = {"exc_type": "MethodNotFound", "exc_path": "nameko.exceptions.MethodNotFound", "exc_args": ["m"],
         "value": "m"}


def error_body(error=ERROR, result=None):
    return {"result": result, "error": error}


# --- routing, correlation, properties ---------------------------------------------------------------------------

def test_routing():
    good = reply()
    assert summary(r.routing(good, "reply-key", "nameko-rpc")) == (["RPC-REPLY-1"], [], [])
    other_exchange = r.routing(good, "reply-key", "other")
    assert summary(other_exchange) == (["RPC-REPLY-1"], ["RPC-REPLY-1/wrong-exchange"], [])
    assert other_exchange.findings[0].observed == "exchange 'nameko-rpc' key 'reply-key'"
    assert other_exchange.findings[0].expected == "the reply on exchange 'other'"
    assert other_exchange.findings[0].messages == (describe(good),)
    caught = Msg(exchange="", via=r.DEFAULT_CATCHER, properties={})
    assert r.routing(caught, "reply-key", "nameko-rpc").findings[0].observed == "exchange '(default)' key 'reply-key'"
    same_name = Msg(exchange="nameko-rpc", via=r.DEFAULT_CATCHER)
    assert r.routing(same_name, "reply-key", "nameko-rpc").codes() == ["RPC-REPLY-1/wrong-exchange"]
    key = r.routing(good, "other-key", "nameko-rpc")
    assert key.codes() == ["RPC-REPLY-1/wrong-routing-key"]
    assert (key.findings[0].expected, key.findings[0].observed) == ("the reply routed with key 'other-key'",
                                                                    "key 'reply-key'")
    assert r.routing(object.__new__(NoVia), "k", "e").ok


class NoVia:
    exchange, routing_key = "e", "k"


def test_correlation():
    assert summary(r.correlation(reply(), "c1")) == (["RPC-REPLY-2"], [], [])
    wrong = r.correlation(reply(), "c2")
    assert summary(wrong) == (["RPC-REPLY-2"], ["RPC-REPLY-2/wrong-correlation-id"], [])
    assert (wrong.findings[0].expected, wrong.findings[0].observed) == ("correlation_id 'c2'", "'c1'")
    assert wrong.findings[0].messages
    missing = Msg(properties={})
    assert r.correlation(missing, "c1").codes() == ["RPC-REPLY-2/wrong-correlation-id"]
    assert summary(r.correlation(missing, None)) == (["MAL-8", "RPC-REPLY-2"], [], [])
    invented = r.correlation(reply(), None)
    assert summary(invented) == (["MAL-8", "RPC-REPLY-2"], ["MAL-8/correlation-id-invented"], [])
    assert invented.findings[0].observed == "'c1'" and invented.findings[0].messages


def test_content_type():
    assert summary(r.content_type(reply())) == (["RPC-REPLY-6"], [], [])
    assert summary(r.content_type(reply(), "text/plain")) == (["RPC-REPLY-6"], ["RPC-REPLY-6/content-type"], [])
    wrong = r.content_type(reply(content_type="text/plain"))
    assert wrong.codes() == ["RPC-REPLY-6/content-type"]
    assert (wrong.findings[0].expected, wrong.findings[0].observed) == ("content_type 'application/json'",
                                                                        "'text/plain'")
    assert wrong.findings[0].messages


def test_encoding_and_persistence():
    assert summary(r.encoding_and_persistence(reply())) == (["RPC-REPLY-7"], [], [])
    both = r.encoding_and_persistence(reply(content_encoding="latin-1", delivery_mode=1))
    assert both.codes() == ["RPC-REPLY-7/content-encoding", "RPC-REPLY-7/delivery-mode"]
    assert [f.observed for f in both.findings] == ["'latin-1'", "1"]
    assert [f.expected for f in both.findings] == ["content_encoding 'utf-8'", "delivery_mode 2"]
    assert all(f.messages for f in both.findings)
    assert r.encoding_and_persistence(Msg(properties={"delivery_mode": 2})).codes() == [
        "RPC-REPLY-7/content-encoding"]


# --- body -------------------------------------------------------------------------------------------------------

def test_json_text():
    good = r.json_text(Msg(body=b'{"a": 1}'))
    assert summary(good) == (["SER-1", "SER-3", "SER-7", "SER-8"], [], []) and good.value == {"a": 1}
    nan = r.json_text(Msg(body=b"[NaN]"))
    assert summary(nan) == (["SER-1", "SER-3", "SER-7", "SER-8"],
                            ["SER-3/non-standard-constant", "SER-1/non-standard-constant"], [])
    assert nan.value is None and nan.findings[0].expected == "an RFC 8259 JSON text in UTF-8"
    assert nan.findings[0].observed == "the non-standard constant NaN" and nan.findings[0].messages
    assert r.json_text(Msg(body=b"\xff")).codes() == ["SER-1/not-utf8"]
    tagged = r.json_text(Msg(body=b'[{"__type__": "x", "__value__": 1}]'))
    assert tagged.codes() == ["SER-8/tagged-object"] and tagged.value == [{"__type__": "x", "__value__": 1}]
    assert tagged.findings[0].observed == "{'__type__': 'x', '__value__': 1}" and tagged.findings[0].messages
    assert r.json_text(Msg(body=b"null")).ok


def test_envelope():
    good = r.envelope(reply())
    assert summary(good) == (["RPC-REPLY-3", "SER-1", "SER-3", "SER-7", "SER-8"], [], [])
    assert good.value == {"result": 1, "error": None}
    error = r.envelope(reply(error_body()))
    assert error.ok and error.value == error_body()
    not_json = r.envelope(reply(raw=b"{"))
    assert not_json.codes() == ["SER-1/not-json"] and not_json.value is None
    assert "RPC-REPLY-3" in not_json.examined
    for body, shown in (({"result": 1}, "['result']"), ({"result": 1, "error": None, "x": 2},
                                                        "['error', 'result', 'x']"), ([1], "'list'")):
        wrong = r.envelope(reply(body))
        assert wrong.codes() == ["RPC-REPLY-3/envelope-members"] and wrong.value is None, body
        assert wrong.findings[0].observed == shown and wrong.findings[0].messages
    # The error member itself is error_object's matter; a non-object error is the envelope's schema finding.
    assert r.envelope(reply(error_body(error={"bad": 1}))).ok
    schema = r.envelope(reply(error_body(error="boom")))
    assert schema.codes() == ["RPC-ERR-1/schema"] and schema.value == error_body(error="boom")
    assert schema.findings[0].expected == "valid against schemas/rpc-reply-body.schema.json"


def test_success():
    good = r.success(reply(), 1)
    assert summary(good) == (["RPC-REPLY-3", "RPC-REPLY-4", "SER-1", "SER-3", "SER-7", "SER-8"], [], [])
    assert good.value == {"result": 1, "error": None}
    assert r.success(reply({"result": [1], "error": None})).ok  # any result
    wrong = r.success(reply(), 2)
    assert wrong.codes() == ["RPC-REPLY-4/wrong-result"] and wrong.value == {"result": 1, "error": None}
    assert (wrong.findings[0].expected, wrong.findings[0].observed) == ("result 2", "1")
    assert wrong.findings[0].messages
    error = r.success(reply(error_body()), 1)
    assert error.codes() == ["RPC-REPLY-4/error-instead-of-result"] and error.value is None
    assert error.findings[0].observed.startswith("error {'exc_type'") and error.findings[0].messages
    assert error.findings[0].expected == "a success reply (error null)"
    broken = r.success(reply(raw=b"x"), 1)
    assert summary(broken)[2] == ["RPC-REPLY-4"] and "RPC-REPLY-4" not in broken.examined
    assert broken.inconclusive[-1] == ("RPC-REPLY-4", "the reply is not a reply envelope") and broken.value is None
    assert r.success(reply({"result": None, "error": None}), None).ok


def test_error_object_well_formed():
    good = r.error_object(ERROR, "m")
    assert summary(good) == (["RPC-ERR-1", "RPC-ERR-2", "RPC-ERR-3", "RPC-ERR-4"], [], []) and good.value == ERROR


def test_error_object_not_an_object():
    for error in ("boom", None, ["x"]):
        judgement = r.error_object(error, {"m": 1})
        assert judgement.codes() == ["RPC-ERR-1/not-an-object"] and judgement.value is None
        assert judgement.findings[0].messages == ({"m": 1},)


def test_error_object_each_member_judged():
    def codes(**changes):
        error = {k: v for k, v in dict(ERROR, **changes).items() if v is not DROP}
        return r.error_object(error).codes()

    assert codes(exc_type=DROP) == ["RPC-ERR-1/missing-members", "RPC-ERR-2/exc-type", "RPC-ERR-3/exc-path"]
    assert codes(exc_path=DROP) == ["RPC-ERR-1/missing-members"]
    assert codes(exc_args=DROP) == ["RPC-ERR-1/missing-members"]
    assert codes(value=DROP) == ["RPC-ERR-1/missing-members"]
    assert codes(exc_type="") == ["RPC-ERR-2/exc-type", "RPC-ERR-3/exc-path"]
    assert codes(exc_type="a.MethodNotFound") == ["RPC-ERR-2/exc-type", "RPC-ERR-3/exc-path"]
    assert codes(exc_type=3) == ["RPC-ERR-2/exc-type", "RPC-ERR-3/exc-path"]
    assert codes(exc_path="nameko.exceptions.Other") == ["RPC-ERR-3/exc-path"]
    assert codes(exc_path=5) == ["RPC-ERR-3/exc-path"]
    assert codes(exc_path="MethodNotFound") == ["RPC-ERR-3/schema"]  # one name is no dotted path
    assert codes(exc_args="x") == ["RPC-ERR-4/exc-args-type"]
    assert codes(value=1) == ["RPC-ERR-4/value-type"]
    missing = r.error_object({"exc_type": "E"}).findings[0]
    assert missing.observed == "['exc_args', 'exc_path', 'value'] missing in {'exc_type': 'E'}"
    assert missing.expected == "error members exc_type, exc_path, exc_args and value"


def test_error_object_schema_adds_what_the_plain_checks_miss():
    extra = r.error_object(dict(ERROR, exc_args=[1]))
    assert extra.ok  # elements of exc_args are RPC-ERR-5's matter
    # A schema finding only when the plain checks found nothing: the schema is stricter elsewhere.
    from nameko_conformance.oracle.schemas import schema_findings
    odd = dict(ERROR, exc_path="nameko..MethodNotFound")  # ends in the type, but a segment is empty
    assert [f[0] for f in schema_findings("error.schema.json", odd, "RPC-ERR-1")] == ["RPC-ERR-3"]
    judged = r.error_object(odd, {"m": 1})
    assert judged.codes() == ["RPC-ERR-3/schema"] and judged.findings[0].messages == ({"m": 1},)


DROP = object()


def test_error_reply_plain():
    good = r.error_reply(reply(error_body()))
    assert summary(good)[0:2] == (["RPC-ERR-1", "RPC-ERR-2", "RPC-ERR-3", "RPC-ERR-4", "RPC-REPLY-3",
                                   "RPC-REPLY-5", "SER-1", "SER-3", "SER-7", "SER-8"], [])
    assert good.value == ERROR
    typed = r.error_reply(reply(error_body()), "MethodNotFound", "RPC-ERR-6")
    assert "RPC-ERR-6" in typed.examined and typed.ok and typed.value == ERROR


def test_error_reply_result_instead_of_error():
    success = r.error_reply(reply(), "MethodNotFound", "RPC-ERR-6")
    assert success.codes() == ["RPC-ERR-6/result-instead-of-error"] and success.value is None
    assert (success.findings[0].expected, success.findings[0].observed) == ("an error reply MethodNotFound",
                                                                            "result 1")
    assert success.findings[0].messages
    untyped = r.error_reply(reply())
    assert untyped.codes() == ["RPC-REPLY-5/result-instead-of-error"]
    assert untyped.findings[0].expected == "an error reply"


def test_error_reply_not_an_envelope():
    judgement = r.error_reply(reply(raw=b"x"), "MethodNotFound", "RPC-ERR-6")
    assert judgement.codes() == ["SER-1/not-json"] and judgement.value is None
    assert [req for req, _ in judgement.inconclusive] == ["RPC-REPLY-5", "RPC-ERR-6"]
    assert {why for _, why in judgement.inconclusive} == {"the reply is not a reply envelope"}
    assert "RPC-ERR-6" not in judgement.examined and "RPC-REPLY-5" not in judgement.examined
    plain = r.error_reply(reply(raw=b"x"))
    assert [req for req, _ in plain.inconclusive] == ["RPC-REPLY-5"]


def test_error_reply_result_not_null_and_bad_error():
    both = r.error_reply(reply(error_body(result=1)))
    assert both.codes() == ["RPC-REPLY-5/result-not-null"] and both.value == ERROR
    assert (both.findings[0].expected, both.findings[0].observed) == ("result null on an error reply", "1")
    assert both.findings[0].messages
    not_object = r.error_reply(reply(error_body(error=["x"])), "MethodNotFound", "RPC-ERR-6")
    assert "RPC-ERR-1/not-an-object" in not_object.codes() and not_object.value is None
    assert ("RPC-ERR-6", "the error is not an object") in not_object.inconclusive
    assert "RPC-ERR-6" not in not_object.examined
    bare = r.error_reply(reply(error_body(error=["x"])))
    assert [req for req, _ in bare.inconclusive] == []


def test_error_reply_of_the_wrong_type_or_path():
    other = dict(ERROR, exc_type="Other", exc_path="x.Other")
    wrong = r.error_reply(reply(error_body(other)), "MethodNotFound", "RPC-ERR-6")
    assert wrong.codes() == ["RPC-ERR-6/not-MethodNotFound"] and wrong.value == other
    assert wrong.findings[0].expected == "error MethodNotFound (nameko.exceptions.MethodNotFound)"
    assert wrong.findings[0].observed == "'Other' ('x.Other')" and wrong.findings[0].messages
    path = dict(ERROR, exc_path="mine.MethodNotFound")
    assert r.error_reply(reply(error_body(path)), "MethodNotFound", "RPC-ERR-6").codes() == [
        "RPC-ERR-6/not-MethodNotFound"]
    custom = dict(ERROR, exc_type="Boom", exc_path="app.Boom")
    assert r.error_reply(reply(error_body(custom)), "Boom").ok  # any path for a type that is not built in
    custom_wrong = r.error_reply(reply(error_body(custom)), "Bang")
    assert custom_wrong.codes() == ["RPC-REPLY-5/not-Bang"]
    assert custom_wrong.findings[0].expected == "error Bang (any path)"


def test_error_reply_without_exc_path_masks_the_type_rule():
    no_path = {k: v for k, v in ERROR.items() if k != "exc_path"}
    judgement = r.error_reply(reply(error_body(no_path)), "MethodNotFound", "RPC-ERR-6")
    assert judgement.codes() == ["RPC-ERR-1/missing-members"]
    assert judgement.inconclusive == (("RPC-ERR-6", "masked by RPC-ERR-1/missing-members"),)
    assert "RPC-ERR-6" not in judgement.examined
    untyped = r.error_reply(reply(error_body(no_path)), "MethodNotFound")
    assert untyped.inconclusive == (("RPC-REPLY-5", "masked by RPC-ERR-1/missing-members"),)
    wrong_type = dict(no_path, exc_type="Other")
    assert r.error_reply(reply(error_body(wrong_type)), "MethodNotFound", "RPC-ERR-6").codes() == [
        "RPC-ERR-1/missing-members", "RPC-ERR-6/not-MethodNotFound"]
    custom = {"exc_type": "Boom", "exc_args": [], "value": ""}
    assert r.error_reply(reply(error_body(custom)), "Boom").inconclusive == ()


# --- error details ----------------------------------------------------------------------------------------------

def test_error_args_are_strings():
    assert summary(r.error_args_are_strings(ERROR)) == (["RPC-ERR-5"], [], [])
    assert r.error_args_are_strings({"exc_args": None}).ok and r.error_args_are_strings({}).ok
    bad = r.error_args_are_strings({"exc_args": ["a", 1]}, {"m": 1})
    assert bad.codes() == ["RPC-ERR-5/non-string-exc-args"] and bad.findings[0].observed == "['a', 1]"
    assert bad.findings[0].messages == ({"m": 1},)


def test_no_internals():
    assert summary(r.no_internals(ERROR)) == (["RPC-ERR-13"], [], [])
    for leak in ("Traceback (most recent call last)", 'File "/x/y.py", line 3', "in module.py here",
                 "/usr/lib/python3/site-packages/x"):
        judgement = r.no_internals(dict(ERROR, value=leak), {"m": 1})
        assert judgement.codes() == ["RPC-ERR-13/internals-leaked"], leak
        assert judgement.findings[0].messages == ({"m": 1},)
    assert r.no_internals(dict(ERROR, value="the pyramid")).ok
    found = r.no_internals(dict(ERROR, value="Traceback (most recent call last)")).findings[0]
    assert found.observed == "'Traceback (most recent call last)' in 'Traceback (most recent call last)'"


def test_no_context_headers():
    assert summary(r.no_context_headers(Msg(headers=None))) == (["RPC-REPLY-13"], [], [])
    assert r.no_context_headers(Msg(headers={"x-nameko.a": 1, "other": 2})).ok
    leaked = r.no_context_headers(Msg(headers={"nameko.b": 1, "nameko.a": 2, "c": 3}))
    assert leaked.codes() == ["RPC-REPLY-13/context-headers-on-reply"]
    assert leaked.findings[0].observed == "['nameko.a', 'nameko.b']" and leaked.findings[0].messages


def test_no_credentials():
    assert summary(r.no_credentials([], None)) == (["SEC-1"], [], [])
    uri = Msg(body=b"see amqp://user:pw@host/")
    assert r.no_credentials([uri], None).codes() == ["SEC-1/credentials-in-message"]
    assert r.no_credentials([Msg(headers={"h": "amqps://u:p@h"})], None).codes() == ["SEC-1/credentials-in-message"]
    assert r.no_credentials([Msg(body=b"amqp://host/ and amqp://user@host")], None).ok
    sent = Msg(body=b"amqp://user:pw@host/", direction="sent")
    assert r.no_credentials([sent], "secret99").ok
    password = r.no_credentials([Msg(body=b"..secret99.."), uri], "secret99")
    assert password.codes() == ["SEC-1/credentials-in-message"]  # one finding, the first message
    assert password.findings[0].messages == (describe(Msg(body=b"..secret99..")),)
    assert r.no_credentials([Msg(body=b"..secre..")], "secre").ok  # too short to tell from chance
    assert r.no_credentials([Msg(body=b"..secret..")], "secret").codes() == ["SEC-1/credentials-in-message"]
    assert r.no_credentials([Msg(body=bytearray(b"x"))], "").ok


# --- counting and liveness --------------------------------------------------------------------------------------

def test_exactly_one():
    one = reply()
    good = r.exactly_one([one], "echo")
    assert summary(good) == (["RPC-REPLY-9"], [], []) and good.value is one
    none = r.exactly_one([], "echo", "MAL-1")
    assert summary(none) == (["MAL-1"], ["MAL-1/no-reply"], []) and none.value is None
    assert (none.findings[0].expected, none.findings[0].observed) == ("exactly one reply to echo", "0")
    many = r.exactly_one([one] * 5, "echo")
    assert many.codes() == ["RPC-REPLY-9/reply-count"] and many.value is None
    assert many.findings[0].observed == "5" and len(many.findings[0].messages) == 3


def test_still_serving():
    token = "t1"
    good = reply({"result": {"args": [token], "kwargs": {}}, "error": None})
    assert summary(r.still_serving(good, token)) == (["MAL-9"], [], [])
    gone = r.still_serving(None, token, "MAL-5")
    assert summary(gone) == (["MAL-5"], ["MAL-5/stopped-serving"], [])
    assert (gone.findings[0].expected, gone.findings[0].observed) == ("a reply to a later echo('t1')", "none")
    garbage = r.still_serving(reply(raw=b"\x00garbage"), token)
    assert garbage.codes() == ["MAL-9/wrong-sentinel-reply"]
    assert garbage.findings[0].observed.startswith("not a JSON text") and garbage.findings[0].messages
    other = r.still_serving(reply({"result": {"args": ["t2"], "kwargs": {}}, "error": None}), token)
    assert other.codes() == ["MAL-9/wrong-sentinel-reply"]
    assert other.findings[0].observed == "{'result': {'args': ['t2'], 'kwargs': {}}, 'error': None}"
    assert other.findings[0].expected == ("the echo's own reply {'result': {'args': ['t1'], 'kwargs': {}}, "
                                          "'error': None}")


def test_missing_reply():
    stray = reply(correlation_id="zzz")
    wrong = r.missing_reply("c1", "echo", "within 10 s", [stray, stray, stray, stray], "MAL-1")
    assert summary(wrong) == (["MAL-1", "RPC-REPLY-2"], ["RPC-REPLY-2/wrong-correlation-id"], [])
    assert wrong.findings[0].expected == "a reply to echo with correlation_id 'c1'"
    assert wrong.findings[0].observed == "4 replies with correlation ids the kit never sent, e.g. 'zzz'"
    assert len(wrong.findings[0].messages) == 3
    missing = r.missing_reply("c1", "echo", "within 10 s", [], "MAL-1")
    assert summary(missing) == (["MAL-1"], ["MAL-1/no-reply"], [])
    assert missing.findings[0].expected == "a reply to echo (correlation_id 'c1') within 10 s"
    assert missing.findings[0].observed == "none"


def test_queue_drained():
    assert summary(r.queue_drained(Declared(True, message_count=0), "rpc-s", "MAL-2", "it")) == (["MAL-2"], [], [])
    left = r.queue_drained(Declared(True, message_count=2), "rpc-s", "MAL-2", "the bad request")
    assert summary(left) == (["MAL-2"], ["MAL-2/left-in-queue"], [])
    assert (left.findings[0].expected, left.findings[0].observed) == (
        "the bad request consumed (rpc-s empty after a later echo)", "rpc-s holds 2 messages")
    unknown = r.queue_drained(Declared(False, 404, "NOT_FOUND"), "rpc-s", "MAL-2", "it")
    assert summary(unknown) == ([], [], ["MAL-2"])
    assert unknown.inconclusive[0][1] == "the kit could not inspect rpc-s (404 NOT_FOUND)"
    assert summary(r.queue_drained(None, "rpc-s", "MAL-2", "it")) == ([], [], ["MAL-2"])


def test_only_own_replies():
    mine, other = reply(correlation_id="a"), reply(correlation_id="b")
    caught = Msg(via=r.DEFAULT_CATCHER, properties={"correlation_id": "b"})
    assert summary(r.only_own_replies([mine, caught], {"a"})) == (["RPC-REPLY-1"], [], [])
    foreign = r.only_own_replies([mine, other, other, other, other], {"a"})
    assert foreign.codes() == ["RPC-REPLY-1/foreign-replies"] and foreign.findings[0].observed == "4"
    assert len(foreign.findings[0].messages) == 3
    assert r.only_own_replies([object.__new__(NoVia)], set()).ok


def test_reply_body_json_is_whole():
    assert json.loads(reply().body) == {"result": 1, "error": None}


def test_no_credentials_reads_every_received_message_and_any_header_value():
    sent = Msg(body=b"nothing", direction="sent")
    leak = Msg(body=b"amqp://user:pw@host/")
    assert r.no_credentials([sent, leak], None).codes() == ["SEC-1/credentials-in-message"]
    assert r.no_credentials([Msg(headers={"h": b"amqp://u:p@h"})], None).codes() == ["SEC-1/credentials-in-message"]
    assert r.no_credentials([Msg(headers={"h": b"x"})], None).ok


def test_no_internals_reads_any_value_and_bounds_what_it_shows():
    assert r.no_internals({"value": b"x"}).ok
    assert r.no_internals({"value": b"Traceback (most recent call last)"}).codes() == ["RPC-ERR-13/internals-leaked"]
    long = r.no_internals({"value": "Traceback (most recent call last)" + "x" * 500}).findings[0]
    assert long.observed.startswith("'Traceback (most recent call last)' in 'Traceback (most recent call last)xxx")
    assert long.observed.endswith("(535 chars)")


def test_missing_reply_names_the_first_stray():
    strays = [reply(correlation_id="first"), reply(correlation_id="second")]
    judgement = r.missing_reply("c1", "echo", "now", strays, "MAL-1")
    assert judgement.findings[0].observed == "2 replies with correlation ids the kit never sent, e.g. 'first'"


def test_error_findings_carry_the_reply():
    judged = r.error_reply(reply(error_body(error=dict(ERROR, value=1))))
    assert judged.codes() == ["RPC-ERR-4/value-type"] and len(judged.findings[0].messages) == 1
    schema = r.envelope(reply(error_body(error="boom")))
    assert len(schema.findings[0].messages) == 1


class Bare:
    """A message that does not say which way it went: it is judged as the target's."""

    headers = None

    def __init__(self, body):
        self.body = body


def test_no_credentials_judges_a_message_without_direction():
    assert r.no_credentials([Bare(b"amqp://u:p@h")], None).codes() == ["SEC-1/credentials-in-message"]
    assert r.no_credentials([Bare(b"x")], None).ok
