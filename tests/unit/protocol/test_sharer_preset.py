"""The preset format the service appends to the sharer app and the app reads back."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quickassist.protocol.errors import MessageError
from quickassist.protocol.sharer_preset import (
    MAGIC,
    MAX_PRESET_BYTES,
    PYINSTALLER_COOKIE_MAGIC,
    SharerPreset,
    preset_from_tail,
    trailer,
)

PIN = "SHA256:" + ":".join(["AB"] * 32)
PRESET = SharerPreset(service_url="https://help.example.org:8443", fingerprint=PIN)


def test_a_trailer_is_found_at_the_end_of_any_file() -> None:
    executable = b"\x7fELF" + b"\0" * 1000 + PYINSTALLER_COOKIE_MAGIC + b"archive"
    assert preset_from_tail(executable + trailer(PRESET)) == PRESET
    assert preset_from_tail(trailer(PRESET)) == PRESET


def test_a_file_without_a_trailer_has_no_preset() -> None:
    assert preset_from_tail(b"") is None
    assert preset_from_tail(b"\x7fELF" + b"\0" * 64) is None


def test_a_cut_or_lying_trailer_is_a_plain_sentence() -> None:
    block = trailer(PRESET)
    with pytest.raises(MessageError, match="cut short"):
        preset_from_tail(block[5:])  # the start of the JSON is missing: length points before
    with pytest.raises(MessageError, match="cut short"):
        preset_from_tail((MAX_PRESET_BYTES + 1).to_bytes(4, "big") + MAGIC)


def test_json_round_trip_and_the_system_trust_store() -> None:
    assert SharerPreset.from_json(PRESET.to_json()) == PRESET
    plain = SharerPreset(service_url="https://help.example.org")
    assert json.loads(plain.to_json())["fingerprint"] is None
    assert SharerPreset.from_json(plain.to_json()) == plain
    for url in ("https://[::1]:8443", "https://10.0.0.2", "https://help.example.org:443/"):
        assert SharerPreset(service_url=url).service_url == url


@pytest.mark.parametrize(
    "document",
    [
        {"quickassist_sharer": 2, "service_url": "https://a.example", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "http://a.example", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://a.example/x", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://a example", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://u@a.example", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://a.example:1:2", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://a.example?x", "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://a.example", "fingerprint": "SHA256:AB"},
        {"quickassist_sharer": 1, "service_url": 5, "fingerprint": None},
        {"quickassist_sharer": 1, "service_url": "https://a.example", "fingerprint": {"a": 1}},
    ],
)
def test_what_is_not_a_preset(document: dict[str, object]) -> None:
    with pytest.raises(MessageError):
        SharerPreset.from_json(json.dumps(document).encode())


@given(st.binary(max_size=200))
def test_no_tail_crashes_the_reader(noise: bytes) -> None:
    for tail in (noise, noise + MAGIC, noise + trailer(PRESET)[-12:]):
        with contextlib.suppress(MessageError):  # a sentence is fine; anything else is not
            preset_from_tail(tail)


@given(host=st.from_regex(r"[a-z][a-z0-9-]{0,40}(\.[a-z]{2,10}){1,3}", fullmatch=True))
def test_no_trailer_holds_pyinstallers_cookie_magic(host: str) -> None:
    block = trailer(SharerPreset(service_url=f"https://{host}:8443", fingerprint=PIN))
    assert PYINSTALLER_COOKIE_MAGIC not in block
    assert preset_from_tail(block) is not None
