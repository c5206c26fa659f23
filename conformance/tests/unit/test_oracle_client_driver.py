"""oracle.driver, offline: driver runs, outcome documents, call outcomes and the describe answer, with exact codes and
examined sets."""

import json

import pytest

from nameko_conformance.oracle import driver as drivers
from nameko_conformance.oracle.driver import DriverRun


def codes(judgement):
    return sorted(judgement.codes())


def document(*outcomes):
    return json.dumps({"outcomes": list(outcomes)})


ERROR = {"error": {"kind": "timeout", "exc_type": "RpcTimeout", "message": "t"}}


# -- outcome documents --------------------------------------------------------------------------------------------

def test_a_valid_document_passes_and_is_the_value():
    judgement = drivers.outcome_document(document({"result": 1}, ERROR), 2)
    assert codes(judgement) == [] and judgement.value == [{"result": 1}, ERROR]
    assert judgement.examined == {"DRIVER-5", "DRIVER-6"}


def test_driver_6_is_examined_only_where_an_error_was_reported():
    judgement = drivers.outcome_document(document({"result": 1}), 1)
    assert judgement.examined == {"DRIVER-5"} and judgement.value == [{"result": 1}]


@pytest.mark.parametrize("text, code", [
    ("", "DRIVER-5/no-document"),
    ("   \n", "DRIVER-5/no-document"),
    ("not json", "DRIVER-5/not-json"),
    ('{"outcomes": [1]} trailing', "DRIVER-5/not-json"),
    ('{"results": []}', "DRIVER-5/no-outcomes-array"),
    ('[{"result": 1}]', "DRIVER-5/no-outcomes-array"),
    ('{"outcomes": {}}', "DRIVER-5/no-outcomes-array"),
])
def test_unusable_documents(text, code):
    judgement = drivers.outcome_document(text, 1)
    assert codes(judgement) == [code] and judgement.value is None


def test_a_wrong_number_of_outcomes_is_unusable():
    judgement = drivers.outcome_document(document({"result": 1}), 2)
    assert codes(judgement) == ["DRIVER-5/outcome-count"] and judgement.value is None


@pytest.mark.parametrize("outcome, code", [
    ({"result": 1, "error": None}, "DRIVER-5/outcome-shape"),
    ({}, "DRIVER-5/outcome-shape"),
    ("ok", "DRIVER-5/outcome-shape"),
    ({"error": {"kind": "timeout"}}, "DRIVER-5/error-shape"),
    ({"error": "boom"}, "DRIVER-5/error-shape"),
])
def test_malformed_outcomes(outcome, code):
    judgement = drivers.outcome_document(document(outcome), 1)
    assert codes(judgement) == [code] and judgement.value is None


def test_an_unknown_kind_breaks_driver_6_but_the_outcomes_stay_usable():
    bad = {"error": {"kind": "Timeout", "exc_type": "T", "message": ""}}
    judgement = drivers.outcome_document(document(bad), 1)
    assert codes(judgement) == ["DRIVER-6/unknown-kind"] and judgement.value == [bad]


@pytest.mark.parametrize("kind", drivers.ERROR_KINDS)
def test_every_kind_of_the_closed_list_is_accepted(kind):
    outcome = {"error": {"kind": kind, "exc_type": kind, "message": ""}}
    assert codes(drivers.outcome_document(document(outcome), 1)) == []


# -- a run as a whole ---------------------------------------------------------------------------------------------

def test_a_clean_run_examines_the_document_and_the_exit_status():
    judgement = drivers.run(DriverRun(False, 0, document({"result": 1}), 1))
    assert codes(judgement) == [] and judgement.examined == {"DRIVER-5", "DRIVER-7"}
    assert judgement.value == [{"result": 1}]


def test_outcomes_with_a_non_zero_exit_break_driver_7():
    judgement = drivers.run(DriverRun(False, 2, document({"result": 1}), 1))
    assert codes(judgement) == ["DRIVER-7/exit-status"]


def test_a_hang_is_charged_to_the_given_rule_only():
    judgement = drivers.run(DriverRun(True, None, "", 1, 30.0), ("RPC-CORR-14",), "an undecodable reply")
    assert codes(judgement) == ["RPC-CORR-14/client-hung"] and judgement.value is None
    assert judgement.examined == {"RPC-CORR-14"}
    assert "an undecodable reply" in judgement.findings[0].expected


def test_a_hang_has_its_own_charge_when_given():
    judgement = drivers.run(DriverRun(True, None, "", 1), ("RPC-CORR-14",), hang_charge=("RPC-CORR-14", "RPC-CALL-6"))
    assert codes(judgement) == ["RPC-CALL-6/client-hung", "RPC-CORR-14/client-hung"]


