"""Bounded fuzzing in CI: every network parser, fed random bytes and mutated valid inputs,
raises nothing but `ProtocolError` (issue 8 item 5, issue 14 item 5).

The examples per target come from QUICKASSIST_FUZZ_EXAMPLES (default 150: about 15 s for all
targets on the 2-core CI machine); bench/fuzz_parsers.py is the long run (a million inputs).
"""

from __future__ import annotations

import contextlib
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutations import mutate, mutate_json
from tests.fuzz.targets import EXPECTED, HOSTILE_JSON, Target, build_targets

TARGETS = build_targets()
EXAMPLES = int(os.environ.get("QUICKASSIST_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # a loaded CI machine; the long run measures speed, not this
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def feed(target: Target, data: bytes) -> None:
    with contextlib.suppress(EXPECTED):  # the package's own error: a sentence for the peer
        target.parse(data)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@FUZZ
@given(data=st.binary(max_size=512))
def test_random_bytes(target: Target, data: bytes) -> None:
    feed(target, data)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@FUZZ
@given(seed=st.integers(0, 2**32 - 1), pick=st.integers(0, 10_000))
def test_mutated_valid_inputs(target: Target, seed: int, pick: int) -> None:
    original = target.seeds[pick % len(target.seeds)]
    feed(target, mutate(random.Random(seed), original))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@FUZZ
@given(seed=st.integers(0, 2**32 - 1), pick=st.integers(0, 10_000))
def test_valid_inputs_with_a_value_swapped(target: Target, seed: int, pick: int) -> None:
    original = target.seeds[pick % len(target.seeds)]
    feed(target, mutate_json(random.Random(seed), original))


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
@pytest.mark.parametrize("data", HOSTILE_JSON, ids=lambda d: repr(d[:12]))
def test_the_shapes_that_crashed_before(target: Target, data: bytes) -> None:
    # {"t":[]} raised TypeError in e2e.is_handshake; deep nesting raised RecursionError.
    feed(target, data)


def test_a_crash_would_be_seen() -> None:
    # The harness itself: an exception that is not the package's is not swallowed.
    def broken(data: bytes) -> object:
        return {}[data]

    with pytest.raises(KeyError):
        feed(Target("broken", broken), b"x")
