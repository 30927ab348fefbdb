"""End-to-end encryption between the helper's console and the sharer app (docs/protocol.md §6).

The relay routes frames on their clear 10-byte header and never holds a key. This module is the
whole of the cryptography, pure (no I/O, no clock; randomness is an argument so tests can fix it):

Handshake, in clear control-e2e frames (the only clear ones once a session is secured)::

    helper -> sharer  {"t":"e2e_commit","v":1,"curve":C,"commit":b64(SHA-256(L_COMMIT || H))}
    sharer -> helper  {"t":"e2e_key","v":1,"curve":C,"key":b64(S)}      S fresh per handshake
    helper -> sharer  {"t":"e2e_reveal","v":1,"key":b64(H)}              checked against commit

The helper commits to its key before it sees the sharer's, and the sharer shows its key before it
sees the helper's, so a middleman must fix both of its keys before it learns the value that makes
each side's check string: it matches by luck only, 1 time in 10**6.

    transcript = len-prefixed("quickassist e2e v1", session_id, curve, commit, S, H)
    shared     = ECDH(X25519 or P-256)
    keys       = HKDF-SHA256(ikm=shared || R, salt=SHA-256(transcript), info="h2s" | "s2h", 32B)
    check      = HKDF(..., info="check", 4 bytes) as a big-endian int mod 10**6, "123 456"
    R'         = HKDF(..., info="resume", 32 bytes), kept by both ends for the next handshake

Every reconnect runs a fresh handshake (fresh ECDH keys), and from the second one on both ends
mix in R, the secret the previous handshake left (empty the first time). A relay that forces a
reconnect to stand in the middle of the new handshake does not know R, so its keys match neither
end: the first frames fail and the session ends, instead of quietly carrying on through it after
the person checked the digits once.

Encrypted frames keep the clear header (flag ENCRYPTED) and carry only
``AES-256-GCM(key, nonce = 4 zero bytes || counter (8 bytes, big-endian), inner payload,
aad = the 10-byte header as sent)``: 16 bytes over the inner payload, the tag. The counter is
not carried: it is the header's 32-bit sequence, extended to 64 bits (each wrap of the sequence
adds 2**32). The sender's counter only goes up (a sequence that does not move forward is taken
in the next wrap), so no nonce is used twice; the receiver extends a sequence to the counter
nearest the newest it accepted and keeps a sliding window of `REPLAY_WINDOW` counters, so frames
the relay drops (stale video) leave gaps that are fine, while a replayed, too old, forged or
relabelled frame (the header, kind and sequence included, is the additional data) is rejected
with `FrameRejected`. Version 1 carried the counter in the payload (8 bytes) and the kind again
inside it (1 byte): 25 bytes a frame, more than a keystroke's picture on the wire.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import FrameRejected, HandshakeFailed, MessageError
from .frames import Frame, FrameFlags, FrameHeader, FrameKind
from .json_reader import read_json_object

#: The handshake and frame format version (the "v" field and the transcript's label).
E2E_VERSION = 2
#: Curves, best first: X25519 where the browser has it, P-256 everywhere else.
CURVES = ("X25519", "P-256")
COMMIT_LABEL = b"quickassist e2e commit v2"
TRANSCRIPT_LABEL = b"quickassist e2e v2"
#: How many counters behind the newest one a frame may arrive (IPsec's usual 64).
REPLAY_WINDOW = 64
#: Six digits: a middleman who replaces keys goes unnoticed 1 time in 10**6.
CHECK_DIGITS = 6
KEY_BYTES = 32
COUNTER_BYTES = 8
TAG_BYTES = 16
#: Bytes an encrypted payload adds to the inner one: the GCM tag (the nonce's counter is the
#: header's sequence, extended; the kind is authenticated in the header).
OVERHEAD = TAG_BYTES
_SEQUENCE_SPAN = 2**32
_PUBLIC_SIZES = {"X25519": 32, "P-256": 65}  # P-256: uncompressed SEC1 point (0x04 || x || y)
_MAX_COUNTER = 2**64 - 1
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

#: Where randomness comes from: `os.urandom` unless a test fixes it.
RandomSource = Callable[[int], bytes]


# Keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyPair:
    """An ephemeral key pair: raw private bytes (never shown by repr) and the public key."""

    curve: str
    private: bytes = field(repr=False)
    public: bytes

    @classmethod
    def generate(cls, curve: str, random: RandomSource = os.urandom) -> KeyPair:
        _check_curve(curve)
        seed = random(KEY_BYTES)
        if curve == "P-256":
            # A scalar in [1, n-1]; the bias of reducing 256 random bits mod n is below 2**-128.
            scalar = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
            seed = scalar.to_bytes(KEY_BYTES, "big")
        return cls.from_private(curve, seed)

    @classmethod
    def from_private(cls, curve: str, private: bytes) -> KeyPair:
        """The pair for fixed private bytes (X25519: 32 raw bytes; P-256: a 32-byte scalar)."""
        _check_curve(curve)
        if curve == "X25519":
            x_key = x25519.X25519PrivateKey.from_private_bytes(private)
            public = x_key.public_key().public_bytes_raw()
        else:
            ec_key = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
            public = ec_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        return cls(curve, private, public)

    def exchange(self, peer_public: bytes) -> bytes:
        """The ECDH shared secret with `peer_public` (for P-256, the x coordinate as WebCrypto)."""
        _check_public(self.curve, peer_public)
        try:
            if self.curve == "X25519":
                mine = x25519.X25519PrivateKey.from_private_bytes(self.private)
                return mine.exchange(x25519.X25519PublicKey.from_public_bytes(peer_public))
            ec_key = ec.derive_private_key(int.from_bytes(self.private, "big"), ec.SECP256R1())
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), peer_public)
            return ec_key.exchange(ec.ECDH(), point)
        except ValueError as exc:
            # Not a point on the curve, or (X25519) a low-order point giving an all-zero secret.
            raise HandshakeFailed("The other side sent an unusable encryption key.") from exc


def _check_curve(curve: str) -> None:
    if curve not in CURVES:
        raise HandshakeFailed(f"The other side asked for an unknown curve {curve!r}.")


def _check_public(curve: str, public: bytes) -> None:
    if len(public) != _PUBLIC_SIZES[curve] or (curve == "P-256" and public[0] != 4):
        raise HandshakeFailed("The other side sent an unusable encryption key.")


def commitment(helper_public: bytes) -> bytes:
    """What the helper sends first: SHA-256 over a label and its public key."""
    return hashlib.sha256(COMMIT_LABEL + helper_public).digest()


def transcript(
    session_id: str, curve: str, commit: bytes, sharer_public: bytes, helper_public: bytes
) -> bytes:
    """Every handshake value, each prefixed by its 4-byte big-endian length."""
    parts = (TRANSCRIPT_LABEL, session_id.encode(), curve.encode(), commit)
    return b"".join(
        struct.pack(">I", len(part)) + part for part in (*parts, sharer_public, helper_public)
    )


@dataclass(frozen=True, slots=True)
class SessionKeys:
    """What a handshake yields: one AES-256-GCM key per direction and the check string."""

    helper_to_sharer: bytes = field(repr=False)
    sharer_to_helper: bytes = field(repr=False)
    check: str
    #: The secret the next handshake of this session mixes in (see the module docstring).
    resume: bytes = field(default=b"", repr=False)


def derive_keys(shared: bytes, transcript_bytes: bytes, resume: bytes = b"") -> SessionKeys:
    """Direction keys, check string and the next resume secret; `resume` from the last one."""
    salt = hashlib.sha256(transcript_bytes).digest()
    ikm = shared + resume

    def hkdf(info: bytes, length: int) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)

    number = int.from_bytes(hkdf(b"check", 4), "big") % 10**CHECK_DIGITS
    return SessionKeys(
        hkdf(b"h2s", KEY_BYTES),
        hkdf(b"s2h", KEY_BYTES),
        format_check(number),
        hkdf(b"resume", KEY_BYTES),
    )


def format_check(number: int) -> str:
    """123456 -> "123 456": two groups of three, easy to read aloud."""
    digits = f"{number:0{CHECK_DIGITS}d}"
    return f"{digits[:3]} {digits[3:]}"


# Handshake messages ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commit:
    tag: ClassVar[str] = "e2e_commit"
    curve: str
    commit: bytes


@dataclass(frozen=True, slots=True)
class KeyOffer:
    tag: ClassVar[str] = "e2e_key"
    curve: str
    key: bytes


@dataclass(frozen=True, slots=True)
class Reveal:
    tag: ClassVar[str] = "e2e_reveal"
    key: bytes


HandshakeMessage = Commit | KeyOffer | Reveal
HANDSHAKE_TAGS = frozenset({Commit.tag, KeyOffer.tag, Reveal.tag})
#: Largest handshake message read: the largest real one (a P-256 key offer) is about 150 bytes.
MAX_HANDSHAKE_BYTES = 1024


def encode_handshake(message: HandshakeMessage) -> bytes:
    """The clear JSON payload of a control-e2e frame carrying `message`."""
    out: dict[str, Any] = {"t": message.tag, "v": E2E_VERSION}
    match message:
        case Commit(curve, commit):
            out |= {"curve": curve, "commit": _b64(commit)}
        case KeyOffer(curve, key):
            out |= {"curve": curve, "key": _b64(key)}
        case Reveal(key):
            out["key"] = _b64(key)
    return json.dumps(out, separators=(",", ":")).encode()


def is_handshake(payload: bytes) -> bool:
    """Whether a clear control-e2e payload is a handshake message (it may still be malformed).

    Never raises: whatever the payload (not JSON, not an object, a tag that is a list), a
    payload that is not a handshake is simply not one, and the caller refuses it as a clear frame.
    """
    try:
        data = _read_handshake(payload)
    except MessageError:
        return False
    tag = data.get("t")
    return isinstance(tag, str) and tag in HANDSHAKE_TAGS


def _read_handshake(payload: bytes) -> dict[str, Any]:
    return read_json_object(payload, limit=MAX_HANDSHAKE_BYTES, what="An encryption handshake")


def parse_handshake(payload: bytes) -> HandshakeMessage:
    """A typed handshake message; anything else is `HandshakeFailed`."""
    bad = HandshakeFailed("The other side sent a malformed encryption handshake.")
    try:
        data = _read_handshake(payload)
    except MessageError as exc:
        raise bad from exc
    if data.get("v") != E2E_VERSION:
        raise bad
    tag = data.get("t")
    if tag == Commit.tag:
        curve = _curve_field(data, bad)
        commit = _bytes_field(data, "commit", 32, bad)
        return Commit(curve, commit)
    if tag == KeyOffer.tag:
        curve = _curve_field(data, bad)
        return KeyOffer(curve, _bytes_field(data, "key", _PUBLIC_SIZES[curve], bad))
    if tag == Reveal.tag:
        key = data.get("key")
        if not isinstance(key, str):
            raise bad
        return Reveal(_unb64(key, bad))
    raise bad


def _curve_field(data: dict[str, Any], bad: HandshakeFailed) -> str:
    curve = data.get("curve")
    if not isinstance(curve, str) or curve not in CURVES:
        raise bad
    return curve


def _bytes_field(data: dict[str, Any], name: str, size: int, bad: HandshakeFailed) -> bytes:
    value = data.get(name)
    if not isinstance(value, str):
        raise bad
    raw = _unb64(value, bad)
    if len(raw) != size:
        raise bad
    return raw


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, bad: HandshakeFailed) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise bad from exc


# Handshake roles ------------------------------------------------------------------------------


class HelperHandshake:
    """The helper's side: `commit()` first, then `on_key(offer)` gives the reveal and the keys."""

    def __init__(
        self,
        session_id: str,
        *,
        curve: str = "X25519",
        resume: bytes = b"",
        random: RandomSource = os.urandom,
    ) -> None:
        self.session_id = session_id
        self._resume = resume
        self.pair = KeyPair.generate(curve, random)
        self.commit_value = commitment(self.pair.public)

    def commit(self) -> Commit:
        return Commit(self.pair.curve, self.commit_value)

    def on_key(self, offer: KeyOffer) -> tuple[Reveal, SessionKeys]:
        if offer.curve != self.pair.curve:
            raise HandshakeFailed("The other side answered with a different curve.")
        shared = self.pair.exchange(offer.key)
        script = transcript(
            self.session_id, self.pair.curve, self.commit_value, offer.key, self.pair.public
        )
        return Reveal(self.pair.public), derive_keys(shared, script, self._resume)


