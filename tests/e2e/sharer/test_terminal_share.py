"""`quickassist share --no-gui` through a real pseudo-terminal, against the real service, with
capture on Xvfb: the code prompt, a wrong code's sentence, the y/N consent question (default
No), pause and end."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from quickassist.protocol.roles import EndReason, Role
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.service import LiveService, quickassist_env
from tests.fixtures.session_clients import ScriptedHelper, Side
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11


class Terminal:
    """A `quickassist share` process on a pty: type lines, wait for text."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self.master = master
        self.process = subprocess.Popen(
            [sys.executable, "-m", "quickassist", "share", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.output = ""
        self._seen = 0

    def _read(self, timeout: float) -> None:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the child closed the pty
                chunk = b""
            if not chunk:
                raise EOFError(self.output)
            self.output += chunk.decode("utf-8", "replace").replace("\r\n", "\n")

    def expect(self, text: str) -> str:
        """Wait until `text` appears after what earlier expects consumed; returns the output."""
        deadline = time.monotonic() + WAIT
        while text not in self.output[self._seen :]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared in:\n{self.output}")
            try:
                self._read(left)
            except EOFError:
                raise AssertionError(f"{text!r} never appeared; output:\n{self.output}") from None
        end = self.output.index(text, self._seen) + len(text)
        self._seen = end
        return self.output[:end]

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def wait_exit(self) -> int:
        deadline = time.monotonic() + WAIT
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                self._read(0.1)
            except EOFError:
                break
        return self.process.wait(max(0.1, deadline - time.monotonic()))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(WAIT)
        os.close(self.master)


@pytest.fixture
def terminal_env(live_service: LiveService, xvfb: XvfbServer) -> dict[str, str]:
    env = quickassist_env({"DISPLAY": xvfb.display})
    env.pop("QT_QPA_PLATFORM", None)
    return env


@pytest.fixture
def share(live_service: LiveService, terminal_env: dict[str, str]) -> Iterator[object]:
    started: list[Terminal] = []

    def start(*extra: str) -> Terminal:
        terminal = Terminal(
            [
                live_service.base_url,
                "--fingerprint",
                live_service.fingerprint,
                "--no-gui",
                *extra,
            ],
            terminal_env,
        )
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.close()


async def in_thread(function: object, *args: object) -> str:
    return await asyncio.to_thread(function, *args)  # type: ignore[arg-type]


async def secured_helper(scripted_helper: ScriptedHelper, session_id: str) -> tuple[Side, str]:
    """The helper's console: connect, and secure the session once the sharer is there."""
    helper = await scripted_helper.connect(session_id)
    await helper.wait_type("state", sharer_connected=True)
    return helper, await helper.secure_as_helper(E2EPeer(session_id, helper=True))


async def test_wrong_code_then_consent_defaults_to_no(
    share: object, scripted_helper: ScriptedHelper
) -> None:
    created = await scripted_helper.create_session()
    wrong = "ZZZ-ZZZ" if created["code"] != "ZZZZZZ" else "YYY-YYY"
    terminal: Terminal = share()  # type: ignore[operator]
    await in_thread(terminal.expect, "Code from your helper: ")
    terminal.type(wrong)
    await in_thread(terminal.expect, "That code is not valid.")
    await in_thread(terminal.expect, "Code from your helper: ")
    terminal.type(created["code_display"])
    await in_thread(terminal.expect, "Connected to the session of Ada L. from Contoso")
    helper, check = await secured_helper(scripted_helper, created["session_id"])
    await helper.send_json({"type": "choose_mode", "mode": "control"})
    shown = await in_thread(terminal.expect, "Allow? [y/N] ")
    question = shown[shown.rindex("Allow full control?") :]
    assert "Ada L. · Contoso (organisation not verified) is asking." in question
    assert f"Your helper should read you these digits: {check}" in question
    assert "control your screen" in question
    assert "Only allow if you started this contact and trust this person." in question
    terminal.type("")  # just Enter: the default is No
    await in_thread(terminal.expect, "Declined.")
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "declined"
    assert await asyncio.to_thread(terminal.wait_exit) == 0
    # The person who declined reads a sentence for them, not the helper's.
    assert terminal.output.splitlines()[-1] == EndReason.DECLINED.sentence_for(Role.SHARER)
    assert not helper.frames


async def test_allow_pause_and_end(share: object, scripted_helper: ScriptedHelper) -> None:
    created = await scripted_helper.create_session()
    terminal: Terminal = share("--code", created["code"])  # type: ignore[operator]
    await in_thread(terminal.expect, "Connected to the session of Ada L. from Contoso")
    helper, _ = await secured_helper(scripted_helper, created["session_id"])
    await helper.send_json({"type": "choose_mode", "mode": "view"})
    await in_thread(terminal.expect, "Allow? [y/N] ")
    terminal.type("y")
    await helper.wait_type("state", phase="active")
    await helper.wait_frame(lambda f: f.kind == 1)
    await in_thread(terminal.expect, "Ada L. (Contoso) can see your screen.")
    since = len(helper.texts)
    terminal.type("p")
    await in_thread(terminal.expect, "Paused.")
    await helper.wait_type("state", since=since, paused=True)
    terminal.type("e")
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "sharer_ended"
    assert await asyncio.to_thread(terminal.wait_exit) == 0
    assert "You ended the session." in terminal.output


async def test_ctrl_c_ends_the_session_for_the_helper_too(
    share: object, scripted_helper: ScriptedHelper
) -> None:
    created = await scripted_helper.create_session()
    terminal: Terminal = share("--code", created["code"])  # type: ignore[operator]
    await in_thread(terminal.expect, "Connected to the session of Ada L. from Contoso")
    helper, _ = await secured_helper(scripted_helper, created["session_id"])
    await helper.send_json({"type": "choose_mode", "mode": "control"})
    await in_thread(terminal.expect, "Allow? [y/N] ")
    terminal.type("yes")
    await helper.wait_type("state", phase="active", mode="control")
    terminal.process.send_signal(signal.SIGINT)  # what Ctrl+C sends
    ended = await helper.wait_type("ended")
    assert ended["reason"] == "sharer_ended"
    assert await asyncio.to_thread(terminal.wait_exit) == 0


async def test_no_screen_to_share_is_said_plainly_and_the_helper_told(
    live_service: LiveService, scripted_helper: ScriptedHelper, terminal_env: dict[str, str]
) -> None:
    created = await scripted_helper.create_session()
    env = dict(terminal_env, DISPLAY=":4242")  # no X server there
    terminal = Terminal(
        [
            live_service.base_url,
            "--fingerprint",
            live_service.fingerprint,
            "--no-gui",
            "--code",
            created["code"],
        ],
        env,
    )
    try:
        helper = await scripted_helper.connect(created["session_id"])
        await in_thread(terminal.expect, "The screen cannot be opened (X display :4242).")
        ended = await helper.wait_type("ended")
        assert ended["reason"] == "sharer_ended"
        assert await asyncio.to_thread(terminal.wait_exit) == 1
        assert "Traceback" not in terminal.output
    finally:
        terminal.close()
