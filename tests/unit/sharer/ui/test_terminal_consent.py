"""The terminal asks what the dialog asks: who (verified or not), what, and the warning."""

from __future__ import annotations

import io

from quickassist.protocol.roles import HelperCard, Mode
from quickassist.sharer.client import SessionClient
from quickassist.sharer.consent import WARNING
from quickassist.sharer.session_events import ConsentRequested
from quickassist.sharer.ui.terminal import TerminalSharer


def asked(helper: HelperCard) -> str:
    out = io.StringIO()
    sharer = TerminalSharer(SessionClient("https://127.0.0.1:9"), media=None, out=out)  # type: ignore[arg-type]
    sharer._on_event(ConsentRequested(Mode.CONTROL, helper, "123 456"))
    return out.getvalue()


def test_the_terminal_shows_the_verified_domain() -> None:
    text = asked(HelperCard("Ada L.", "Contoso", "contoso.com"))
    assert "Ada L. · Contoso (verified: contoso.com) is asking." in text
    assert WARNING in text
    assert text.rstrip().endswith("Allow? [y/N]")


def test_the_terminal_says_when_the_organisation_is_not_verified() -> None:
    assert "Contoso (organisation not verified)" in asked(HelperCard("Ada L.", "Contoso"))


def test_names_cannot_drive_the_terminal() -> None:
    text = asked(HelperCard("Eve\x1b[2J", "Org\x1b]0;owned\x07"))
    assert "\x1b" not in text
