"""The fast strategies keep their bite: with a fixed seed, every hazard class shows up in a sample of examples.

Each sample is drawn the way the suite draws it (derandomized Hypothesis, the suite's strategies), so a change that
speeds generation up by dropping a hazard class fails here rather than passing silently. Counts are of a fixed
sample, never of time.
"""

import json

import pytest

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from nameko_conformance.fuzz import hazards, strategies  # noqa: E402
from nameko_conformance.fuzz.raw_json import RAW_JSON_CASES, strict_json_problems  # noqa: E402

SAMPLE_EXAMPLES = 300
CTX_STACK_CAP = 10  # CTX-5 keeps this many parents


def draw_sample(strategy, examples: int = SAMPLE_EXAMPLES) -> list:
    """The first `examples` examples Hypothesis generates for `strategy` under the suite's derandomized settings."""
    drawn = []

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example):
        drawn.append(example)

    collect()
    return drawn


@pytest.fixture(scope="module")
def echo_sample() -> list:
    return [body for batch in draw_sample(strategies.echo_batches()) for body, _ in batch]


def test_every_hazard_class_occurs_in_echo_examples(echo_sample):
    """Integers beyond 2^53 and 2^64, -0.0, subnormal and extreme doubles, all 17 Unicode planes, empty and odd
    keys, deep nesting, long strings and large bodies all occur in the suite's echo examples."""
    seen = set().union(*(hazards.hazard_classes(body) for body in echo_sample))
    assert hazards.EXPECTED_HAZARD_CLASSES - seen == set()


def test_slow_hazards_stay_a_small_fraction(echo_sample):
    """Large bodies and long strings are slow on every hop: a few per hundred requests, not more."""
    slow = [body for body in echo_sample if {"large-body", "long-string"} & hazards.hazard_classes(body)]
    assert 0 < len(slow) <= 0.1 * len(echo_sample)


def test_echo_examples_are_batches_of_valid_bodies(echo_sample):
    batches = draw_sample(strategies.echo_batches(), 50)
    assert all(1 <= len(batch) <= strategies.ECHO_BATCH_MAX for batch in batches)
    assert any(len(batch) > 1 for batch in batches)
    assert {ensure_ascii for batch in batches for _, ensure_ascii in batch} == {True, False}
    for body in echo_sample:
        assert set(body) == {"args", "kwargs"} and "self" not in body["kwargs"]
        json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")


def test_large_bodies_stay_within_the_mal_12_limit_in_both_encodings():
    """Large bodies approach 1 MiB (MAL-12) and stay within it whether or not non-ASCII is escaped."""
    for body in draw_sample(strategies.large_bodies(), 20):
        sizes = [len(json.dumps(body, ensure_ascii=escape).encode("utf-8")) for escape in (True, False)]
        assert hazards.LARGE_BODY_BYTES <= max(sizes) <= hazards.DEFAULT_LARGE_BODY_BYTES


def test_derandomized_generation_repeats_exactly():
    """Without a seed the suite tries the same examples every run (derandomize), batch for batch."""
    assert draw_sample(strategies.echo_batches(), 40) == draw_sample(strategies.echo_batches(), 40)


def test_invalid_examples_hold_lone_surrogates_duplicate_keys_and_truncations():
    """The invalid-input property generates escaped lone surrogates and duplicate keys as raw text, truncated
    bodies, and draws the fixed raw cases."""
    sample = draw_sample(strategies.invalid_raw_bodies())
    problems = [" ".join(reason for _, reason in strict_json_problems(case.body)) for case in sample]
    generated = [(case, problem) for case, problem in zip(sample, problems) if case.id.startswith("generated-")]
    assert any("lone surrogate" in problem for case, problem in generated)
    assert any("twice" in problem for case, problem in generated)
    assert all(problem for problem in problems), "every invalid example breaks strict JSON"
    assert any(case.id == "truncated-valid-body" for case in sample)
    assert len({case.id for case in sample} & {case.id for case in RAW_JSON_CASES}) >= len(RAW_JSON_CASES) // 2


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def test_context_header_tables_are_random_and_nested():
    """Context header tables vary in size, nest tables and arrays, carry AMQP integer edges and call id stacks
    longer than the CTX-5 cap."""
    sample = draw_sample(strategies.context_headers(with_floats=False))
    data = [{key: value for key, value in headers.items() if key != "nameko.call_id_stack"} for headers in sample]
    assert len({len(table) for table in data}) >= 3
    values = [value for table in data for value in table.values()]
    assert any(isinstance(value, dict) and value for value in values)
    assert any(_depth(value) >= 2 for value in values)
    assert any(value in (hazards.AMQP_LONG_LONG_MIN, hazards.AMQP_LONG_LONG_MAX, 2**31) for value in values)
    assert any(len(headers.get("nameko.call_id_stack", [])) > CTX_STACK_CAP for headers in sample)
