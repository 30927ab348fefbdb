"""Security codes: the alphabet, normalisation, validation and generation (protocol/codes.py)."""

from __future__ import annotations

import json
import random
import string
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol.codes import (
    ALPHABET,
    CODE_LENGTH,
    CODE_LIFETIME_SECONDS,
    SessionCode,
    code_space,
    generate,
    normalize,
)
from quickassist.protocol.errors import InvalidCode, ProtocolError
from tests.vectors import generate as vectors_generator

VECTORS_PATH = Path(vectors_generator.__file__).parent / "codes.json"
VECTORS = json.loads(VECTORS_PATH.read_text("utf-8"))

codes = st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


# The alphabet ------------------------------------------------------------------------------


def test_alphabet_has_no_look_alikes() -> None:
    for confusable in "0O1ILU":
        assert confusable not in ALPHABET


def test_alphabet_is_30_distinct_upper_case_symbols_in_protocol_order() -> None:
    assert ALPHABET == "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # docs/protocol.md section 1
    assert len(set(ALPHABET)) == len(ALPHABET) == 30
    assert all(c in string.digits + string.ascii_uppercase for c in ALPHABET)


def test_code_size_and_lifetime_match_the_design() -> None:
    assert CODE_LENGTH == 6
    assert CODE_LIFETIME_SECONDS == 600.0
    assert code_space() == 30**6 == 729_000_000


# Normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("ABC234", "ABC234"),
        ("abc234", "ABC234"),
        ("aBc-234", "ABC234"),
        ("ABC 234", "ABC234"),
        ("  abc 234  ", "ABC234"),
        ("a-b-c 2 3-4", "ABC234"),
        ("ABC\t234", "ABC234"),
        ("ABC234\r\n", "ABC234"),
        ("ABC\u00a0234", "ABC234"),  # no-break space, as chat apps paste it
        ("ABC\u202f234", "ABC234"),  # narrow no-break space
        ("ABC\u2009234", "ABC234"),  # thin space
        ("ABC\u2010234", "ABC234"),  # hyphen
        ("ABC\u2011234", "ABC234"),  # non-breaking hyphen
        ("ABC\u2012234", "ABC234"),  # figure dash
        ("ABC\u2013234", "ABC234"),  # en dash (word processors turn "-" into it)
        ("ABC\u2014234", "ABC234"),  # em dash
        ("ABC\u2015234", "ABC234"),  # horizontal bar
        ("ABC\u2212234", "ABC234"),  # minus sign
        ("ABC\uff0d234", "ABC234"),  # full-width hyphen-minus
        ("zzz-999", "ZZZ999"),
    ],
)
def test_parse_ignores_case_spaces_and_dashes(typed: str, value: str) -> None:
    code = SessionCode.parse(typed)
    assert code.value == value
    assert str(code) == value


@given(codes, st.lists(st.sampled_from([" ", "-", "\u2013", "\u00a0"]), max_size=4), st.data())
@settings(max_examples=150)
def test_any_spacing_and_case_of_a_code_parses_to_it(
    value: str, separators: list[str], data: st.DataObject
) -> None:
    chars = [c.lower() if data.draw(st.booleans()) else c for c in value]
    for sep in separators:
        chars.insert(data.draw(st.integers(0, len(chars))), sep)
    assert SessionCode.parse("".join(chars)).value == value


def test_normalize_changes_nothing_but_case_and_separators() -> None:
    assert normalize("a0-o 1.i") == "A0O1.I"  # look-alikes are not "corrected": they are refused
    assert normalize("") == ""


def test_display_is_two_groups_of_three_and_parses_back() -> None:
    code = SessionCode("ABC234")
    assert code.display() == "ABC-234"
    assert SessionCode.parse(code.display()) == code


@given(codes)
@settings(max_examples=100)
def test_display_round_trips(value: str) -> None:
    code = SessionCode(value)
    assert SessionCode.parse(code.display()) == code
    assert SessionCode.parse(code.display().lower()) == code


# Invalid codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "---",
        "ABC23",  # too short
        "ABC2345",  # too long
        "ABC-2345",
        "ABC 23O",  # letter O
        "ABC 230",  # digit zero
        "ABC 231",  # digit one
        "ABC 23I",
        "ABC 23L",
        "ABC 23U",
        "ABC.234",  # dots are not separators
        "ABC_234",
        "ABC/234",
        "ÄBC234",
        "ABC\uff1234",  # full-width digit: not "corrected"
        "AB\u200bC234",  # zero-width space is not a separator we accept
    ],
)
def test_invalid_codes_raise_invalid_code_with_a_sentence(typed: str) -> None:
    with pytest.raises(InvalidCode) as caught:
        SessionCode.parse(typed)
    error = caught.value
    assert isinstance(error, ProtocolError)
    assert error.code == "invalid_code"
    assert error.message == str(error)
    # A plain sentence for people: starts with a capital, ends with a full stop, echoes nothing.
    assert error.message[0].isupper()
    assert error.message.endswith(".")
    assert "Traceback" not in error.message
    if typed.strip():
        assert typed not in error.message


