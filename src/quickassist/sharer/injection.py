"""The helper's input, applied in order on one thread off the event loop (STYLE.md habit 5).

Injection talks to the X server and may block; the session's loop must not. Events are queued
to one thread in the order they were admitted, and each is checked once more on that thread
(`allowed`, the guard's current answer) right before it is applied: a pause or a take-back
between receipt and injection wins. `close` always releases what the helper holds first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

from ..protocol.payloads import InputEvent, ReleaseAll
from .media_ports import InputSink


class InjectionWorker:
    """One input sink driven from one thread; everything submitted runs in order."""

    def __init__(self, sink: InputSink, *, allowed: Callable[[], bool]) -> None:
        self._sink = sink
        self._allowed = allowed
        self._thread = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="quickassist-inject"
        )
        self._closed = False

    def inject(self, event: InputEvent) -> None:
        """Apply `event` on the thread, if input is still allowed when its turn comes."""

        def apply() -> None:
            # Checked again on the injection thread: a pause between receipt and injection wins.
            if isinstance(event, ReleaseAll) or self._allowed():
                self._sink.apply(event)

        self._submit(apply)

    def release_all(self) -> None:
        """Release every key and button the helper holds (after what is already queued)."""
        self._submit(self._sink.release_all)

    def set_monitor(self, monitor: Any) -> None:
        """Coordinates of events queued from now on are relative to `monitor`."""
        self._submit(self._sink.set_monitor, monitor)

    async def close(self) -> None:
        """Release everything held, close the sink and stop the thread; later calls do nothing."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            # Always, whatever happened: never leave a key or button held down.
            await loop.run_in_executor(self._thread, self._sink.release_all)
            await loop.run_in_executor(self._thread, self._sink.close)
        finally:
            self._thread.shutdown(wait=True)

    def _submit(self, action: Callable[..., None], *args: Any) -> None:
        if not self._closed:
            self._thread.submit(action, *args)
