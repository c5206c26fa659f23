"""The catalogue of single faults served by faulty_nameko.py (pure data; imports nothing from nameko).

Each fault: the requirement IDs it breaks (the kit should fail at least one of them), the nameko versions it works
on ("2", "3") and what it does. `none` is the unfaulted testee.
"""

from collections import namedtuple

Fault = namedtuple("Fault", "name ids versions what")

BOTH = ("2", "3")


def _f(name, ids, what, versions=BOTH):
    return Fault(name, tuple(ids.split()), versions, what)


FAULTS = [
    _f("none", "", "no fault: the unfaulted nameko testee"),
    # --- topology (chapter 01)
    _f("rpc_queue_name_underscore", "TOPO-3", "the request queue is named rpc_S instead of rpc-S"),
    _f("rpc_queue_not_durable", "TOPO-4 TOPO-10", "rpc-S declared non-durable"),
    _f("rpc_queue_auto_delete", "TOPO-4", "rpc-S declared auto-delete"),
    _f("rpc_queue_exclusive", "TOPO-4 TOPO-8", "rpc-S declared exclusive"),
    _f("rpc_queue_message_ttl", "TOPO-4", "rpc-S declared with x-message-ttl 600000"),
    _f("rpc_queue_extra_binding", "TOPO-5", "rpc-S bound with S.* and also S.#"),
    _f("rpc_binding_per_method", "TOPO-5 RPC-ERR-6", "rpc-S bound with S.<method> for each method instead of S.*"),
    _f("rpc_exchange_ignores_config", "TESTEE-10 TOPO-1", "the RPC exchange is always nameko-rpc, whatever the config"),
    _f("rpc_exchange_not_durable", "TOPO-2", "the RPC exchange is declared non-durable"),
    _f("qos_global", "TOPO-11", "basic.qos sent with global set"),
    _f("prefetch_unlimited", "RPC-REQ-16 SEC-6", "basic.qos prefetch_count 0 (unlimited) on the request consumer"),
    _f("prefetch_one", "TESTEE-4 RPC-REQ-16", "prefetch_count 1 although the service runs 10 workers"),
    # --- request consumption (chapter 02)
    _f("ack_before_reply", "RPC-REQ-14", "the request is acknowledged before the reply is published"),
    _f("never_ack", "RPC-REQ-14 RPC-REPLY-9", "requests are replied to but never acknowledged"),
    _f("requeue_failed_once", "RPC-REQ-15 RPC-REPLY-9",
       "a request whose method failed is replied to, then requeued once (acked when redelivered)"),
    _f("no_reply_on_error", "RPC-REPLY-5 RPC-REPLY-9 RPC-ERR-9", "a failed method is acked without any reply"),
    _f("kwargs_ignored", "RPC-REQ-12 TESTEE-2", "the method is invoked with args only; kwargs are dropped"),
    _f("extra_member_rejected", "RPC-REQ-10", "a body with members besides args/kwargs is answered MalformedRequest"),
    _f("headers_required", "RPC-REQ-13 CTX-8",
       "a request without a nameko.call_id_stack header is answered MalformedRequest"),
    _f("method_case_insensitive", "RPC-REQ-11 RPC-ERR-6", "the method name is matched case-insensitively"),
    # --- reply (chapter 03)
    _f("reply_default_exchange", "RPC-REPLY-1", "the reply is published to the default exchange"),
    _f("reply_routing_key_prefixed", "RPC-REPLY-1", "the reply routing key is 'reply.' + reply_to"),
    _f("reply_to_previous_request", "RPC-REPLY-1", "the reply goes to the reply_to of the previous request"),
    _f("reply_no_correlation_id", "RPC-REPLY-2", "the reply carries no correlation_id"),
    _f("reply_new_correlation_id", "RPC-REPLY-2", "the reply carries a fresh uuid4 as correlation_id"),
    _f("reply_correlation_id_upper", "RPC-REPLY-2", "the reply's correlation_id is upper-cased"),
    _f("reply_correlation_id_when_none", "RPC-REPLY-2 MAL-8",
       "a request without correlation_id gets a reply with correlation_id 'None'"),
    _f("reply_no_content_type", "RPC-REPLY-6", "the reply has no content_type"),
    _f("reply_content_type_charset", "RPC-REPLY-6", "the reply content_type is 'application/json; charset=utf-8'"),
    _f("reply_content_type_text", "RPC-REPLY-6", "the reply content_type is text/plain (body still JSON)"),
    _f("reply_no_content_encoding", "RPC-REPLY-7", "the reply has no content_encoding"),
    _f("reply_transient", "RPC-REPLY-7", "the reply is published with delivery_mode 1"),
    _f("reply_context_headers", "RPC-REPLY-13", "the reply carries the worker's context headers"),
    _f("reply_extra_member", "RPC-REPLY-3", "the reply body has an extra member 'ok'"),
    _f("reply_missing_error_on_success", "RPC-REPLY-3 RPC-REPLY-4", "a success reply is {'result': ...} only"),
    _f("reply_result_and_error", "RPC-REPLY-5", "an error reply also carries result '' (not null)"),
    _f("reply_error_empty_on_success", "RPC-REPLY-4", "a success reply carries error {} instead of null"),
    _f("reply_twice", "RPC-REPLY-9", "every reply is published twice"),
    _f("reply_body_latin1", "SER-1", "the reply body is encoded latin-1 (labelled utf-8), non-ASCII raw"),
    _f("reply_ints_as_floats", "SER-5", "integers in a result are turned into floats"),
    _f("reply_bigint_as_float", "SER-13", "integers beyond 2**53 in a result go through a float64"),
    _f("reply_int32_wrap", "SER-4", "integers in a result wrap around as 32-bit signed integers"),
    _f("reply_duplicate_member", "SER-7 RPC-REPLY-3", "the reply JSON text holds 'result' twice"),
    _f("reply_untags_objects", "SER-9 TESTEE-2", "objects with only __type__/__value__ are echoed as their __value__"),
    _f("reply_string_keys_sorted_case", "TESTEE-2", "kwargs keys are echoed lower-cased"),
    # --- errors (chapter 04)
    _f("err_exc_type_qualified", "RPC-ERR-2 TESTEE-3", "exc_type carries the module prefix"),
    _f("err_exc_path_module_only", "RPC-ERR-3", "exc_path is the module only, without the class name"),
    _f("err_exc_args_string", "RPC-ERR-4 TESTEE-3", "exc_args is a string, not an array"),
    _f("err_missing_exc_args", "RPC-ERR-1", "the error object has no exc_args"),
    _f("err_value_repr", "RPC-ERR-9 TESTEE-3", "value is repr(exc) instead of str(exc)"),
    _f("err_value_empty", "RPC-ERR-9 TESTEE-3", "value is always ''"),
    _f("err_exc_args_objects", "RPC-ERR-5", "exc_args elements are objects {'arg': ...}"),
    _f("err_traceback_in_value", "RPC-ERR-13", "value carries the formatted traceback with file paths"),
    _f("err_secret_in_error", "SEC-1", "every error value ends with the AMQP URI, password included"),
    _f("err_method_not_found_renamed", "RPC-ERR-6", "an unknown method is answered NoSuchMethod"),
    _f("err_method_not_found_args_key", "RPC-ERR-6", "MethodNotFound exc_args holds the whole routing key"),
    _f("err_incorrect_signature_typeerror", "RPC-ERR-7", "a bad signature is answered TypeError"),
    _f("err_malformed_keyerror", "RPC-ERR-8", "a body without args/kwargs is answered KeyError"),
    _f("err_unserializable_args", "RPC-ERR-10", "UnserializableValueError carries exc_args [repr(value)]"),
    _f("err_unserializable_no_reply", "RPC-ERR-10",
       "an unencodable result is acked with no reply (the encode failure is swallowed)"),
    # --- context (chapter 05)
    _f("ctx_prefix_outgoing", "CTX-6 CTX-7", "outgoing context headers use the prefix 'x-nameko.'"),
    _f("ctx_stack_not_extended", "CTX-4 TESTEE-5", "the worker's stack is the incoming stack (own call id missing)"),
    _f("ctx_stack_uncapped", "CTX-5", "the call id stack is never capped"),
    _f("ctx_stack_cap_5", "CTX-5", "the call id stack keeps 5 parents"),
    _f("ctx_stack_drops_newest", "CTX-5", "capping drops the newest parents instead of the oldest"),
    _f("ctx_stack_reversed", "CTX-4", "the stack is own call id first, then the parents"),
    _f("ctx_ignore_incoming_stack", "CTX-4", "the incoming call_id_stack is ignored"),
    _f("ctx_call_id_uuid_only", "CTX-14", "the worker call id is a bare uuid4"),
    _f("ctx_call_id_constant", "CTX-3", "every worker of a method gets the same call id"),
    _f("ctx_drop_other_headers", "CTX-7", "nested requests and events carry only nameko.call_id_stack"),
    _f("ctx_drop_language", "CTX-7", "nested requests and events drop nameko.language"),
    _f("ctx_stack_as_string", "CTX-6 CTX-2", "nested requests and events carry call_id_stack as one string"),
    _f("ctx_stack_parent_outgoing", "CTX-6", "nested requests/events carry the incoming stack, not the worker's"),
    _f("ctx_prefix_not_stripped", "TESTEE-5 CTX-4", "incoming headers are not stripped of the nameko. prefix"),
    _f("ctx_values_stringified", "CTX-7 TESTEE-5", "incoming context values are turned into strings"),
    # --- events (chapter 08)
    _f("evt_exchange_name_dash", "EVT-1 TESTEE-7", "events go to S-events instead of S.events"),
    _f("evt_routing_key_prefixed", "EVT-1", "the event routing key is S.T instead of T"),
    _f("evt_body_envelope", "EVT-2", "the event body is {'type': T, 'data': payload}"),
    _f("evt_content_type_text", "EVT-2", "the event is published as text/plain (JSON text inside)"),
    _f("evt_reply_to_set", "EVT-4", "events carry reply_to and correlation_id"),
    _f("evt_no_context_headers", "CTX-6 CTX-7", "events carry no headers"),
    _f("evt_transient", "EVT-2", "events are published with delivery_mode 1 (spec table: 2)"),
    _f("evt_exchange_auto_delete", "EVT-3 EVT-8", "S.events (and handler source exchanges) declared auto-delete"),
    _f("evt_pool_queue_name", "EVT-5", "service_pool queue named evt-S-T-V.h (one dash)"),
    _f("evt_singleton_queue_name", "EVT-6", "singleton queue named evt-S-T--V"),
    _f("evt_broadcast_no_id", "EVT-7", "broadcast queue named without the instance id"),
    _f("evt_broadcast_not_exclusive", "EVT-9", "broadcast queue not exclusive"),
    _f("evt_reliable_auto_delete", "EVT-9", "reliable handler queues declared auto-delete"),
    _f("evt_handler_queue_not_durable", "EVT-9 TOPO-10", "handler queues declared non-durable"),
    _f("evt_handler_binding_wide", "EVT-8", "handler queues bound with '#' instead of T"),
    _f("evt_handler_never_ack", "EVT-10", "handlers never acknowledge events"),
    _f("evt_handler_stack_ignored", "EVT-12", "handler workers ignore the event's call_id_stack"),
    _f("evt_handler_twice", "EVT-11", "each event is handled twice by the handler (acked once)"),
    # --- nested calls through the testee's own client (chapter 06/07)
    _f("nested_no_mandatory", "RPC-CALL-1 TESTEE-11", "nested requests are published without mandatory"),
    _f("nested_reply_to_dotted", "RPC-CORR-3", "nested reply_to is 'reply.<uuid>' (queue bound with that key)"),
    _f("nested_correlation_id_constant", "RPC-CORR-9", "nested requests of a worker reuse one correlation_id"),
    _f("nested_content_type_charset", "RPC-REQ-2", "nested requests say application/json; charset=utf-8"),
    _f("nested_extra_body_member", "RPC-REQ-9", "nested request bodies carry an extra member"),
    _f("nested_transient", "RPC-REQ-7", "nested requests are published with delivery_mode 1"),
    _f("nested_reply_queue_no_expiry", "RPC-CORR-5 RPC-CORR-6", "the reply queue has no x-expires (never removed)"),
    _f("nested_reply_queue_name", "RPC-CORR-4", "the reply queue is named reply-<uuid>"),
    # --- security (chapter 12), malformed input (chapter 10)
    _f("sec_uri_header", "SEC-1", "nested requests and events carry nameko.amqp_uri with the password"),
    _f("sec_pickle_accepted", "SEC-7", "requests in application/x-python-serialize are decoded (pickle accepted)"),
    _f("mal_no_reply_to_requeued", "MAL-5 MAL-10", "a request without reply_to is requeued (forever)"),
    _f("mal_large_request_dropped", "MAL-12", "a request body over 256 KiB is acked and dropped, no reply"),
]

