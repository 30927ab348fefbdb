"""The real Qt sharer app (`quickassist share`) on an Xvfb, driven as a person would.

`SharerWindows` starts the app through `tests.e2e.qt_inspector` (the unchanged command with a
window inspector attached), reads what its windows show (titles, labels, buttons, text boxes)
and acts on them with real X input through xdotool: focus a window, click a button where it
is on the screen, type into a box.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fixtures.service import LiveService, quickassist_env
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

ROOT = Path(__file__).resolve().parents[2]
CODE_WINDOW = "quickassist: share your screen"
BAR = "quickassist: sharing your screen"
CHAT = "quickassist: chat"

Window = dict[str, Any]


class SharerWindows:
    """One run of the Qt sharer app on `xvfb`; `stop()` ends it (SIGTERM, then kill)."""

    def __init__(self, service: LiveService, xvfb: XvfbServer, scratch: Path) -> None:
        self.xvfb = xvfb
        self.dump = scratch / "windows.json"
        home = scratch / "home"
        home.mkdir(exist_ok=True)
        self.log = scratch / "sharer.log"
        env = quickassist_env(
            {"DISPLAY": xvfb.display, "QT_QPA_PLATFORM": "xcb", "HOME": str(home)}
        )
        for key in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"):
            env.pop(key, None)
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.e2e.qt_inspector",
                    str(self.dump),
                    "share",
                    service.base_url,
                    "--fingerprint",
                    service.fingerprint,
                ],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def windows(self) -> list[Window]:
        try:
            found: list[Window] = json.loads(self.dump.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return []
        return found

    def find(self, title: str) -> Window | None:
        for window in self.windows():
            if window["title"] == title and not window["minimized"]:
                return window
        return None

    async def wait_window(self, title: str, text: str | None = None) -> Window:
        """The window called `title` once it shows (and some widget shows `text`, if given)."""
        async with asyncio.timeout(WAIT):
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(f"the sharer app exited:\n{self.log.read_text()}")
                window = self.find(title)
                if window is not None and (text is None or any(text in t for t in texts(window))):
                    return window
                await asyncio.sleep(0.05)

    async def wait_gone(self, title: str) -> None:
        async with asyncio.timeout(WAIT):
            # Another process's windows: nothing to await but the inspector's next dump.
            while self.find(title) is not None:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

    async def click(self, title: str, button: str) -> None:
        """Click the button labelled `button` in window `title` with the real X pointer."""
        window = await self.wait_window(title)
        widget = next(
            (
                w
                for w in window["widgets"]
                if w["class"] == "QPushButton" and w["text"] == button and w["enabled"]
            ),
            None,
        )
        assert widget is not None, f"no enabled {button!r} button in {window}"
        await self.xdotool("windowfocus", "--sync", str(window["window_id"]))
        x = widget["x"] + widget["width"] // 2
        y = widget["y"] + widget["height"] // 2
        # `--sync` waits for the pointer to move: it never returns if the pointer is already
        # there (two dialogs of the same size in a row), so step off the target first.
        await self.xdotool("mousemove", str(x + 1), str(y + 1))
        await self.xdotool("mousemove", "--sync", str(x), str(y), "click", "1")

    async def type_into(self, title: str, text: str) -> None:
        """Click the text box of window `title`, type `text` and press Enter."""
        window = await self.wait_window(title)
        box = next(w for w in window["widgets"] if w["class"] == "QLineEdit" and w["enabled"])
        await self.xdotool("windowfocus", "--sync", str(window["window_id"]))
        x, y = box["x"] + box["width"] // 2, box["y"] + box["height"] // 2
        await self.xdotool("mousemove", "--sync", str(x), str(y), "click", "1")
        await self.xdotool("type", "--delay", "30", text)
        await self.xdotool("key", "Return")

    async def xdotool(self, *args: str) -> None:
        process = await asyncio.create_subprocess_exec("xdotool", *args, env=self.xvfb.env)
        async with asyncio.timeout(WAIT):
            assert await process.wait() == 0, args

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT)
        return self.process.returncode


def texts(window: Window) -> list[str]:
    """Every text the window shows (labels, buttons, boxes), in layout order."""
    return [w["text"] for w in window["widgets"]]
