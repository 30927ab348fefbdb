"""The close codes: every code has a sentence, the final set is the one docs/protocol.md gives."""

from __future__ import annotations

import json
from pathlib import Path

from quickassist.protocol.close_codes import FINAL, SENTENCES, CloseCode
from tests.vectors import generate as vectors_generator


def test_every_code_has_a_plain_sentence() -> None:
    assert set(SENTENCES) == set(CloseCode)
    for code in CloseCode:
        sentence = code.sentence
        assert sentence[0].isupper() and sentence.endswith("."), code
        assert str(int(code)) not in sentence, "people get words, not numbers"


def test_the_final_set() -> None:
    # Retrying helps only after a node or proxy went away or a slow side was cut off.
    assert set(CloseCode) - FINAL == {CloseCode.GOING_AWAY, CloseCode.TOO_SLOW}
    assert CloseCode.MESSAGE_TOO_BIG.final and not CloseCode.TOO_SLOW.final


def test_received_codes_that_are_not_ours() -> None:
    # 1006 (abnormal closure) is what a dropped TCP connection looks like: worth a retry.
    assert not CloseCode.is_final(1006)
    assert not CloseCode.is_final(None)
    assert CloseCode.is_final(4409)
    assert CloseCode.sentence_for(1006) is None
    assert CloseCode.sentence_for(None) is None
    assert CloseCode.sentence_for(4410) == CloseCode.ALREADY_ENDED.sentence


def test_the_console_vectors_are_made_from_this_enum() -> None:
    # The console's core/close-codes.js is checked against the same file (tests/js).
    path = Path(vectors_generator.__file__).parent / "close_codes.json"
    assert path.read_text("utf-8") == vectors_generator.render(
        vectors_generator.close_codes_vectors()
    ), "tests/vectors/close_codes.json is out of date: run tests/vectors/generate.py"
    listed = json.loads(path.read_text("utf-8"))["codes"]
    assert [(c["code"], c["final"]) for c in listed] == [(c, c in FINAL) for c in CloseCode]
