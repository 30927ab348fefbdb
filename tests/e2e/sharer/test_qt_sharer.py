"""The Qt sharer app (offscreen Qt) through a whole session with the real service, capture on
Xvfb: code window -> consent dialog -> sharing bar, chat, a mid-session control request, take
back control, and End."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel

from quickassist.protocol.frames import FrameKind
from quickassist.protocol.roles import EndReason, Role
from quickassist.sharer.client import SessionClient
from quickassist.sharer.inject import InputInjector
from quickassist.sharer.media_ports import FrameSource, InputSink
from quickassist.sharer.pipeline import CapturePipeline
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from quickassist.sharer.ui.qt_app import QtSharer
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.service import LiveService
from tests.fixtures.session_clients import ScriptedHelper, Side
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11

SHARER_DECLINED = EndReason.DECLINED.sentence_for(Role.SHARER)


async def until(condition: Callable[[], bool]) -> None:
    """Pump Qt's events until `condition` holds (Qt runs on this thread, asyncio too)."""
    async with asyncio.timeout(WAIT):
        while True:
            QApplication.processEvents()
            if condition():
                return
            await asyncio.sleep(0.01)


@pytest.fixture
async def app(qapp: Any, live_service: LiveService, xvfb: XvfbServer) -> AsyncIterator[QtSharer]:
    client = SessionClient(
        live_service.base_url,
        trust=TrustSettings(fingerprint=parse_fingerprint(live_service.fingerprint)),
    )

    def media() -> tuple[FrameSource, InputSink]:
        return CapturePipeline(display=xvfb.display), InputInjector(display=xvfb.display)

    sharer = QtSharer(client, media=media)
    sharer.start()
    yield sharer
    await asyncio.to_thread(sharer.quit)
    for window in (sharer.code_window, sharer.bar, sharer.chat, sharer.overlay):
        window.close()
    QApplication.processEvents()


def click(widget: Any) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


