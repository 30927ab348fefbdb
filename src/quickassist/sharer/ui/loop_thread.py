"""An asyncio event loop on its own thread, for the Qt app.

Qt owns the main thread; the session (network, capture, injection) runs on this loop. The Qt
side hands coroutines over with `submit`; the session hands events back through a Qt signal
(`EventRelay`), which Qt queues to the main thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

_T = TypeVar("_T")


class LoopThread:
    """Runs an event loop on a daemon thread until `stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="quickassist-session", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def submit(self, coroutine: Coroutine[Any, Any, _T]) -> concurrent.futures.Future[_T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def stop(self, *, wait: float = 5.0) -> None:
        """Cancel what is left, stop the loop and join the thread."""
        if self.loop.is_closed():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        # Stragglers are left behind: the thread is a daemon and the process is ending.
        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            self.submit(cancel_all()).result(wait)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(wait)
        if not self._thread.is_alive():
            self.loop.close()


class EventRelay(QObject):
    """Carries objects from the loop thread to the Qt thread (queued signal)."""

    received = Signal(object)

    def post(self, item: object) -> None:
        """Callable from any thread; the slot runs on the Qt thread."""
        self.received.emit(item)