@pytest.mark.parametrize("value", [None, 123456, b"ABC234", ["ABC234"]])
def test_parse_refuses_non_text_with_invalid_code(value: object) -> None:
    with pytest.raises(InvalidCode):
        SessionCode.parse(value)  # type: ignore[arg-type]


def test_constructor_validates_already_normalised_values_only() -> None:
    with pytest.raises(InvalidCode):
        SessionCode("abc234")  # the constructor does not normalise
    with pytest.raises(InvalidCode):
        SessionCode("ABC-234")


@given(st.text(max_size=20))
@settings(max_examples=300)
def test_parse_of_arbitrary_text_either_succeeds_or_raises_invalid_code(text: str) -> None:
    try:
        code = SessionCode.parse(text)
    except InvalidCode:
        return
    assert len(code.value) == CODE_LENGTH
    assert set(code.value) <= set(ALPHABET)


# Generation --------------------------------------------------------------------------------


def test_generate_uses_only_the_alphabet() -> None:
    for _ in range(500):
        code = generate()
        assert len(code.value) == CODE_LENGTH
        assert set(code.value) <= set(ALPHABET)


def test_generate_with_a_seeded_chooser_is_deterministic() -> None:
    assert generate(random.Random(42).choice) == generate(random.Random(42).choice)
    seeded = random.Random(7)
    sequence = [generate(seeded.choice).value for _ in range(20)]
    seeded = random.Random(7)
    assert [generate(seeded.choice).value for _ in range(20)] == sequence
    assert len(set(sequence)) == 20  # and the codes differ from one another


def test_generate_passes_the_alphabet_to_the_chooser() -> None:
    offered: list[str] = []

    def first_symbol(symbols: object) -> str:
        offered.append(str(symbols))
        return ALPHABET[0]

    assert generate(first_symbol).value == ALPHABET[0] * CODE_LENGTH  # type: ignore[arg-type]
    assert offered == [ALPHABET] * CODE_LENGTH


def test_generate_refuses_a_chooser_that_leaves_the_alphabet() -> None:
    with pytest.raises(InvalidCode):
        generate(lambda _symbols: "0")


def test_generate_draws_every_symbol_in_every_position() -> None:
    # 3000 codes: each (position, symbol) cell expects 100 draws; P(a cell gets 0) = (29/30)**3000,
    # about 1e-44, so this is not flaky. The count bound (40..180) is > 6 sigma either side.
    per_position = [Counter[str]() for _ in range(CODE_LENGTH)]
    for _ in range(3000):
        for position, symbol in enumerate(generate().value):
            per_position[position][symbol] += 1
    for counter in per_position:
        assert set(counter) == set(ALPHABET)
        assert all(40 <= n <= 180 for n in counter.values()), counter


def test_generated_codes_rarely_repeat() -> None:
    drawn = {generate().value for _ in range(2000)}
    # Birthday bound over 729 million codes: a repeat among 2000 has probability ~0.3%; allow 2.
    assert len(drawn) >= 1998


# Shared vectors ----------------------------------------------------------------------------


def test_committed_vectors_equal_what_the_implementation_produces() -> None:
    assert VECTORS_PATH.read_text("utf-8") == vectors_generator.render(
        vectors_generator.codes_vectors()
    ), (
        "tests/vectors/codes.json is out of date: run tests/vectors/generate.py "
        "(and update the console's JS to match)"
    )


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["name"])
def test_valid_code_vectors_normalise_as_stated(vector: dict[str, Any]) -> None:
    code = SessionCode.parse(vector["typed"])
    assert code.value == vector["value"]
    assert code.display() == vector["display"]
    assert set(vector["value"]) <= set(VECTORS["alphabet"])
    assert len(vector["value"]) == VECTORS["length"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["name"])
def test_invalid_code_vectors_are_refused(vector: dict[str, Any]) -> None:
    with pytest.raises(InvalidCode):
        SessionCode.parse(vector["typed"])


def test_code_vectors_state_the_alphabet_and_length() -> None:
    assert VECTORS["alphabet"] == ALPHABET
    assert VECTORS["length"] == CODE_LENGTH
