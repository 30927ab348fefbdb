"""Steps shared by the tests that start a sharer app as a person does (the one-file app, the
desktop entry's command): its code window on Xvfb, a join, the consent dialog, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from tests.e2e.sharer.test_share_command_x11 import find_window, xdotool
from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.session_clients import ScriptedHelper
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT


async def share_until_consent_then_stop(
    process: asyncio.subprocess.Process,
    xvfb: XvfbServer,
    helper: ScriptedHelper,
    created: dict[str, Any],
    *,
    type_code: bool,
) -> None:
    """In the app's code window, (type the code and) press Enter; the helper sees the sharer
    join and asks to view; once the consent dialog shows, SIGTERM ends the session as the
    sharer's (exit 0)."""
    window = await find_window(xvfb, "quickassist: share your screen")
    # No window manager: give the window the keyboard first.
    await xdotool(xvfb, "windowfocus", "--sync", window)
    if type_code:
        await xdotool(xvfb, "type", "--delay", "20", created["code_display"])
    await xdotool(xvfb, "key", "Return")
    side = await helper.connect(created["session_id"])
    await side.wait_type("state", phase="joined", sharer_connected=True)
    await side.secure_as_helper(E2EPeer(created["session_id"], helper=True))
    await side.send_json({"type": "choose_mode", "mode": "view"})
    await find_window(xvfb, "Allow screen sharing?")
    process.send_signal(signal.SIGTERM)
    ended = await side.wait_type("ended")
    assert ended["reason"] == "sharer_ended"
    async with asyncio.timeout(WAIT):
        assert await process.wait() == 0
