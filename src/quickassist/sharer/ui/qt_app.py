"""The Qt sharer app: code window -> consent dialog -> sharing bar, overlay and chat.

`QtSharer` wires the windows to a `SharerSession` running on a `LoopThread`. Every session
event arrives on the Qt thread through `EventRelay`; every button goes to the session through
`SharerSession.call_soon`. The windows know nothing of the network.
"""

from __future__ import annotations

import concurrent.futures
import logging
import signal

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QInputDialog

from ...protocol.roles import Mode, Phase
from ..client import JoinTicket, SessionClient
from ..consent import consent_text
from ..errors import SharerError
from ..media_ports import MediaFactory
from ..session import SharerSession
from ..session_events import (
    AnnotationReceived,
    ChatReceived,
    ConsentRequested,
    MonitorChanged,
    Notice,
    SessionEvent,
    SessionFinished,
    StatusChanged,
    joined_sentence,
)
from .chat_panel import ChatPanel
from .code_window import CodeWindow
from .consent_dialog import ConsentDialog
from .loop_thread import EventRelay, LoopThread
from .overlay import AnnotationOverlay
from .sharing_bar import SharingBar

log = logging.getLogger(__name__)


class _Joined:
    def __init__(self, ticket: JoinTicket) -> None:
        self.ticket = ticket


class _JoinFailed:
    def __init__(self, message: str) -> None:
        self.message = message


class _Reported:
    def __init__(self, message: str) -> None:
        self.message = message


REPORT_QUESTION = (
    "What happened? Your words and this session's number go to the service's administrators."
)