BY_NAME = {fault.name: fault for fault in FAULTS}
assert len(BY_NAME) == len(FAULTS), "fault names must be unique"

# --- client faults, served by faulty_client.py (the nameko client driver with one fault), run with --client-cmd
CLIENT_FAULTS = [
    _f("none", "", "no fault: the unfaulted nameko client driver"),
    _f("cl_routing_key_suffix", "RPC-REQ-1", "requests are published with routing key S.m.call"),
    _f("cl_content_type_charset", "RPC-REQ-2", "requests say content_type application/json; charset=utf-8"),
    _f("cl_content_encoding_binary", "RPC-REQ-6", "requests say content_encoding binary"),
    _f("cl_transient", "RPC-REQ-7", "requests are published with delivery_mode 1"),
    _f("cl_no_mandatory", "RPC-REQ-8 RPC-CALL-1", "requests are published without mandatory"),
    _f("cl_unroutable_ignored", "RPC-CALL-1", "a returned (unroutable) request is ignored: the call waits"),
    _f("cl_extra_body_member", "RPC-REQ-9", "request bodies carry an extra member"),
    _f("cl_args_as_object", "RPC-REQ-5", "args is sent as an object {'0': a0, ...}"),
    _f("cl_no_reply_to", "RPC-REQ-3", "requests carry no reply_to"),
    _f("cl_reply_to_wrong", "RPC-REQ-3 RPC-CORR-1", "reply_to is a fresh uuid nobody consumes"),
    _f("cl_no_correlation_id", "RPC-REQ-4", "requests carry no correlation_id"),
    _f("cl_correlation_id_constant", "RPC-CORR-9 RPC-CORR-13", "every call uses the same correlation_id"),
    _f("cl_correlation_id_counter", "RPC-CORR-13", "correlation ids are a per-process counter 1, 2, 3 ..."),
    _f("cl_reply_to_constant", "RPC-CORR-2 RPC-CORR-12", "every client uses reply_to 'nameko-client' (shared)"),
    _f("cl_reply_to_dotted", "RPC-CORR-3", "reply_to is 'reply.<uuid>' (queue bound with that key)"),
    _f("cl_reply_queue_name", "RPC-CORR-4", "the reply queue is named reply-<uuid>"),
    _f("cl_reply_queue_no_expiry", "RPC-CORR-5 RPC-CORR-6", "the reply queue has no x-expires"),
    _f("cl_reply_queue_exclusive", "RPC-CORR-5", "the reply queue is exclusive and auto-delete"),
    _f("cl_context_prefix", "CTX-1", "context headers are sent as x-nameko.<key>"),
    _f("cl_stack_as_string", "CTX-2", "nameko.call_id_stack is sent as one string"),
    _f("cl_void_header", "CTX-10", "a void header nameko.tenant is sent with every request"),
    _f("cl_no_stack", "CTX-11", "requests carry no nameko.call_id_stack"),
    _f("cl_context_dropped", "CTX-1 DRIVER-3", "context data other than the call id stack is not sent"),
    _f("cl_error_as_result", "RPC-REPLY-10", "an error reply completes the call with result null"),
    _f("cl_all_errors_remote", "RPC-ERR-11", "MethodNotFound/IncorrectSignature/MalformedRequest surface as remote"),
    _f("cl_match_by_order", "RPC-REPLY-11 RPC-CORR-10", "replies complete the oldest outstanding call"),
]

CLIENT_BY_NAME = {fault.name: fault for fault in CLIENT_FAULTS}
assert len(CLIENT_BY_NAME) == len(CLIENT_FAULTS), "client fault names must be unique"
