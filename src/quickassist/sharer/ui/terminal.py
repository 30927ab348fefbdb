"""The terminal fallback: the whole sharing flow on a text console.

Used with `--no-gui` or when no display is available for Qt. Same steps as the window: the code
prompt, the consent question (an explicit y/N, default No, with the same words as the dialog),
status lines, and single-letter commands: ``p`` pauses or resumes, ``t`` takes back control,
``c TEXT`` sends a chat line, ``e`` (or Ctrl+C) ends. There is no way to skip consent.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
import unicodedata
from typing import TextIO

from ...protocol.roles import Mode
from ..client import JoinTicket, SessionClient
from ..consent import SCAM_WARNING, consent_text
from ..errors import CodeRefused, SharerError, TooManyAttempts
from ..media_ports import MediaFactory
from ..session import SharerSession
from ..session_events import (
    ChatReceived,
    ConsentRequested,
    Notice,
    SessionEvent,
    SessionFinished,
    SessionStatus,
    StatusChanged,
    joined_sentence,
)

HELP = (
    "Commands: p + Enter pauses or resumes, t takes back control, c TEXT chats, e ends, "
    "r REASON reports this session to the service's administrators."
)


def printable(text: str) -> str:
    """`text` without control characters: a helper's chat must not drive the terminal."""
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch == " " else "\N{REPLACEMENT CHARACTER}"
        for ch in text
    )


class LineReader:
    """Lines from `stream`, read on a daemon thread and handed to the event loop."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, name="quickassist-stdin", daemon=True).start()

    def _read(self) -> None:
        for line in self._stream:
            self._loop.call_soon_threadsafe(self._lines.put_nowait, line.rstrip("\r\n"))
        self._loop.call_soon_threadsafe(self._lines.put_nowait, None)

    async def readline(self) -> str | None:
        """The next line, or None once the input is closed."""
        return await self._lines.get()


class TerminalSharer:
    """Runs one sharing session on the terminal; `run` returns the process exit status."""

    def __init__(
        self,
        client: SessionClient,
        *,
        media: MediaFactory,
        code: str | None = None,
        out: TextIO = sys.stdout,
        stdin: TextIO = sys.stdin,
    ) -> None:
        self._client = client
        self._media = media
        self._code = code
        self._out = out
        self._stdin = stdin
        self._session: SharerSession | None = None
        #: The mode the question on screen asks for (None: no question).
        self._consent_mode: Mode | None = None
        self._last_status = ""

    def say(self, text: str) -> None:
        # Names, chat and sentences can come from the network: never let them drive the terminal.
        self._out.write(printable(text) + "\n")
        self._out.flush()

    def ask(self, prompt: str) -> None:
        self._out.write(prompt)
        self._out.flush()

    async def run(self) -> int:
        self._lines = LineReader(self._stdin)
        self.say(f"quickassist: share your screen with a helper ({self._client.base_url}).")
        self.say(SCAM_WARNING)
        ticket = await self._join()
        if ticket is None:
            return 1
        self._last_status = joined_sentence(ticket.helper)  # the first status says the same
        self.say(self._last_status)
        self.say(HELP)
        session = SharerSession(self._client, ticket, media=self._media, listener=self._on_event)
        self._session = session
        loop = asyncio.get_running_loop()
        # Ctrl+C and SIGTERM end the session properly: held keys released, the helper told.
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, session.end)
        commands = asyncio.create_task(self._commands(session))
        try:
            message = await session.run()
        finally:
            commands.cancel()
            for signum in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        self.say(message)
        return 1 if session.failed else 0

    async def _join(self) -> JoinTicket | None:
        code = self._code
        while True:
            if not code:
                self.ask("Code from your helper: ")
                code = await self._lines.readline()
                if code is None:
                    return None
                if not code.strip():
                    code = None
                    continue
            try:
                return await self._client.join(code)
            except TooManyAttempts as exc:
                self.say(exc.message)
                return None
            except CodeRefused as exc:
                self.say(exc.message)
                code = None
            except SharerError as exc:
                self.say(exc.message)
                return None

    async def _report(self, session_id: str, reason: str) -> None:
        """ "Report this session": the session id and the reason, to the abuse log."""
        try:
            self.say(await self._client.report(session_id, reason))
        except SharerError as exc:
            self.say(exc.message)

    def _on_event(self, event: SessionEvent) -> None:
        match event:
            case ConsentRequested(mode=mode, helper=helper, check=check):
                text = consent_text(mode, helper, check)
                self.say("")
                self.say(text.title)
                for line in text.lines():
                    self.say("  " + line)
                self._consent_mode = mode
                self.ask("Allow? [y/N] ")
            case StatusChanged(status=status):
                self._show_status(status)
            case ChatReceived(text=text):
                self.say(f"Helper: {text}")
            case Notice(message=message):
                self.say(message)
            case SessionFinished():
                pass  # `run` prints the final sentence once the session has shut down
            case _:
                pass  # annotations have nowhere to go on a terminal

    def _show_status(self, status: SessionStatus) -> None:
        sentence = status.sentence()
        if sentence != self._last_status:
            self._last_status = sentence
            self.say(sentence)

    async def _commands(self, session: SharerSession) -> None:
        while True:
            line = await self._lines.readline()
            if line is None:
                return
            answer = line.strip()
            if self._consent_mode is not None:
                mode, self._consent_mode = self._consent_mode, None
                allow = answer.lower() in ("y", "yes")
                self.say("Allowed." if allow else "Declined.")
                session.answer_consent(mode, allow)
                continue
            command, _, rest = answer.partition(" ")
            command = command.lower()
            if command == "p":
                if session.guard.paused:
                    session.resume()
                    self.say("Resuming...")
                else:
                    session.pause()
                    self.say("Paused. Type p and Enter to resume.")
            elif command == "t":
                if session.guard.mode is Mode.CONTROL:
                    session.revoke_control()
                    self.say("You took back control; your helper can only see your screen.")
                else:
                    self.say("Your helper does not have control.")
            elif command == "c" and rest.strip():
                session.send_chat(rest)
            elif command == "r" and rest.strip():
                await self._report(session.ticket.session_id, rest.strip())
            elif command == "e":
                session.end()
                return
            elif answer:
                self.say(HELP)
