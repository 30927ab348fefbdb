"""`quickassist share` as people start it: the Qt window on a real X server (xcb), the consent
dialog as its own window, SIGTERM ending the session properly, and no files left behind."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.e2e_peer import E2EPeer
from tests.fixtures.service import LiveService, quickassist_env
from tests.fixtures.session_clients import ScriptedHelper
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11


async def find_window(xvfb: XvfbServer, name: str) -> str:
    """The id of a mapped window called `name` (polls: X sends us no event for others' maps)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = await asyncio.to_thread(
            subprocess.run,
            ["xdotool", "search", "--onlyvisible", "--name", f"^{re.escape(name)}$"],
            env=xvfb.env,
            capture_output=True,
            text=True,
        )
        if found.stdout.split():
            return found.stdout.split()[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no window named {name!r}")


async def xdotool(xvfb: XvfbServer, *args: str) -> None:
    process = await asyncio.create_subprocess_exec("xdotool", *args, env=xvfb.env)
    assert await process.wait() == 0


def start_share(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


async def test_the_window_flow_on_x_and_sigterm_ends_the_session(
    live_service: LiveService,
    scripted_helper: ScriptedHelper,
    xvfb: XvfbServer,
    tmp_path: Path,
) -> None:
    created = await scripted_helper.create_session()
    home = tmp_path / "home"
    home.mkdir()
    env = quickassist_env({"DISPLAY": xvfb.display, "HOME": str(home), "QT_QPA_PLATFORM": "xcb"})
    for key in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
        env.pop(key, None)
    process = start_share(
        [
            sys.executable,
            "-m",
            "quickassist",
            "share",
            live_service.base_url,
            "--fingerprint",
            live_service.fingerprint,
            "--code",
            created["code_display"],
        ],
        env,
    )
    try:
        window = await find_window(xvfb, "quickassist: share your screen")
        # No window manager: give the window the keyboard, then press Enter (Share screen).
        await xdotool(xvfb, "windowfocus", "--sync", window)
        await xdotool(xvfb, "key", "Return")
        helper = await scripted_helper.connect(created["session_id"])
        await helper.wait_type("state", phase="joined", sharer_connected=True)
        await helper.secure_as_helper(E2EPeer(created["session_id"], helper=True))
        await helper.send_json({"type": "choose_mode", "mode": "control"})
        await find_window(xvfb, "Allow full control?")
        process.send_signal(signal.SIGTERM)
        ended = await helper.wait_type("ended")
        assert ended["reason"] == "sharer_ended"
        assert await asyncio.to_thread(process.wait, WAIT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)
        assert process.stderr is not None
        stderr = process.stderr.read()
        process.stderr.close()
    # No traces: nothing written under the home directory (no logs, no cache, no config).
    assert [p.relative_to(home) for p in home.rglob("*")] == [], stderr