def test_a_crash_is_charged_to_the_given_rule_only():
    judgement = drivers.run(DriverRun(False, 1, "", 1), ("RPC-CORR-14",), hang_charge=("RPC-CALL-6",))
    assert codes(judgement) == ["RPC-CORR-14/client-crashed"] and judgement.examined == {"RPC-CORR-14"}


def test_without_a_charge_a_hang_or_crash_breaks_the_driver_contract():
    assert codes(drivers.run(DriverRun(True, None, "", 1))) == ["DRIVER-5/client-hung"]
    assert codes(drivers.run(DriverRun(False, 3, "", 1))) == ["DRIVER-5/client-crashed"]


def test_no_document_with_exit_zero_is_a_driver_5_finding_not_a_crash():
    judgement = drivers.run(DriverRun(False, 0, "", 1), ("RPC-CORR-14",))
    assert codes(judgement) == ["DRIVER-5/no-document"]


def test_status_words():
    ok = DriverRun(False, 0, document({"result": 1}), 1)
    assert drivers.status(drivers.run(ok), ok) == "ok"
    hung = DriverRun(True, None, "", 1)
    assert drivers.status(drivers.run(hung), hung) == "driver hung"
    crashed = DriverRun(False, 1, "", 1)
    assert drivers.status(drivers.run(crashed), crashed) == "driver failed"
    invalid = DriverRun(False, 0, "{}", 1)
    assert drivers.status(drivers.run(invalid), invalid) == "invalid outcome"


def test_outcome_channel():
    through_file = drivers.outcome_channel(DriverRun(False, 0, "{}", 0, channel="outcome file"))
    assert through_file.examined == {"DRIVER-8"} and codes(through_file) == []
    through_stdout = drivers.outcome_channel(DriverRun(False, 0, "{}", 0))
    assert through_stdout.examined == frozenset() and "DRIVER-8" in dict(through_stdout.inconclusive)


# -- call outcomes ------------------------------------------------------------------------------------------------

def test_result():
    assert codes(drivers.result({"result": [1]}, [1], "RPC-CORR-8", "x()")) == []
    assert drivers.result({"result": [1]}, [1], ("RPC-CORR-8", "RPC-CALL-4"), "x()").examined == \
        {"RPC-CORR-8", "RPC-CALL-4"}
    assert codes(drivers.result({"result": [2]}, [1], "RPC-CORR-8", "x()")) == ["RPC-CORR-8/wrong-outcome"]
    assert codes(drivers.result(ERROR, [1], ("RPC-CORR-8", "RPC-CALL-4"), "x()")) == ["RPC-CORR-8/wrong-outcome"]
    assert codes(drivers.result({"result": None}, [], "R", "x()")) == ["R/wrong-outcome"]


def test_error_kind():
    judgement = drivers.error_kind(ERROR, "timeout", "RPC-CALL-6", "x()")
    assert codes(judgement) == [] and judgement.value == ERROR["error"] and judgement.examined == {"RPC-CALL-6"}
    assert codes(drivers.error_kind(ERROR, "timeout", "RPC-CALL-6", "x()", exc_type="Other")) == \
        ["RPC-CALL-6/not-timeout"]
    assert codes(drivers.error_kind({"result": 1}, "UnknownService", "RPC-CALL-1", "x()")) == \
        ["RPC-CALL-1/not-unknownservice"]
    assert codes(drivers.error_kind(ERROR, "protocol", "RPC-CORR-14", "x()")) == ["RPC-CORR-14/not-protocol"]
    assert drivers.error_kind(None, "protocol", "RPC-CORR-14", "x()").value is None


def test_not_a_result():
    assert codes(drivers.not_a_result(ERROR, "RPC-CORR-11", "x()")) == []
    assert drivers.not_a_result(ERROR, "RPC-CORR-11", "x()").examined == {"RPC-CORR-11"}
    assert codes(drivers.not_a_result({"result": None}, "RPC-CORR-11", "x()")) == ["RPC-CORR-11/completed-with-result"]


def error(kind, exc_type, message="m"):
    return {"error": {"kind": kind, "exc_type": exc_type, "message": message}}


@pytest.mark.parametrize("outcome", [error("MethodNotFound", "MethodNotFound"),
                                     error("remote", "MethodNotFound")])  # a library with one error class
def test_a_builtin_error_as_its_kind_or_as_remote_with_its_name(outcome):
    judgement = drivers.surfaced_error(outcome, "MethodNotFound", "m", "x()")
    assert codes(judgement) == [] and judgement.examined == {"RPC-ERR-11"}


@pytest.mark.parametrize("outcome", [error("remote", "ValueError"), error("IncorrectSignature", "IncorrectSignature"),
                                     error("protocol", "MethodNotFound"), error("remote", None)])
