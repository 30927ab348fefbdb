"""Every sentence the sharer may read shows whole (offscreen Qt): the code window grows for a
long error (the untrusted certificate, an address or fingerprint too long to wrap) instead of
cutting it at the top and bottom, and narrowing it makes it taller, not clipped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.roles import EndReason, HelperCard, Mode, Role
from quickassist.sharer.errors import ConnectionLost, ServiceUnreachable, UntrustedCertificate

PIN = "SHA256:" + ":".join(f"{b:02X}" for b in range(32))
LONG_ADDRESS = "https://remote-support.a-rather-long-organisation-name.example.org:8443"

#: The longest things the code window says, and a few that are longer than anything today.
SENTENCES = [
    UntrustedCertificate("The service's certificate does not match the fingerprint.").message,
    UntrustedCertificate(f"The service's certificate is not {PIN}.").message,
    ServiceUnreachable(LONG_ADDRESS).message,
    ConnectionLost().message,
    *(reason.sentence_for(Role.SHARER) for reason in EndReason),
    *(code.sentence for code in CloseCode),
    " ".join([UntrustedCertificate().message] * 3),
]


@pytest.fixture
def window(qapp: Any) -> Iterator[Any]:
    from quickassist.sharer.ui.code_window import CodeWindow

    shown = CodeWindow("https://support.example.org")
    shown.show()
    qapp.processEvents()
    yield shown
    shown.close()


def assert_whole(qapp: Any, window: Any) -> None:
    qapp.processEvents()
    label = window.message_label
    geometry = label.geometry()
    # Tall enough for its lines at the width it got, wide enough for its longest word, inside.
    assert geometry.height() >= label.heightForWidth(geometry.width()), label.text()
    assert geometry.width() >= label.minimumSizeHint().width(), label.text()
    assert window.rect().contains(geometry), (window.rect(), geometry)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_a_long_sentence_shows_whole(qapp: Any, window: Any, sentence: str) -> None:
    window.show_message(sentence)
    assert_whole(qapp, window)


def test_narrowing_the_window_makes_it_taller_not_clipped(qapp: Any, window: Any) -> None:
    window.show_message(SENTENCES[0])
    window.resize(window.width() + 400, window.height())
    qapp.processEvents()
    window.resize(window.minimumWidth(), 10)
    assert_whole(qapp, window)


def test_a_short_sentence_after_a_long_one_lets_the_window_shrink_again(
    qapp: Any, window: Any
) -> None:
    window.show_message(SENTENCES[1])
    qapp.processEvents()
    wide = window.minimumWidth()
    window.show_message("Connecting...")
    qapp.processEvents()
    assert window.minimumWidth() < wide
    assert_whole(qapp, window)


def test_the_consent_dialog_shows_long_names_whole(qapp: Any) -> None:
    from quickassist.sharer.consent import consent_text
    from quickassist.sharer.ui.consent_dialog import ConsentDialog

    helper = HelperCard("Bartholomew-Maximilian W.", "Regional-Support-Organisation-Of-Example")
    dialog = ConsentDialog(consent_text(Mode.CONTROL, helper, "123 456"))
    dialog.show()
    qapp.processEvents()
    for label in (dialog.who_label, dialog.what_label, dialog.check_label, dialog.warning_label):
        geometry = label.geometry()
        assert geometry.height() >= label.heightForWidth(geometry.width()), label.text()
        assert dialog.rect().contains(geometry)
    dialog.close()
