"""The scripts README and CI run by path are executable (a commit once dropped setup.sh's mode,
which would fail `scripts/test` on a fresh clone with "Permission denied")."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["serve", "test", "setup.sh", "build-sharer"])
def test_the_script_is_executable(name: str) -> None:
    path = ROOT / "scripts" / name
    assert path.is_file()
    assert os.access(path, os.X_OK), f"chmod +x scripts/{name} (and commit the mode)"