class QtSharer(QObject):
    """The whole window flow of one app run (one session at a time)."""

    def __init__(
        self, client: SessionClient, *, media: MediaFactory, code: str | None = None
    ) -> None:
        super().__init__()
        self.client = client
        self.media = media
        self.loop_thread = LoopThread()
        self.relay = EventRelay()
        self.relay.received.connect(self._on_item, Qt.ConnectionType.QueuedConnection)
        self.code_window = CodeWindow(client.base_url, code)
        self.code_window.share_requested.connect(self._join)
        self.code_window.closed.connect(self.quit)
        self.bar = SharingBar()
        self.chat = ChatPanel()
        self.overlay = AnnotationOverlay()
        self.session: SharerSession | None = None
        self.session_done: concurrent.futures.Future[str] | None = None
        self.dialog: ConsentDialog | None = None
        #: Set by `quit`: what the loop thread posted meanwhile (a join that just finished)
        #: starts nothing, since the loop it would run on is stopping or closed.
        self.quitting = False
        self.bar.pause_requested.connect(lambda: self._act("pause"))
        self.bar.resume_requested.connect(lambda: self._act("resume"))
        self.bar.revoke_requested.connect(lambda: self._act("revoke_control"))
        self.bar.end_requested.connect(lambda: self._act("end"))
        self.bar.chat_requested.connect(self._show_chat)
        self.chat.send_requested.connect(self._send_chat)
        #: The session "Report this session" is about: the current one, else the last one.
        self.reported_session_id: str | None = None
        self.report_dialog: QInputDialog | None = None
        self.bar.report_requested.connect(self.ask_report)
        self.code_window.report_requested.connect(self.ask_report)

    def start(self) -> None:
        self.code_window.show()

    # Joining ------------------------------------------------------------------------------

    def _join(self, code: str) -> None:
        async def join() -> None:
            try:
                self.relay.post(_Joined(await self.client.join(code)))
            except SharerError as exc:
                self.relay.post(_JoinFailed(exc.message))

        self.loop_thread.submit(join())

    def _start_session(self, ticket: JoinTicket) -> None:
        self.code_window.show_message(joined_sentence(ticket.helper))
        session = SharerSession(self.client, ticket, media=self.media, listener=self.relay.post)
        self.session = session
        self.reported_session_id = ticket.session_id
        self.code_window.offer_report(False)

        async def run() -> str:
            try:
                return await session.run()
            except Exception:  # a bug must still end the session visibly (and release input)
                log.exception("the session stopped unexpectedly")
                message = "The session stopped because of an error. Start a new session."
                self.relay.post(SessionFinished(message))
                return message

        self.session_done = self.loop_thread.submit(run())

    # Session events (Qt thread) -----------------------------------------------------------

    def _on_item(self, item: object) -> None:
        if self.quitting:
            return
        if isinstance(item, _Joined):
            self._start_session(item.ticket)
        elif isinstance(item, _JoinFailed):
            self.code_window.set_busy(False)
            self.code_window.show_message(item.message)
        elif isinstance(item, _Reported):
            self.code_window.show_message(item.message)
            if self.bar.isVisible():
                self.bar.status_label.setText(item.message)
        else:
            self._on_event(item)  # type: ignore[arg-type]

    def _on_event(self, event: SessionEvent) -> None:
        match event:
            case ConsentRequested(mode=mode, helper=helper, check=check):
                self._ask_consent(mode, ConsentDialog(consent_text(mode, helper, check)))
            case StatusChanged(status=status):
                self.bar.set_status(status)
                # The code window (minimised while sharing) says the same: it follows the phase.
                self.code_window.show_message(status.sentence())
                if status.phase is Phase.ACTIVE and status.mode is not None:
                    self._show_bar()
            case ChatReceived(text=text):
                self.chat.add_line("Helper", text)
                self.chat.show()
                self.chat.raise_()
            case AnnotationReceived(annotation=annotation):
                self.overlay.apply(annotation)
            case MonitorChanged(monitor=m):
                self.overlay.cover(m.x, m.y, m.width, m.height)
            case Notice(message=message):
                self.bar.status_label.setText(message)
                self.code_window.show_message(message)
            case SessionFinished(message=message):
                self._finished(message)

    def _ask_consent(self, mode: Mode, dialog: ConsentDialog) -> None:
        # A new question replaces the old dialog; closing that one is nobody's answer.
        old, self.dialog = self.dialog, dialog
        if old is not None:
            old.done(QDialog.DialogCode.Rejected)

        def answered(result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
                # The mode this dialog asked for: an answer to a question since replaced (view,
                # while control is asked now) is refused by the controller.
                self._act("answer_consent", mode, result == QDialog.DialogCode.Accepted.value)

        dialog.finished.connect(answered)
        dialog.open()
        dialog.raise_()

    def _show_bar(self) -> None:
        if self.bar.isVisible():
            return
        self.bar.adjustSize()
        screen = QApplication.primaryScreen()
        if screen is not None:
            area = screen.availableGeometry()
            self.bar.move(area.x() + (area.width() - self.bar.width()) // 2, area.y())
        self.bar.show()
        self.code_window.showMinimized()

    def _finished(self, message: str) -> None:
        if self.dialog is not None:
            dialog, self.dialog = self.dialog, None
            dialog.done(QDialog.DialogCode.Rejected)
        self.bar.close_quietly()
        self.overlay.clear()
        self.overlay.hide()
        self.chat.hide()
        self.session = None
        self.code_window.showNormal()
        self.code_window.set_busy(False)
        self.code_window.code_edit.clear()
        self.code_window.show_message(message)
        self.code_window.offer_report(self.reported_session_id is not None)

    # "Report this session" ------------------------------------------------------------------

    def ask_report(self) -> None:
        """Ask for a reason (not modal to the session: it goes on meanwhile), then send it."""
        if self.reported_session_id is None:
            return
        parent = self.bar if self.bar.isVisible() else self.code_window
        dialog = QInputDialog(parent)
        dialog.setWindowTitle("Report this session")
        dialog.setLabelText(REPORT_QUESTION)
        dialog.setOkButtonText("Send report")
        dialog.textValueSelected.connect(self._send_report)
        self.report_dialog = dialog
        dialog.open()

    def _send_report(self, reason: str) -> None:
        session_id = self.reported_session_id
        if session_id is None or not reason.strip():
            return

        async def send() -> None:
            try:
                self.relay.post(_Reported(await self.client.report(session_id, reason.strip())))
            except SharerError as exc:
                self.relay.post(_Reported(exc.message))

        self.loop_thread.submit(send())

    # The person's actions -----------------------------------------------------------------

    def _act(self, name: str, *args: object) -> None:
        session = self.session
        if session is not None:
            session.call_soon(getattr(session, name), *args)

    def _show_chat(self) -> None:
        self.chat.show()
        self.chat.raise_()

    def _send_chat(self, text: str) -> None:
        self._act("send_chat", text)

    def quit(self, *, wait: float = 5.0) -> None:
        """End any session (releasing input), stop the loop and leave the Qt event loop."""
        self.quitting = True
        self._act("end")
        done = self.session_done
        if done is not None:
            try:
                done.result(wait)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                log.warning("the session did not stop in time")
        self.loop_thread.stop()
        app = QApplication.instance()
        if app is not None:
            app.quit()


def run_qt(client: SessionClient, *, media: MediaFactory, code: str | None = None) -> int:
    """Show the app and run Qt's event loop until the code window is closed."""
    app = QApplication.instance() or QApplication(["quickassist"])
    assert isinstance(app, QApplication)
    app.setApplicationName("quickassist")
    app.setQuitOnLastWindowClosed(False)
    sharer = QtSharer(client, media=media, code=code)
    # Ctrl+C and SIGTERM end the session properly (held keys released, the helper told).
    # Python runs signal handlers only between bytecodes: a timer lets it in now and then.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: sharer.quit())
    heartbeat = QTimer()
    heartbeat.timeout.connect(lambda: None)
    heartbeat.start(200)
    sharer.start()
    status = app.exec()
    heartbeat.stop()
    return int(status)
