"""Regenerate e2e.json: end-to-end encryption vectors from fixed keys (protocol/e2e.py).

For each curve: both private keys (raw and as JWK, so WebCrypto can import them), the handshake
messages, the transcript, the shared secret, both direction keys, the check string, and a few
sealed frames each way (nonce, AAD, whole frame; the counter is the header's sequence, extended
across its wraps, and the payload is the ciphertext and tag only). The console's JS
(tests/js/e2e.test.mjs) must derive and seal exactly the same bytes;
tests/unit/protocol/test_e2e_vectors.py checks that the committed file equals what this script
produces now.

    .venv/bin/python tests/vectors/generate_e2e.py          # rewrite e2e.json
    .venv/bin/python tests/vectors/generate_e2e.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from quickassist.protocol.e2e import (
    CURVES,
    HelperHandshake,
    KeyPair,
    SecureChannel,
    SharerHandshake,
    derive_keys,
    encode_handshake,
    nonce,
    transcript,
)
from quickassist.protocol.frames import HEADER_SIZE, FrameFlags, FrameKind

HERE = Path(__file__).resolve().parent
TARGET = HERE / "e2e.json"
SESSION_ID = "3f2a9c1e-7b4d-4e8a-9c61-0d5b2e8f4a17"

#: Fixed "random" bytes, one pair per curve (not secret: they exist only in these vectors). Each is
#: SHA-256 of a label; KeyPair.generate turns them into the private keys recorded in the file.
PRIVATE = {
    curve: {side: hashlib.sha256(f"quickassist e2e vector {curve} {side}".encode()).digest()
            for side in ("helper", "sharer")}
    for curve in CURVES
}  # fmt: skip

_KEY = b'{"t":"key","code":"KeyA","key":"a","down":true}'
_CHAT = '{"id":"c1","text":"héllo ✓","sent_at":1}'.encode()
_CURSOR = b'{"x":1,"y":2,"visible":true,"shape":null}'
_T0 = 1_700_000_000_000 % 2**32  # a capture time as the header carries it (ms mod 2**32)
#: (direction, kind, flags, sequence, timestamp_ms, payload) sealed in this order per direction.
FRAMES: list[tuple[str, FrameKind, FrameFlags, int, int, bytes]] = [
    ("h2s", FrameKind.CONTROL_E2E, FrameFlags.NONE, 3, 0, b'{"t":"refresh"}'),
    ("h2s", FrameKind.INPUT, FrameFlags.NONE, 4, 0, _KEY),
    ("h2s", FrameKind.CHAT, FrameFlags.NONE, 5, 0, _CHAT),
    # The sequence wraps: counters 2**32 - 1, then 2**32 (the nonce goes on, the header wraps).
    ("h2s", FrameKind.INPUT, FrameFlags.NONE, 2**32 - 1, 0, _KEY),
    ("h2s", FrameKind.INPUT, FrameFlags.NONE, 0, 0, _KEY),
    ("s2h", FrameKind.VIDEO, FrameFlags.KEYFRAME, 1, _T0, bytes(range(40))),
    ("s2h", FrameKind.CURSOR, FrameFlags.NONE, 2, _T0 + 500, _CURSOR),
    ("s2h", FrameKind.CHAT, FrameFlags.NONE, 3, 0, b""),
]


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwk(pair: KeyPair) -> dict[str, str]:
    """The private key as a JSON Web Key (what WebCrypto's importKey("jwk") takes)."""
    if pair.curve == "X25519":
        return {"kty": "OKP", "crv": "X25519", "d": _b64u(pair.private), "x": _b64u(pair.public)}
    return {
        "kty": "EC",
        "crv": "P-256",
        "d": _b64u(pair.private),
        "x": _b64u(pair.public[1:33]),
        "y": _b64u(pair.public[33:]),
    }


class _Fixed:
    """A 'random source' that returns one fixed private key, so the handshake uses it."""

    def __init__(self, value: bytes) -> None:
        self.value = value

    def __call__(self, n: int) -> bytes:
        assert n == len(self.value)
        return self.value


def curve_vectors(curve: str) -> dict[str, Any]:
    keys = PRIVATE[curve]
    helper = HelperHandshake(SESSION_ID, curve=curve, random=_Fixed(keys["helper"]))
    commit = helper.commit()
    sharer = SharerHandshake(SESSION_ID, commit, random=_Fixed(keys["sharer"]))
    offer = sharer.offer()
    reveal, helper_keys = helper.on_key(offer)
    sharer_keys = sharer.on_reveal(reveal)
    assert helper_keys == sharer_keys
    script = transcript(SESSION_ID, curve, commit.commit, offer.key, reveal.key)
    # The same handshake as a reconnect would run it: bound to the first one's resume secret.
    resumed = derive_keys(helper.pair.exchange(offer.key), script, helper_keys.resume)
    channels = {
        "h2s": SecureChannel(helper_keys, helper=True),
        "s2h": SecureChannel(sharer_keys, helper=False),
    }
    frames = []
    for direction, kind, flags, sequence, timestamp, payload in FRAMES:
        sealed = channels[direction].seal(
            kind, payload, sequence=sequence, timestamp_ms=timestamp, flags=flags
        )
        counter = channels[direction].sealer.counter
        frames.append(
            {
                "direction": direction,
                "kind": int(kind),
                "flags": int(flags),
                "sequence": sequence,
                "timestamp_ms": timestamp,
                "counter": counter,
                "payload_hex": payload.hex(),
                "nonce_hex": nonce(counter).hex(),
                "aad_hex": sealed[:HEADER_SIZE].hex(),
                "sealed_hex": sealed.hex(),
            }
        )
    return {
        "curve": curve,
        "session_id": SESSION_ID,
        "helper_private_hex": helper.pair.private.hex(),
        "helper_public_hex": helper.pair.public.hex(),
        "helper_jwk": jwk(helper.pair),
        "sharer_private_hex": sharer.pair.private.hex(),
        "sharer_public_hex": sharer.pair.public.hex(),
        "sharer_jwk": jwk(sharer.pair),
        "commit_message": encode_handshake(commit).decode(),
        "key_message": encode_handshake(offer).decode(),
        "reveal_message": encode_handshake(reveal).decode(),
        "commit_hex": commit.commit.hex(),
        "transcript_hex": script.hex(),
        "salt_hex": hashlib.sha256(script).hexdigest(),
        "shared_hex": helper.pair.exchange(offer.key).hex(),
        "h2s_key_hex": helper_keys.helper_to_sharer.hex(),
        "s2h_key_hex": helper_keys.sharer_to_helper.hex(),
        "check": helper_keys.check,
        "resume_hex": helper_keys.resume.hex(),
        "resumed": {
            "h2s_key_hex": resumed.helper_to_sharer.hex(),
            "s2h_key_hex": resumed.sharer_to_helper.hex(),
            "check": resumed.check,
            "resume_hex": resumed.resume.hex(),
        },
        "frames": frames,
        # The sharer must refuse this reveal: it is not the key the commit was made for.
        "bad_reveal_message": encode_handshake(
            type(reveal)(KeyPair.generate(curve, _Fixed(keys["sharer"])).public)
        ).decode(),
    }


def e2e_vectors() -> dict[str, Any]:
    return {
        "about": (
            "End-to-end encryption vectors (docs/protocol.md section 6), from "
            "tests/vectors/generate_e2e.py. Private keys are fixed and public."
        ),
        "curves": [curve_vectors(curve) for curve in CURVES],
    }


def render(vectors: dict[str, Any]) -> str:
    return json.dumps(vectors, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render(e2e_vectors())
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text("utf-8") != text:
            print("tests/vectors/e2e.json is out of date: run tests/vectors/generate_e2e.py")
            return 1
        return 0
    TARGET.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
