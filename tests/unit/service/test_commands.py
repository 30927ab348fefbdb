"""The service's sub-commands, run in process: help texts, parsing, and errors as sentences."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from quickassist.cli import build_parser, main


def help_of(*words: str) -> str:
    parser = build_parser()
    with pytest.raises(SystemExit) as done, pytest.MonkeyPatch.context() as patch:
        out = io.StringIO()
        patch.setattr("sys.stdout", out)
        parser.parse_args([*words, "--help"])
    assert done.value.code == 0
    return out.getvalue()


def test_serve_help_names_every_setting() -> None:
    text = help_of("serve")
    for flag in ("--host", "--port", "--cert", "--key", "--data-dir", "--database-url"):
        assert flag in text
    assert "QUICKASSIST_PORT" in text
    assert "fingerprint" in text


@pytest.mark.parametrize("action", ["add", "list", "remove", "passwd"])
def test_every_user_action_has_help(action: str) -> None:
    text = help_of("user", action)
    assert "--data-dir" in text and "--database-url" in text


def test_user_commands_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--data-dir", str(tmp_path)]
    assert main(["user", "list", *store]) == 0
    assert capsys.readouterr().out == "No helper accounts.\n"
    assert main(["user", "remove", "ghost", *store]) == 1
    assert capsys.readouterr().err == "quickassist: There is no helper called ghost.\n"
    assert main(["user", "add", "Bad Name", "--name", "B", "--organisation", "O", *store]) == 1
    assert "A username has 1 to 64 letters" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("nonsense", "The database URL cannot be read"),
        ("mysql+nodriver://x/y", "names a driver that cannot be used: mysql+nodriver."),
    ],
)
def test_an_unusable_database_url_is_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, sentence: str
) -> None:
    assert main(["user", "list", "--data-dir", str(tmp_path), "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert sentence in err
    assert "Traceback" not in err
