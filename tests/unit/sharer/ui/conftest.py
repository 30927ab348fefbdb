"""A `QtSharer` with no session behind it, for tests that feed it events (offscreen Qt)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from quickassist.sharer.client import SessionClient
from quickassist.sharer.media_ports import FrameSource, InputSink


def no_media() -> tuple[FrameSource, InputSink]:
    raise AssertionError("no session runs here")


@pytest.fixture
def qt_sharer(qapp: Any) -> Iterator[Any]:
    from quickassist.sharer.ui.qt_app import QtSharer

    sharer = QtSharer(SessionClient("https://quickassist.test"), media=no_media)
    sharer.start()
    yield sharer
    sharer.loop_thread.stop()
    if sharer.dialog is not None:
        sharer.dialog.done(0)
    sharer.bar.close_quietly()
    sharer.code_window.close()