class SharerHandshake:
    """The sharer's side, created by the helper's commit: `offer()`, then `on_reveal(reveal)`."""

    def __init__(
        self,
        session_id: str,
        commit: Commit,
        *,
        resume: bytes = b"",
        random: RandomSource = os.urandom,
    ) -> None:
        self.session_id = session_id
        self._resume = resume
        self.commit_message = commit
        self.pair = KeyPair.generate(commit.curve, random)

    def offer(self) -> KeyOffer:
        return KeyOffer(self.pair.curve, self.pair.public)

    def on_reveal(self, reveal: Reveal) -> SessionKeys:
        if not hmac.compare_digest(commitment(reveal.key), self.commit_message.commit):
            raise HandshakeFailed("The helper's key does not match what it committed to.")
        shared = self.pair.exchange(reveal.key)
        script = transcript(
            self.session_id,
            self.pair.curve,
            self.commit_message.commit,
            self.pair.public,
            reveal.key,
        )
        return derive_keys(shared, script, self._resume)


# Frames ---------------------------------------------------------------------------------------


def nonce(counter: int) -> bytes:
    return bytes(4) + counter.to_bytes(COUNTER_BYTES, "big")


class FrameSealer:
    """Encrypts one direction's frames; every call uses the next counter, never one twice."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.counter = 0

    def __repr__(self) -> str:
        return f"FrameSealer(counter={self.counter})"

    def seal(
        self,
        kind: FrameKind,
        payload: bytes,
        *,
        sequence: int | None = None,
        timestamp_ms: int = 0,
        flags: FrameFlags = FrameFlags.NONE,
    ) -> bytes:
        """The whole binary message: the clear header (ENCRYPTED set) and the sealed payload.

        `sequence` goes in the header (None: the one after the last); the counter is the next
        one above the last that it names, so a sequence that does not move forward costs a wrap,
        never a nonce twice.
        """
        counter = self.counter + 1
        if sequence is not None:
            counter += (sequence - counter) % _SEQUENCE_SPAN
        if counter > _MAX_COUNTER:
            raise FrameRejected("This connection's encryption counter is exhausted.")
        self.counter = counter
        header = FrameHeader(
            kind, counter % _SEQUENCE_SPAN, timestamp_ms, flags | FrameFlags.ENCRYPTED
        )
        # The whole clear header is the additional data; the payload's length (the message's
        # less the header) is authenticated by GCM itself.
        aad = bytes(header)
        return aad + self._aead.encrypt(nonce(counter), payload, aad)


class FrameOpener:
    """Decrypts the other direction's frames, refusing replays, forgeries and mislabels."""

    def __init__(self, key: bytes, *, window: int = REPLAY_WINDOW) -> None:
        self._aead = AESGCM(key)
        self._window = window
        self.highest = 0
        self._seen = 0  # bit i set: counter `highest - i` was accepted
        self.rejected = 0

    def __repr__(self) -> str:
        return f"FrameOpener(highest={self.highest}, rejected={self.rejected})"

    def open(self, frame: Frame) -> Frame:
        """The inner frame (clear payload, ENCRYPTED cleared) or `FrameRejected` (counted)."""
        try:
            return self._open(frame)
        except FrameRejected:
            self.rejected += 1
            raise

    def _open(self, frame: Frame) -> Frame:
        header, payload = frame.header, frame.payload
        if not header.flags & FrameFlags.ENCRYPTED:
            raise FrameRejected("A frame arrived unencrypted.")
        if len(payload) < OVERHEAD:
            raise FrameRejected("An encrypted frame is too short.")
        counter = self._extend(header.sequence)
        if counter == 0 or not self._fresh(counter):
            raise FrameRejected("A frame arrived twice or too late.")
        try:
            body = self._aead.decrypt(nonce(counter), payload, bytes(header))
        except InvalidTag as exc:
            raise FrameRejected("A frame was changed on its way.") from exc
        self._mark(counter)
        clear = replace(header, flags=header.flags & ~FrameFlags.ENCRYPTED)
        return Frame(clear, body)

    def _extend(self, sequence: int) -> int:
        """The counter a 32-bit sequence stands for: of the counters it can name, the one
        nearest the newest accepted (never 0, which no sender uses)."""
        base = self.highest - self.highest % _SEQUENCE_SPAN + sequence
        candidates = [c for c in (base - _SEQUENCE_SPAN, base, base + _SEQUENCE_SPAN) if c > 0]
        return min(candidates, key=lambda c: abs(c - self.highest))

    def _fresh(self, counter: int) -> bool:
        if counter > self.highest:
            return True
        behind = self.highest - counter
        return behind < self._window and not (self._seen >> behind) & 1

    def _mark(self, counter: int) -> None:
        if counter > self.highest:
            # (A jump past the window forgets it all: shifting by it would build a huge int.)
            shift = min(counter - self.highest, self._window)
            self._seen = ((self._seen << shift) | 1) & ((1 << self._window) - 1)
            self.highest = counter
        else:
            self._seen |= 1 << (self.highest - counter)


class SecureChannel:
    """Both directions for one side of a secured session."""

    def __init__(self, keys: SessionKeys, *, helper: bool, window: int = REPLAY_WINDOW) -> None:
        send, receive = keys.helper_to_sharer, keys.sharer_to_helper
        if not helper:
            send, receive = receive, send
        self.sealer = FrameSealer(send)
        self.opener = FrameOpener(receive, window=window)
        self.check = keys.check

    def __repr__(self) -> str:
        return f"SecureChannel(check={self.check!r})"

    def seal(
        self,
        kind: FrameKind,
        payload: bytes,
        *,
        sequence: int | None = None,
        timestamp_ms: int = 0,
        flags: FrameFlags = FrameFlags.NONE,
    ) -> bytes:
        return self.sealer.seal(
            kind, payload, sequence=sequence, timestamp_ms=timestamp_ms, flags=flags
        )

    def open(self, frame: Frame) -> Frame:
        return self.opener.open(frame)

    @property
    def rejected(self) -> int:
        return self.opener.rejected
