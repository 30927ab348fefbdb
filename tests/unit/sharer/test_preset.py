"""Where the sharer finds its preset: inside the one-file app, beside it, in the user's config."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from quickassist.protocol.sharer_preset import SharerPreset, trailer
from quickassist.sharer.preset import (
    PresetUnreadable,
    find_preset,
    read_file,
    read_trailer,
    remember,
    user_preset_path,
)

PIN = "SHA256:" + ":".join(["0F"] * 32)
INSIDE = SharerPreset(service_url="https://inside.example:8443", fingerprint=PIN)
BESIDE = SharerPreset(service_url="https://beside.example")
USERS = SharerPreset(service_url="https://users.example")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


@pytest.fixture
def frozen_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend to be a PyInstaller one-file app whose file is `app`."""
    app = tmp_path / "bin" / "quickassist-sharer"
    app.parent.mkdir()
    app.write_bytes(b"\x7fELF" + b"\0" * 100)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app))
    return app


def test_nothing_anywhere(config_home: Path) -> None:
    assert find_preset() is None
    assert not config_home.exists()  # looking wrote nothing


def test_the_users_file_is_what_an_installed_sharer_reads(config_home: Path) -> None:
    path = remember(USERS)
    assert path == user_preset_path() == config_home / "quickassist" / "sharer.json"
    assert find_preset() == USERS


def test_inside_the_app_wins_then_beside_it(config_home: Path, frozen_app: Path) -> None:
    remember(USERS)
    assert find_preset() == USERS
    frozen_app.with_name("quickassist-sharer.json").write_bytes(BESIDE.to_json())
    assert find_preset() == BESIDE
    with frozen_app.open("ab") as file:
        file.write(trailer(INSIDE))
    assert find_preset() == INSIDE


def test_an_app_that_is_not_frozen_ignores_its_interpreters_tail(
    config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = tmp_path / "python"
    python.write_bytes(b"binary" + trailer(INSIDE))
    monkeypatch.setattr(sys, "executable", str(python))
    assert read_trailer(python) == INSIDE
    assert find_preset() is None


def test_a_broken_file_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "sharer.json"
    path.write_text("{not json")
    with pytest.raises(PresetUnreadable, match="send you the sharer app again"):
        read_file(path)
    assert read_file(tmp_path / "missing.json") is None
    assert read_trailer(tmp_path / "missing") is None