async def test_the_whole_window_flow(app: QtSharer, scripted_helper: ScriptedHelper) -> None:
    created = await scripted_helper.create_session()
    window = app.code_window
    assert window.code_label.text() == "Code from your helper"
    # One word for the person who helps, as everywhere else: never "assistant".
    texts = [w.text() for w in window.findChildren(QLabel)] + [window.code_edit.placeholderText()]
    assert not [t for t in texts if "assistant" in t.lower()], texts
    QTest.keyClicks(window.code_edit, "zzz-zzy" if created["code"] != "ZZZZZY" else "zzz-zzx")
    click(window.share_button)
    await until(lambda: "not valid" in window.message_label.text())
    assert window.share_button.isEnabled()
    window.code_edit.setText(created["code_display"])
    click(window.share_button)
    await until(lambda: "Ada L. from Contoso" in window.message_label.text())

    helper = await scripted_helper.connect(created["session_id"])
    await helper.wait_type("state", sharer_connected=True)
    check = await helper.secure_as_helper(E2EPeer(created["session_id"], helper=True))
    await helper.send_json({"type": "choose_mode", "mode": "view"})
    await until(lambda: app.dialog is not None and app.dialog.isVisible())
    dialog = app.dialog
    assert dialog is not None
    assert dialog.who_label.text() == "Ada L. · Contoso (organisation not verified) is asking."
    assert dialog.check_label.text() == f"Your helper should read you these digits: {check}"
    assert "see your screen" in dialog.what_label.text()
    click(dialog.allow_button)
    await helper.wait_type("state", phase="active")
    await helper.wait_frame(lambda f: f.kind is FrameKind.VIDEO)
    await until(lambda: app.bar.isVisible())
    assert "Ada L. (Contoso) can see your screen." in app.bar.status_label.text()
    assert not app.bar.revoke_button.isVisible()
    # The code window (minimised now) follows the session, not "Waiting for them to ask"; the
    # bar shows the digits the two people compared.
    assert window.message_label.text() == "Ada L. (Contoso) can see your screen."
    assert app.bar.check_label.text() == f"Check {check}"

    # Chat from the helper opens the panel.
    await helper.send_frame(FrameKind.CHAT, b'{"id":"c1","text":"hello there","sent_at":1}')
    await until(lambda: "Helper: hello there" in app.chat.history.toPlainText())
    assert app.chat.isVisible()
    QTest.keyClicks(app.chat.entry, "hi, thanks")
    QTest.keyClick(app.chat.entry, Qt.Key.Key_Return)
    reply = await helper.wait_frame(lambda f: f.kind is FrameKind.CHAT)
    assert json.loads(reply.payload)["text"] == "hi, thanks"

    # The helper's pen appears on the overlay over the shared monitor.
    await helper.send_frame(
        FrameKind.ANNOTATION,
        b'{"t":"stroke","id":"p1","color":"#00ff00","width":8,"points":[[10,10],[200,10]],'
        b'"done":true}',
    )
    await until(lambda: app.overlay.isVisible())
    assert app.overlay.geometry().width() == 1920
    assert app.overlay.mask().contains(QPoint(100, 10))
    await helper.send_frame(FrameKind.ANNOTATION, b'{"t":"clear"}')
    await until(lambda: not app.overlay.isVisible())

    # The helper asks for control mid-session: the same dialog returns; Enter declines.
    since = len(helper.texts)
    await helper.send_json({"type": "request_control"})
    await until(lambda: app.dialog is not None and app.dialog.isVisible())
    assert "control" in app.dialog.what_label.text()  # type: ignore[union-attr]
    QTest.keyClick(app.dialog, Qt.Key.Key_Return)  # type: ignore[arg-type]
    answer = await helper.wait_type("control_answer", since=since)
    assert answer["granted"] is False

    # Asked again and allowed: the bar shows full control and offers to take it back.
    since = len(helper.texts)
    await helper.send_json({"type": "request_control"})
    await until(lambda: app.dialog is not None and app.dialog.isVisible())
    click(app.dialog.allow_button)  # type: ignore[union-attr]
    await helper.wait_type("state", since=since, mode="control")
    await until(lambda: app.bar.revoke_button.isVisible())
    since = len(helper.texts)
    click(app.bar.revoke_button)
    await helper.wait_type("state", since=since, mode="view")
    await until(lambda: not app.bar.revoke_button.isVisible())

    # End from the bar.
    click(app.bar.end_button)
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "sharer_ended"
    await until(lambda: "You ended the session." in window.message_label.text())
    assert not app.bar.isVisible()


async def asked(app: QtSharer, scripted_helper: ScriptedHelper, mode: str) -> Side:
    """Joined with a new code, secured, and asked for `mode`: the dialog is on screen."""
    created = await scripted_helper.create_session()
    app.code_window.code_edit.setText(created["code"])
    click(app.code_window.share_button)
    # Qt delivers the join to the window; the session starts from there.
    await until(lambda: "Ada L. from Contoso" in app.code_window.message_label.text())
    helper = await scripted_helper.connect(created["session_id"])
    await helper.wait_type("state", phase="joined", sharer_connected=True)
    await helper.secure_as_helper(E2EPeer(created["session_id"], helper=True))
    await helper.send_json({"type": "choose_mode", "mode": mode})
    await until(lambda: app.dialog is not None and app.dialog.isVisible())
    return helper


async def test_closing_the_bar_ends_the_session(
    app: QtSharer, scripted_helper: ScriptedHelper
) -> None:
    helper = await asked(app, scripted_helper, "control")
    click(app.dialog.allow_button)  # type: ignore[union-attr]
    await until(lambda: app.bar.isVisible())
    app.bar.close()
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "sharer_ended"


async def test_declining_says_so_to_the_person_who_declined(
    app: QtSharer, scripted_helper: ScriptedHelper
) -> None:
    helper = await asked(app, scripted_helper, "view")
    click(app.dialog.decline_button)  # type: ignore[union-attr]
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "declined"
    # The helper's words are "The person sharing their screen declined"; the sharer reads theirs.
    await until(lambda: app.code_window.message_label.text() == SHARER_DECLINED)
    assert ended["message"] != SHARER_DECLINED
