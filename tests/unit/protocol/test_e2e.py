"""End-to-end encryption core: handshake, keys, check string, sealed frames (protocol/e2e.py)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quickassist.protocol.e2e import (
    CURVES,
    OVERHEAD,
    REPLAY_WINDOW,
    Commit,
    FrameOpener,
    FrameSealer,
    HelperHandshake,
    KeyOffer,
    KeyPair,
    Reveal,
    SecureChannel,
    SessionKeys,
    SharerHandshake,
    commitment,
    encode_handshake,
    format_check,
    is_handshake,
    parse_handshake,
)
from quickassist.protocol.errors import FrameRejected, HandshakeFailed, ProtocolError
from quickassist.protocol.frames import HEADER_SIZE, FrameFlags, FrameKind, decode_frame

SESSION = "s-0123456789"


def seeded(seed: int) -> Callable[[int], bytes]:
    rng = random.Random(seed)
    return rng.randbytes


def handshake(curve: str = "X25519", session: str = SESSION) -> tuple[SessionKeys, SessionKeys]:
    """A whole handshake through the wire encoding: (helper's keys, sharer's keys)."""
    helper = HelperHandshake(session, curve=curve)
    commit = parse_handshake(encode_handshake(helper.commit()))
    assert isinstance(commit, Commit)
    sharer = SharerHandshake(session, commit)
    offer = parse_handshake(encode_handshake(sharer.offer()))
    assert isinstance(offer, KeyOffer)
    reveal, helper_keys = helper.on_key(offer)
    parsed = parse_handshake(encode_handshake(reveal))
    assert isinstance(parsed, Reveal)
    return helper_keys, sharer.on_reveal(parsed)


def channels(curve: str = "X25519") -> tuple[SecureChannel, SecureChannel]:
    helper_keys, sharer_keys = handshake(curve)
    return SecureChannel(helper_keys, helper=True), SecureChannel(sharer_keys, helper=False)


# Handshake ------------------------------------------------------------------------------------


@pytest.mark.parametrize("curve", CURVES)
def test_both_ends_derive_the_same_keys_and_check_string(curve: str) -> None:
    helper_keys, sharer_keys = handshake(curve)
    assert helper_keys == sharer_keys
    assert helper_keys.helper_to_sharer != helper_keys.sharer_to_helper
    assert len(helper_keys.helper_to_sharer) == 32
    digits = helper_keys.check.replace(" ", "")
    assert len(helper_keys.check) == 7 and helper_keys.check[3] == " " and digits.isdigit()


def test_every_handshake_has_fresh_keys() -> None:
    first, _ = handshake()
    second, _ = handshake()
    assert first.helper_to_sharer != second.helper_to_sharer
    assert first.sharer_to_helper != second.sharer_to_helper


def test_the_sharer_generates_a_fresh_key_for_each_commit() -> None:
    helper = HelperHandshake(SESSION)
    offers = {SharerHandshake(SESSION, helper.commit()).offer().key for _ in range(3)}
    assert len(offers) == 3


def test_keys_depend_on_the_session_id() -> None:
    helper = HelperHandshake("a", random=seeded(1))
    sharer = SharerHandshake("a", helper.commit(), random=seeded(2))
    _, keys_a = helper.on_key(sharer.offer())
    helper_b = HelperHandshake("b", random=seeded(1))
    sharer_b = SharerHandshake("b", helper_b.commit(), random=seeded(2))
    _, keys_b = helper_b.on_key(sharer_b.offer())
    assert keys_a.helper_to_sharer != keys_b.helper_to_sharer


def test_fixed_randomness_gives_fixed_keys() -> None:
    def run() -> SessionKeys:
        helper = HelperHandshake(SESSION, random=seeded(7))
        sharer = SharerHandshake(SESSION, helper.commit(), random=seeded(8))
        return helper.on_key(sharer.offer())[1]

    assert run() == run()


def test_a_reveal_that_does_not_match_the_commitment_is_refused() -> None:
    helper = HelperHandshake(SESSION)
    sharer = SharerHandshake(SESSION, helper.commit())
    other = KeyPair.generate("X25519")
    with pytest.raises(HandshakeFailed, match="committed"):
        sharer.on_reveal(Reveal(other.public))


def test_a_commit_for_another_key_is_refused() -> None:
    helper = HelperHandshake(SESSION)
    wrong = Commit("X25519", commitment(KeyPair.generate("X25519").public))
    sharer = SharerHandshake(SESSION, wrong)
    reveal, _ = helper.on_key(sharer.offer())
    with pytest.raises(HandshakeFailed):
        sharer.on_reveal(reveal)


def test_a_key_on_another_curve_is_refused() -> None:
    helper = HelperHandshake(SESSION, curve="X25519")
    p256 = KeyPair.generate("P-256")
    with pytest.raises(HandshakeFailed, match="curve"):
        helper.on_key(KeyOffer("P-256", p256.public))


@pytest.mark.parametrize(
    ("curve", "key"),
    [
        ("X25519", bytes(32)),  # low order: an all-zero shared secret
        ("X25519", (1).to_bytes(32, "little")),  # low order too
        ("P-256", b"\x04" + bytes(64)),  # not on the curve
        ("P-256", b"\x05" + bytes(64)),  # not an uncompressed point
        ("X25519", bytes(31)),  # wrong size
    ],
)
def test_unusable_public_keys_are_refused(curve: str, key: bytes) -> None:
    helper = HelperHandshake(SESSION, curve=curve)
    with pytest.raises(HandshakeFailed):
        helper.on_key(KeyOffer(curve, key))


def test_a_middleman_with_its_own_keys_makes_the_check_strings_differ() -> None:
    # The middleman answers the helper as a sharer and the sharer as a helper; it reads both
    # legs, but each side sees a check string from a different handshake.
    mismatches = 0
    for _ in range(20):
        helper = HelperHandshake(SESSION)
        sharer_leg_helper = HelperHandshake(SESSION)  # the middleman towards the sharer
        sharer = SharerHandshake(SESSION, sharer_leg_helper.commit())
        middle_sharer = SharerHandshake(SESSION, helper.commit())  # towards the helper
        reveal, helper_keys = helper.on_key(middle_sharer.offer())
        middle_keys_helper_leg = middle_sharer.on_reveal(reveal)
        middle_reveal, _ = sharer_leg_helper.on_key(sharer.offer())
        sharer_keys = sharer.on_reveal(middle_reveal)
        assert middle_keys_helper_leg == helper_keys  # it can read the helper's leg...
        assert helper_keys.helper_to_sharer != sharer_keys.helper_to_sharer
        mismatches += helper_keys.check != sharer_keys.check
    # ...but the people see different digits (equal by chance 1 time in 10**6 per try).
    assert mismatches == 20


def test_forwarding_the_helpers_commit_does_not_let_a_middleman_read() -> None:
    # Passing the commitment through unchanged forces the middleman to reveal the helper's own
    # key to the sharer, whose private half it does not have.
    helper = HelperHandshake(SESSION)
    sharer = SharerHandshake(SESSION, helper.commit())
    reveal, helper_keys = helper.on_key(sharer.offer())
    assert sharer.on_reveal(reveal) == helper_keys
    with pytest.raises(HandshakeFailed):
        sharer.on_reveal(Reveal(KeyPair.generate("X25519").public))


def test_a_reconnect_handshake_is_bound_to_the_previous_one() -> None:
    first, _ = handshake()
    helper = HelperHandshake(SESSION, resume=first.resume)
    sharer = SharerHandshake(SESSION, helper.commit(), resume=first.resume)
    reveal, helper_keys = helper.on_key(sharer.offer())
    sharer_keys = sharer.on_reveal(reveal)
    assert helper_keys == sharer_keys
    assert helper_keys.resume not in (b"", first.resume)
    assert helper_keys.helper_to_sharer != first.helper_to_sharer


def test_a_middleman_in_a_reconnect_handshake_cannot_match_either_end() -> None:
    # The relay forces a reconnect and answers both ends itself. It lacks the resume secret, so
    # the keys it derives open nothing either end sends, and the ends' frames fail at it.
    first, _ = handshake()
    helper = HelperHandshake(SESSION, resume=first.resume)
    middle = SharerHandshake(SESSION, helper.commit())  # the relay, without the secret
    reveal, helper_keys = helper.on_key(middle.offer())
    relay_keys = middle.on_reveal(reveal)
    assert relay_keys.helper_to_sharer != helper_keys.helper_to_sharer
    sealed = SecureChannel(helper_keys, helper=True).seal(FrameKind.INPUT, b'{"t":"release_all"}')
    with pytest.raises(FrameRejected):
        SecureChannel(relay_keys, helper=False).open(decode_frame(sealed))


def test_keys_and_private_bytes_never_show_in_repr() -> None:
    helper_keys, _ = handshake()
    pair = KeyPair.generate("X25519")
    channel = SecureChannel(helper_keys, helper=True)
    for shown in (repr(helper_keys), repr(pair), repr(channel), repr(channel.sealer)):
        assert helper_keys.helper_to_sharer.hex() not in shown
        assert helper_keys.resume.hex() not in shown
        assert pair.private.hex() not in shown
        assert "private" not in shown
    assert helper_keys.check in repr(helper_keys)


@pytest.mark.parametrize("number", [0, 7, 123456, 999999])
def test_check_string_is_two_groups_of_three(number: int) -> None:
    text = format_check(number)
    assert text == f"{number:06d}"[:3] + " " + f"{number:06d}"[3:]


# Handshake messages ---------------------------------------------------------------------------


def test_handshake_messages_round_trip() -> None:
    pair = KeyPair.generate("P-256")
    for message in (
        Commit("P-256", commitment(pair.public)),
        KeyOffer("P-256", pair.public),
        Reveal(pair.public),
    ):
        encoded = encode_handshake(message)
        assert json.loads(encoded)["v"] == 2
        assert is_handshake(encoded)
        assert parse_handshake(encoded) == message


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"[]",
        b"not json",
        # Version 1 (the counter in the payload) and an unknown version 3.
        b'{"t":"e2e_commit","v":1,"curve":"X25519","commit":"' + b"A" * 43 + b'="}',
        b'{"t":"e2e_commit","v":3,"curve":"X25519","commit":"' + b"A" * 43 + b'="}',
        b'{"t":"e2e_commit","v":2,"curve":"X448","commit":"' + b"A" * 43 + b'="}',
        b'{"t":"e2e_commit","v":2,"curve":"X25519","commit":"AAAA"}',
        b'{"t":"e2e_commit","v":2,"curve":"X25519","commit":"!!!!"}',
        b'{"t":"e2e_key","v":2,"curve":"P-256","key":"' + b"A" * 43 + b'="}',
        b'{"t":"e2e_key","v":2,"curve":"X25519"}',
        b'{"t":"e2e_reveal","v":2,"key":5}',
        b'{"t":"refresh","v":2}',
        b'{"t":"e2e_reveal","v":2,"key":"' + b"A" * 2000 + b'"}',
    ],
)
def test_malformed_handshake_messages_are_refused(payload: bytes) -> None:
    with pytest.raises(HandshakeFailed):
        parse_handshake(payload)


def test_is_handshake_tells_handshake_from_other_control() -> None:
    assert not is_handshake(b'{"t":"refresh"}')
    assert not is_handshake(b"\xff")
    assert is_handshake(b'{"t":"e2e_key"}')


def test_handshake_errors_are_protocol_errors_with_sentences() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_handshake(b"nope")
    assert caught.value.message.endswith(".")


# Frames ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("curve", CURVES)
def test_frames_round_trip_both_ways(curve: str) -> None:
    helper, sharer = channels(curve)
    sealed = helper.seal(FrameKind.INPUT, b'{"t":"move","x":1,"y":2}', sequence=5)
    frame = decode_frame(sealed)
    assert frame.header.flags & FrameFlags.ENCRYPTED
    assert len(frame.payload) == len(b'{"t":"move","x":1,"y":2}') + OVERHEAD
    opened = sharer.open(frame)
    assert opened.payload == b'{"t":"move","x":1,"y":2}'
    assert opened.kind is FrameKind.INPUT
    assert opened.header.sequence == 5 and not opened.header.flags & FrameFlags.ENCRYPTED
    back = sharer.seal(
        FrameKind.VIDEO, b"pixels", flags=FrameFlags.KEYFRAME, timestamp_ms=123, sequence=9
    )
    video = helper.open(decode_frame(back))
    assert video.payload == b"pixels"
    assert video.header.flags == FrameFlags.KEYFRAME and video.header.timestamp_ms == 123


def test_the_plaintext_is_not_in_the_sealed_frame() -> None:
    helper, _ = channels()
    secret = b"correct horse battery staple"
    assert secret not in helper.seal(FrameKind.CHAT, secret)


def test_a_side_cannot_open_its_own_frames() -> None:
    helper, _ = channels()
    with pytest.raises(FrameRejected):
        helper.open(decode_frame(helper.seal(FrameKind.CHAT, b"x")))


def test_counters_start_at_one_and_never_repeat() -> None:
    helper, _ = channels()
    counters = [decode_frame(helper.seal(FrameKind.CHAT, b"x")).header.sequence for _ in range(100)]
    assert counters == list(range(1, 101))


def test_a_sequence_that_does_not_move_forward_costs_a_wrap_never_a_nonce() -> None:
    helper, sharer = channels()
    sealer = helper.sealer
    first = sharer.open(decode_frame(helper.seal(FrameKind.CHAT, b"a", sequence=7)))
    assert (first.header.sequence, sealer.counter) == (7, 7)
    helper.seal(FrameKind.CHAT, b"b", sequence=7)  # the same sequence again: the next wrap
    assert sealer.counter == 7 + 2**32


def test_counters_cross_the_sequence_s_wrap() -> None:
    helper, sharer = channels()
    for sequence in (2**32 - 2, 2**32 - 1, 0, 1):
        opened = sharer.open(decode_frame(helper.seal(FrameKind.VIDEO, b"v", sequence=sequence)))
        assert opened.header.sequence == sequence
    assert sharer.opener.highest == 2**32 + 1


def test_only_the_tag_is_added() -> None:
    helper, _ = channels()
    frame = decode_frame(helper.seal(FrameKind.INPUT, b'{"t":"release_all"}'))
    assert len(frame.payload) == len(b'{"t":"release_all"}') + OVERHEAD == 19 + 16


def test_identical_plaintexts_give_different_ciphertexts() -> None:
    helper, _ = channels()
    one = decode_frame(helper.seal(FrameKind.CHAT, b"same")).payload
    two = decode_frame(helper.seal(FrameKind.CHAT, b"same")).payload
    assert one != two


def test_every_flipped_bit_is_rejected() -> None:
    helper, sharer = channels()
    sealed = helper.seal(FrameKind.CHAT, b'{"id":"1","text":"hi","sent_at":1}', sequence=3)
    for bit in range(len(sealed) * 8):  # every header bit is authenticated: none is spare
        tampered = bytearray(sealed)
        tampered[bit // 8] ^= 1 << (bit % 8)
        try:
            frame = decode_frame(bytes(tampered))
        except ProtocolError:
            continue  # the header itself no longer parses: refused before decryption
        with pytest.raises(FrameRejected):
            sharer.open(frame)
    assert sharer.open(decode_frame(sealed)).payload.startswith(b'{"id"')


def test_a_replayed_frame_is_rejected_and_counted() -> None:
    helper, sharer = channels()
    frame = decode_frame(helper.seal(FrameKind.INPUT, b'{"t":"release_all"}'))
    sharer.open(frame)
    with pytest.raises(FrameRejected, match="twice"):
        sharer.open(frame)
    assert sharer.rejected == 1


def test_reordering_inside_the_window_is_accepted_once() -> None:
    helper, sharer = channels()
    frames = [decode_frame(helper.seal(FrameKind.VIDEO, bytes([i]))) for i in range(10)]
    order = [9, 0, 5, 3, 8, 1, 2, 7, 6, 4]
    assert [sharer.open(frames[i]).payload for i in order] == [bytes([i]) for i in order]
    for i in order:
        with pytest.raises(FrameRejected):
            sharer.open(frames[i])
    assert sharer.rejected == 10


def test_gaps_are_fine_and_older_than_the_window_is_rejected() -> None:
    helper, sharer = channels()
    frames = [decode_frame(helper.seal(FrameKind.VIDEO, b"v")) for _ in range(REPLAY_WINDOW + 2)]
    sharer.open(frames[0])
    sharer.open(frames[REPLAY_WINDOW + 1])  # a gap: the relay dropped stale video
    sharer.open(frames[2])  # 64 behind the newest: still inside
    with pytest.raises(FrameRejected, match="late"):
        sharer.open(frames[1])  # 65 behind: outside
    assert sharer.rejected == 1


def test_a_mislabelled_inner_kind_is_rejected() -> None:
    # A sender (or a relay with the key, which it has not) that labels input as chat: the header
    # says chat, the authenticated inner kind says input.
    helper_keys, sharer_keys = handshake()
    sealer = FrameSealer(helper_keys.helper_to_sharer)
    mislabel = bytearray(sealer.seal(FrameKind.INPUT, b'{"t":"release_all"}'))
    mislabel[1] = int(FrameKind.CHAT) | int(FrameFlags.ENCRYPTED) << 4  # the relay relabels it
    with pytest.raises(FrameRejected):
        SecureChannel(sharer_keys, helper=False).open(decode_frame(bytes(mislabel)))


def test_a_rewritten_sequence_is_rejected() -> None:
    # The relay moves a frame to another counter (to replay it past the window, say): the
    # sequence is the nonce's counter and part of the additional data, so the tag fails.
    helper, sharer = channels()
    data = bytearray(helper.seal(FrameKind.INPUT, b'{"t":"release_all"}', sequence=5))
    data[2:6] = (6).to_bytes(4, "little")
    with pytest.raises(FrameRejected, match="changed"):
        sharer.open(decode_frame(bytes(data)))


def test_a_rewritten_timestamp_or_flag_is_rejected() -> None:
    # The whole clear header is the additional data: the relay cannot restamp a frame or mark a
    # delta as a keyframe.
    helper, sharer = channels()
    sealed = helper.seal(FrameKind.VIDEO, b"tiles", sequence=5, timestamp_ms=1000)
    restamped = bytearray(sealed)
    restamped[6:10] = (2000).to_bytes(4, "little")
    keyframed = bytearray(sealed)
    keyframed[1] |= int(FrameFlags.KEYFRAME) << 4
    for data in (restamped, keyframed):
        with pytest.raises(FrameRejected, match="changed"):
            sharer.open(decode_frame(bytes(data)))
    assert sharer.open(decode_frame(sealed)).payload == b"tiles"


def test_a_cut_or_lengthened_payload_is_rejected() -> None:
    # No length in the header: the payload is the rest of the message, and GCM authenticates
    # the ciphertext's length with it.
    helper, sharer = channels()
    sealed = helper.seal(FrameKind.CHAT, b'{"id":"1","text":"hi","sent_at":1}', sequence=5)
    for data in (sealed[:-1], sealed + b"\0", sealed[:HEADER_SIZE] + sealed[HEADER_SIZE + 1 :]):
        with pytest.raises(FrameRejected):
            sharer.open(decode_frame(data))
    assert sharer.open(decode_frame(sealed)).payload.startswith(b'{"id"')


def test_unencrypted_and_short_frames_are_rejected() -> None:
    from quickassist.protocol.frames import encode_frame

    _, sharer = channels()
    with pytest.raises(FrameRejected, match="unencrypted"):
        sharer.open(decode_frame(encode_frame(FrameKind.INPUT, b'{"t":"release_all"}')))
    with pytest.raises(FrameRejected, match="short"):
        sharer.open(decode_frame(encode_frame(FrameKind.INPUT, b"x", flags=FrameFlags.ENCRYPTED)))
    assert sharer.rejected == 2


def test_sequence_zero_first_stands_for_the_first_wrap_never_counter_zero() -> None:
    helper, sharer = channels()
    opened = sharer.open(decode_frame(helper.seal(FrameKind.CHAT, b"x", sequence=0)))
    assert opened.header.sequence == 0 and sharer.opener.highest == 2**32


def test_keys_from_an_earlier_handshake_do_not_open_new_frames() -> None:
    old_helper, _ = channels()
    _, new_sharer = channels()
    with pytest.raises(FrameRejected, match="changed"):
        new_sharer.open(decode_frame(old_helper.seal(FrameKind.CHAT, b"x")))


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(list(FrameKind)),
    payload=st.binary(max_size=2048),
    sequence=st.integers(0, 2**32 - 1),
    timestamp=st.integers(0, 2**32 - 1),
    keyframe=st.booleans(),
)
def test_any_payload_round_trips(
    kind: FrameKind, payload: bytes, sequence: int, timestamp: int, keyframe: bool
) -> None:
    # Fresh channels each time: any first sequence is fine, a random one after another is not
    # (it would stand for a counter up to a wrap ahead, which the receiver does not guess).
    helper, sharer = (
        SecureChannel(_HYPOTHESIS_KEYS[0], helper=True),
        SecureChannel(_HYPOTHESIS_KEYS[1], helper=False),
    )
    flags = FrameFlags.KEYFRAME if keyframe else FrameFlags.NONE
    sealed = helper.seal(kind, payload, sequence=sequence, timestamp_ms=timestamp, flags=flags)
    opened = sharer.open(decode_frame(sealed))
    assert (opened.payload, opened.kind, opened.header.flags) == (payload, kind, flags)
    assert (opened.header.sequence, opened.header.timestamp_ms) == (sequence, timestamp)


def test_the_service_never_loads_the_encryption_code() -> None:
    # "The relay holds no key and could not decrypt if it wanted": it does not even import this.
    import subprocess
    import sys

    probe = (
        "import sys, quickassist.service.app, quickassist.service.relay; "
        "sys.exit('quickassist.protocol.e2e' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", probe]).returncode == 0


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(1, 150), max_size=120))
def test_the_replay_window_matches_a_plain_model(deliveries: list[int]) -> None:
    # Deliver sealed frames by counter in any order, repeats included; the opener must accept
    # exactly what the model does: a new counter no more than 63 behind the newest accepted.
    helper_keys, sharer_keys = _HYPOTHESIS_KEYS
    sealer = FrameSealer(helper_keys.helper_to_sharer)
    sealed = [decode_frame(sealer.seal(FrameKind.VIDEO, b"v")) for _ in range(150)]
    opener = FrameOpener(sharer_keys.helper_to_sharer)
    accepted: set[int] = set()
    for counter in deliveries:
        expect = counter not in accepted and (
            not accepted or counter > max(accepted) - REPLAY_WINDOW
        )
        try:
            opener.open(sealed[counter - 1])
            assert expect, counter
            accepted.add(counter)
        except FrameRejected:
            assert not expect, counter
    assert opener.rejected == len(deliveries) - len(accepted)


_HYPOTHESIS_KEYS = handshake()