def test_a_builtin_error_surfaced_as_something_else(outcome):
    assert codes(drivers.surfaced_error(outcome, "MethodNotFound", "m", "x()")) == ["RPC-ERR-11/builtin-kind"]


def test_a_remote_error_needs_kind_remote_its_exc_type_and_value():
    assert codes(drivers.surfaced_error(error("remote", "ValueError", "boom"), "ValueError", "boom", "x()")) == []
    assert codes(drivers.surfaced_error(error("MethodNotFound", "ValueError", "boom"), "ValueError", "boom",
                                        "x()")) == ["RPC-ERR-11/remote-kind"]
    assert codes(drivers.surfaced_error(error("remote", "KeyError", "boom"), "ValueError", "boom", "x()")) == \
        ["RPC-ERR-11/remote-kind"]
    assert codes(drivers.surfaced_error(error("remote", "ValueError", "other"), "ValueError", "boom", "x()")) == \
        ["RPC-ERR-11/remote-value"]


def test_unknown_service_replies_are_remote_errors_for_the_client():
    assert codes(drivers.surfaced_error(error("UnknownService", "UnknownService"), "UnknownService", "m",
                                        "x()")) == ["RPC-ERR-11/remote-kind"]


def test_surfaced_error_under_another_rule_and_without_an_error():
    assert codes(drivers.surfaced_error({"result": 1}, "ValueError", "v", "x()", "RPC-ERR-12")) == \
        ["RPC-ERR-12/no-error"]
    assert drivers.surfaced_error(error("remote", "ValueError", "v"), "ValueError", "v", "x()", "RPC-ERR-12") \
        .examined == {"RPC-ERR-12"}


# -- the describe answer ------------------------------------------------------------------------------------------

def test_describe_answer_lists_lacking_features():
    judgement = drivers.describe_answer(DriverRun(False, 0, '{"outcomes": [], "lacks": ["context", "exchange"]}', 0))
    assert codes(judgement) == [] and judgement.value == {"context", "exchange"}
    assert judgement.examined == {"DRIVER-9"}


def test_a_driver_that_ignores_describe_lacks_nothing():
    judgement = drivers.describe_answer(DriverRun(False, 0, '{"outcomes": []}', 0))
    assert codes(judgement) == [] and judgement.value == frozenset()


@pytest.mark.parametrize("observed, code", [
    (DriverRun(True, None, "", 0), "DRIVER-9/describe-failed"),
    (DriverRun(False, 1, "", 0), "DRIVER-9/describe-failed"),
    (DriverRun(False, 0, "junk", 0), "DRIVER-9/describe-not-json"),
    (DriverRun(False, 0, '{"lacks": "context"}', 0), "DRIVER-9/describe-lacks"),
    (DriverRun(False, 0, '{"lacks": [1]}', 0), "DRIVER-9/describe-lacks"),
    (DriverRun(False, 0, '[]', 0), "DRIVER-9/describe-lacks"),
])
def test_unusable_describe_answers_lack_nothing(observed, code):
    judgement = drivers.describe_answer(observed)
    assert codes(judgement) == [code] and judgement.value == frozenset()


def test_unknown_features_are_named_and_the_known_ones_kept():
    judgement = drivers.describe_answer(DriverRun(False, 0, '{"lacks": ["timeouts", "teleport"]}', 0))
    assert codes(judgement) == ["DRIVER-9/unknown-feature"] and judgement.value == {"timeouts"}


@pytest.mark.parametrize("text, name", [
    ('{"outcomes": [], "client_name": "mylib"}', "mylib"),
    ('{"outcomes": []}', None),
    ('{"client_name": ""}', None),
    ('{"client_name": 7}', None),
    ('{"client_name": "a*b"}', None),
    ("junk", None),
    ('["mylib"]', None),
])
def test_described_client_name(text, name):
    assert drivers.described_client_name(DriverRun(False, 0, text, 0)) == name


# -- where the client suite runs (suite/_client_steps.py, pure) -------------------------------------------------

@pytest.mark.parametrize("option, lacks, expected", [
    (None, frozenset(), "nameko-rpc-kit-1"),
    ("private", frozenset(), "nameko-rpc-kit-1"),
    ("default", frozenset(), "nameko-rpc"),
    (None, frozenset({"exchange"}), "nameko-rpc"),
    ("private", frozenset({"exchange"}), "nameko-rpc"),  # a client that cannot follow goes where it can
    ("my-rpc", frozenset(), "my-rpc"),
])
def test_the_client_suite_exchange(option, lacks, expected):
    from nameko_conformance.suite._client_steps import chosen_exchange

    assert chosen_exchange(option, lacks, "nameko-rpc-kit-1") == expected
