"""The sharer's end of the end-to-end encryption (protocol/secure_link.py), against a scripted
helper built on the same protocol core (tests/fixtures/e2e_peer.py)."""

from __future__ import annotations

import pytest

from quickassist.protocol.errors import HandshakeFailed
from quickassist.protocol.frames import Frame, FrameKind, decode_frame, encode_frame
from quickassist.protocol.secure_link import MAX_REJECTIONS, SecureLink
from tests.fixtures.e2e_peer import E2EPeer

SESSION = "s-1"


def payload(frame_bytes: bytes) -> bytes:
    return decode_frame(frame_bytes).payload


def secured() -> tuple[SecureLink, E2EPeer]:
    link, helper = SecureLink(SESSION), E2EPeer(SESSION, helper=True)
    offer = link.on_handshake(payload(helper.commit()))
    assert offer is not None and not link.ready
    assert link.on_handshake(payload(helper.on_key(payload(offer)))) is None
    assert link.ready and link.check == helper.check
    return link, helper


def test_a_handshake_agrees_keys_both_ways() -> None:
    link, helper = secured()
    sealed = helper.seal(FrameKind.INPUT, b'{"t":"release_all"}')
    opened = link.open(decode_frame(sealed))
    assert opened is not None and opened.payload == b'{"t":"release_all"}'
    back = helper.open(decode_frame(link.seal(FrameKind.CHAT, b"hi", sequence=1)))
    assert back.payload == b"hi"


def test_a_repeated_commit_gets_the_same_answer_and_a_late_copy_changes_nothing() -> None:
    link, helper = SecureLink(SESSION), E2EPeer(SESSION, helper=True)
    commit = payload(helper.commit())
    first = link.on_handshake(commit)
    assert link.on_handshake(commit) == first
    assert first is not None
    link.on_handshake(payload(helper.on_key(payload(first))))
    assert link.ready
    assert link.on_handshake(commit) is None and link.ready  # a copy still in flight


def test_a_new_commit_drops_the_keys_and_binds_to_the_first_handshake() -> None:
    link, helper = secured()
    first_check = link.check
    offer = link.on_handshake(payload(helper.commit()))
    assert offer is not None and not link.ready
    link.on_handshake(payload(helper.on_key(payload(offer))))
    # New keys (and new digits underneath), but the person keeps the digits they compared:
    # the resume secret, not a second comparison, proves this is the same helper.
    assert link.ready and helper.check != first_check and link.check == first_check
    # A helper that lost the resume secret (or a relay standing in) agrees on nothing.
    stranger = E2EPeer(SESSION, helper=True)
    offer = link.on_handshake(payload(stranger.commit()))
    assert offer is not None
    link.on_handshake(payload(stranger.on_key(payload(offer))))
    assert link.open(decode_frame(stranger.seal(FrameKind.CHAT, b"x"))) is None
    assert link.rejections == 1


def test_a_reveal_that_is_not_the_committed_key_fails() -> None:
    link, helper = SecureLink(SESSION), E2EPeer(SESSION, helper=True)
    offer = link.on_handshake(payload(helper.commit()))
    assert offer is not None
    other = E2EPeer(SESSION, helper=True)
    other.commit()
    with pytest.raises(HandshakeFailed):
        link.on_handshake(payload(other.on_key(payload(offer))))
    assert not link.ready


def test_a_key_offer_sent_to_the_sharer_fails() -> None:
    link, helper = secured()
    sharer_peer = E2EPeer(SESSION, helper=False)
    with pytest.raises(HandshakeFailed):
        link.on_handshake(payload(sharer_peer.on_commit(payload(helper.commit()))))


def test_refused_frames_are_counted_until_the_session_must_end() -> None:
    link, helper = secured()
    sealed = decode_frame(helper.seal(FrameKind.INPUT, b'{"t":"release_all"}'))
    assert link.open(sealed) is not None
    for n in range(1, MAX_REJECTIONS + 1):
        assert not link.failed
        assert link.open(sealed) is None  # a replay
        assert link.rejections == n
    assert link.failed


def test_frames_before_the_keys_are_dropped_not_counted() -> None:
    link = SecureLink(SESSION)
    frame: Frame = decode_frame(encode_frame(FrameKind.CHAT, b"x"))
    assert link.open(frame) is None and link.rejections == 0
    assert "key" not in repr(link).lower().replace("ready", "")
