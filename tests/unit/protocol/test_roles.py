"""End-reason sentences (protocol/roles.py): one for each side, worded for the person reading it."""

from __future__ import annotations

import pytest

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.roles import EndReason, Role

#: Words that tell a sentence was written for the other side.
_OTHER_SIDES_WORDS = {
    Role.SHARER: ("person sharing", "their screen", "the helper"),
    Role.HELPER: ("your helper", "you declined"),
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("reason", list(EndReason))
def test_every_reason_has_a_sentence_for_each_side(reason: EndReason, role: Role) -> None:
    sentence = reason.sentence_for(role)
    assert sentence.endswith(".") and sentence[0].isupper()
    assert not any(words in sentence.lower() for words in _OTHER_SIDES_WORDS[role]), sentence


def test_the_sharer_who_declined_reads_what_they_did() -> None:
    assert EndReason.DECLINED.sentence_for(Role.SHARER) == "You declined, so nothing was shared."
    assert EndReason.DECLINED.sentence == EndReason.DECLINED.sentence_for(Role.HELPER)
    assert "declined" in EndReason.DECLINED.sentence


def test_a_stopped_service_says_what_is_known_not_a_guess() -> None:
    for sentence in (
        *(EndReason.SERVER_SHUTDOWN.sentence_for(role) for role in Role),
        CloseCode.GOING_AWAY.sentence,
    ):
        assert "shutting down" in sentence
        assert "restarting" not in sentence and "minute" not in sentence
