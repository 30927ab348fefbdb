"""The vendored Swagger UI files are exactly the pinned release's (an edit or half an upgrade
fails here), and the wheel's package data includes them."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from quickassist.service.api_docs import ASSETS_DIR, VENDORED_SHA256

ROOT = Path(__file__).resolve().parents[3]


def test_vendored_files_match_the_pinned_digests() -> None:
    found = {
        name: hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()
        for name in VENDORED_SHA256
    }
    assert found == VENDORED_SHA256


def test_the_page_script_and_licences_are_there() -> None:
    for name in ("api-docs.js", "LICENSE", "NOTICE"):
        assert (ASSETS_DIR / name).is_file(), name


def test_package_data_ships_the_assets() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["quickassist"]
    assert "service/api_docs_assets/*" in patterns
