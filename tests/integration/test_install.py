"""The package as a person installs it: the wheel in a fresh virtual environment.

A part whose extra is not installed must say so in one sentence naming the pip command (it used
to end in a traceback: `ModuleNotFoundError: No module named 'httpx'`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 300  # a wheel build fetches setuptools into its own build environment


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    return next(out.glob("quickassist-*.whl"))


@pytest.fixture(scope="module")
def bare_install(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`quickassist` installed with no extra: neither the service's nor the sharer's parts."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    return venv / "bin" / "quickassist"


def run(command: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(command), *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_help_works_without_any_part(bare_install: Path) -> None:
    assert "share" in run(bare_install, "--help").stdout
    shown = run(bare_install, "share", "--help")
    assert shown.returncode == 0 and "code" in shown.stdout.lower()
    assert run(bare_install, "serve", "--help").returncode == 0


@pytest.mark.parametrize(
    ("args", "part"),
    [
        (("share", "https://localhost:9"), "sharer"),
        (("serve",), "service"),
        (("user", "list"), "service"),
    ],
)
def test_a_missing_part_is_one_sentence_with_the_pip_command(
    bare_install: Path, args: tuple[str, ...], part: str
) -> None:
    result = run(bare_install, *args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert f"needs the {part} part" in message
    assert f"pipx install 'quickassist[{part}]'" in message
