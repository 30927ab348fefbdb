"""The committed end-to-end vectors (tests/vectors/e2e.json) are what protocol/e2e.py makes now,
and they open again; the console's JS is checked against the same file (tests/js/e2e.test.mjs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quickassist.protocol.e2e import (
    Commit,
    FrameOpener,
    KeyPair,
    Reveal,
    SessionKeys,
    SharerHandshake,
    parse_handshake,
)
from quickassist.protocol.errors import HandshakeFailed
from quickassist.protocol.frames import decode_frame
from tests.vectors import generate_e2e

VECTORS = Path(generate_e2e.__file__).with_name("e2e.json")


def curves() -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(VECTORS.read_text("utf-8"))
    return list(data["curves"])


def test_the_committed_vectors_are_current() -> None:
    assert VECTORS.read_text("utf-8") == generate_e2e.render(generate_e2e.e2e_vectors()), (
        "tests/vectors/e2e.json is out of date: run tests/vectors/generate_e2e.py "
        "(and check the console's JS against it)"
    )


def test_the_check_mode_of_the_script_agrees() -> None:
    script = Path(generate_e2e.__file__)
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("vector", curves(), ids=lambda v: v["curve"])
def test_vectors_decrypt_with_the_recorded_keys(vector: dict[str, Any]) -> None:
    keys = SessionKeys(
        bytes.fromhex(vector["h2s_key_hex"]), bytes.fromhex(vector["s2h_key_hex"]), vector["check"]
    )
    openers = {
        "h2s": FrameOpener(keys.helper_to_sharer),
        "s2h": FrameOpener(keys.sharer_to_helper),
    }
    for frame in vector["frames"]:
        opened = openers[frame["direction"]].open(decode_frame(bytes.fromhex(frame["sealed_hex"])))
        assert opened.payload.hex() == frame["payload_hex"]
        assert int(opened.kind) == frame["kind"]


@pytest.mark.parametrize("vector", curves(), ids=lambda v: v["curve"])
def test_a_wrong_reveal_in_the_vectors_is_refused(vector: dict[str, Any]) -> None:
    commit = parse_handshake(vector["commit_message"].encode())
    assert isinstance(commit, Commit)
    sharer = SharerHandshake(vector["session_id"], commit)
    bad = parse_handshake(vector["bad_reveal_message"].encode())
    assert isinstance(bad, Reveal)
    with pytest.raises(HandshakeFailed):
        sharer.on_reveal(bad)
    pair = KeyPair.from_private(vector["curve"], bytes.fromhex(vector["helper_private_hex"]))
    assert pair.public.hex() == vector["helper_public_hex"]
