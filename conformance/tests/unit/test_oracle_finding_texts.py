"""Every finding's full text, as a report shows it: code, expected, observed and how many messages it carries.

The other oracle tests pin codes and examined sets; these pin what a port author reads, so a check that loses the
observed value, the expectation or the message it judged is caught."""

import json

import pytest
from oracle_fakes import Declared, Msg, reply

from nameko_conformance.oracle import message as m
from nameko_conformance.oracle import reply as r
from nameko_conformance.oracle import serialization, values
from nameko_conformance.oracle import topology as t

ERR = {"exc_type": "E", "exc_path": "a.E", "exc_args": ["x"], "value": "x"}
REQ = {"content_type": "application/json", "content_encoding": "utf-8", "delivery_mode": 2, "reply_to": "9c3a4e0f-2b7d-4f61-8a5e-3d2c1b0a9f87",
       "correlation_id": "c1"}


def full(judgement):
    return [(f.code, f.expected, f.observed, len(f.messages)) for f in judgement.findings]


CASES = {
    "request_all": (
        lambda: m._request(Msg(routing_key="s.m.x", properties={"reply_to": "a.b", "content_type": "t",
                                                          "content_encoding": "l", "delivery_mode": 1},
                               body=b'{"args": [], "kwargs": {}, "z": 1}')),
        [('RPC-REQ-1/wrong-destination', "exchange 'nameko-rpc' key '<service>.<method>'", "exchange 'nameko-rpc' key 's.m.x'", 1),
         ('TOPO-6/name-syntax', "a key <service>.<method> of two non-empty names without '.', '*', '#'", "'s.m.x'", 1),
         ('RPC-REQ-2/content-type', "content_type 'application/json'", "'t'", 1),
         ('RPC-REQ-4/no-correlation-id', 'a correlation_id property', 'None', 1),
         ('RPC-REQ-6/content-encoding', "content_encoding 'utf-8'", "'l'", 1),
         ('RPC-REQ-7/delivery-mode', 'delivery_mode 2', '1', 1),
         ('RPC-CORR-3/reply-to-pattern', "a reply_to without '.', '*' or '#'", "'a.b'", 1),
         ('RPC-CORR-12/reply-to-not-uuid4', 'reply_to a canonical uuid4', "'a.b'", 1),
         ('RPC-REQ-9/extra-members', 'only args and kwargs in the body', "['z']", 1)]),
    "request_noreply": (
        lambda: m._request(Msg(routing_key="s.m", properties=dict(REQ, reply_to=""), body=b'[1]')),
        [('RPC-REQ-3/no-reply-to', 'a reply_to property', "''", 1),
         ('RPC-REQ-5/schema', 'valid against schemas/rpc-request-body.schema.json', "[1] is not of type 'object'", 1)]),
    "event_all": (
        lambda: m._event(Msg(properties={"content_type": "t", "reply_to": "r"}, body=b"\xff",
                             headers={"nameko.call_id_stack": "x", "nameko.a": None})),
        [('EVT-2/content-type', "content_type 'application/json'", "'t'", 1),
         ('EVT-4/rpc-properties-on-event', 'no reply_to or correlation_id on an event', "{'reply_to': 'r'}", 1),
         ('SER-1/not-utf8', 'an RFC 8259 JSON text in UTF-8', 'invalid UTF-8 (invalid start byte at byte 0)', 1),
         ('EVT-2/body-not-json', 'the event data as a JSON body', 'a body that is not strict JSON', 1),
         ('CTX-2/stack-not-string-array', 'nameko.call_id_stack an array of strings', "'x' (str)", 1),
         ('CTX-10/void-context-header', 'no void context headers', "['nameko.a']", 1)]),
    "reply_all": (
        lambda: m._reply(Msg(properties={"content_type": "t"}, body=json.dumps(
            {"result": 1, "error": {"exc_type": 1, "exc_path": 2, "exc_args": "a", "value": 3}}).encode())),
        [('RPC-REPLY-6/content-type', "the request's content type (application/json)", "'t'", 1),
         ('RPC-REPLY-7/content-encoding', "content_encoding 'utf-8'", 'None', 1),
         ('RPC-REPLY-7/delivery-mode', 'delivery_mode 2', 'None', 1),
         ('RPC-REPLY-5/result-not-null', 'result null on an error reply', '1', 1),
         ('RPC-ERR-2/exc-type', 'exc_type a non-empty name without a module prefix', '1', 1),
         ('RPC-ERR-3/exc-path', 'exc_path a dotted string ending in 1', '2', 1),
         ('RPC-ERR-4/exc-args-type', 'exc_args an array', "'a'", 1),
         ('RPC-ERR-4/value-type', 'value a string', '3', 1)]),
    "reply_err_details": (
        lambda: m._reply(Msg(properties=dict(REQ, correlation_id=None, reply_to=None), body=json.dumps(
            {"result": None, "error": dict(ERR, exc_args=[1], value="File \"x.py\", line 3")}).encode())),
        [('RPC-ERR-5/non-string-exc-args', 'string elements in exc_args', '[1]', 1),
         ('RPC-ERR-13/internals-leaked',
          'no stack traces or file paths in the error object',
          '\'File "x.py", line 3\' in \'File "x.py", line 3\'',
          1)]),
    "corr_mal8": (
        lambda: r.correlation(reply(), None),
        [('MAL-8/correlation-id-invented', 'a reply without correlation_id (the request had none)', "'c1'", 1)]),
    "envelope": (
        lambda: r.envelope(reply({"result": 1})),
        [('RPC-REPLY-3/envelope-members',
          'a reply object with exactly the members result and error',
          "['result']",
          1)]),
    "error_object_all": (
        lambda: r.error_object({"exc_type": "a.E", "exc_path": 1, "exc_args": "s", "value": 2}, {"m": 1}),
        [('RPC-ERR-2/exc-type', 'exc_type a non-empty name without a module prefix', "'a.E'", 1),
         ('RPC-ERR-3/exc-path', "exc_path a dotted string ending in 'a.E'", '1', 1),
         ('RPC-ERR-4/exc-args-type', 'exc_args an array', "'s'", 1),
         ('RPC-ERR-4/value-type', 'value a string', '2', 1)]),
    "error_object_missing": (
        lambda: r.error_object({"exc_type": "E"}, {"m": 1}),
        [('RPC-ERR-1/missing-members',
          'error members exc_type, exc_path, exc_args and value',
          "['exc_args', 'exc_path', 'value'] missing in {'exc_type': 'E'}",
          1)]),
    "error_object_notobj": (
        lambda: r.error_object(3, {"m": 1}),
        [('RPC-ERR-1/not-an-object', 'an error object', '3', 1)]),
    "args_strings": (
        lambda: r.error_args_are_strings({"exc_args": [1]}, {"m": 1}),
        [('RPC-ERR-5/non-string-exc-args', 'string elements in exc_args', '[1]', 1)]),
    "tagged": (
        lambda: r.json_text(Msg(body=b'{"__type__": "t", "__value__": 1}')),
        [('SER-8/tagged-object',
          'no object with only __type__ and __value__',
          "{'__type__': 't', '__value__': 1}",
          1)]),
    "ctx_headers": (
        lambda: r.no_context_headers(Msg(headers={"nameko.a": 1})),
        [('RPC-REPLY-13/context-headers-on-reply', 'no context headers on the reply', "['nameko.a']", 1)]),
    "creds": (
        lambda: r.no_credentials([Msg(body=b"amqp://u:p@h")], None),
        [('SEC-1/credentials-in-message',
          'no broker credentials in messages',
          'a credential in a message the target sent',
          1)]),
    "internals": (
        lambda: r.no_internals({"value": "Traceback (most recent call last)"}, {"m": 1}),
        [('RPC-ERR-13/internals-leaked',
          'no stack traces or file paths in the error object',
          "'Traceback (most recent call last)' in 'Traceback (most recent call last)'",
          1)]),
    "own": (
        lambda: r.only_own_replies([Msg(properties={"correlation_id": "x"})], set()),
        [('RPC-REPLY-1/foreign-replies', 'no replies to other callers', '1', 1)]),
    "routing_key": (
        lambda: r.routing(reply(), "other", "nameko-rpc"),
        [('RPC-REPLY-1/wrong-routing-key', "the reply routed with key 'other'", "key 'reply-key'", 1)]),
    "unconsumed": (
        lambda: t.service_queue_consumed(Declared(True, consumer_count=0), "svc"),
        [('TOPO-3/service-queue-unconsumed', 'queue rpc-svc consumed by the service', 'no consumer', 0)]),
    "nan": (
        lambda: serialization.no_non_standard_constants(Msg(body=b"[Infinity]")),
        [('SER-3/non-standard-constant', 'a reply without NaN/Infinity', 'the non-standard constant Infinity', 1)]),
    "equal": (
        lambda: values.equal("R", "s", "w", 1, 2, {"m": 1}),
        [('R/s', 'w 1', '2', 1)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_finding_texts(name):
    judge, expected = CASES[name]
    assert full(judge()) == expected
