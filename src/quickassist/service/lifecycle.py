"""Start-up and shut-down hooks of the service, run by the ASGI lifespan.

Parts of the service register coroutines instead of each owning a lifespan::

    lifecycle = app.state.lifecycle
    lifecycle.on_startup.append(hub.start)        # run in order at start
    lifecycle.on_shutdown.append(hub.end_all)     # run in reverse order at stop

Shut-down hooks run once, whichever comes first: `quickassist serve`'s server calls
`Lifecycle.shutdown` as soon as SIGINT/SIGTERM arrives, while WebSocket connections are still
open (so a hook can tell peers "server_shutdown"); the lifespan shutdown calls it again
afterwards, which then does nothing. In-process tests get the same hooks from the lifespan.

``on_closed`` hooks (the store's) run last, in the lifespan shutdown, after every connection
has closed.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

Hook = Callable[[], Awaitable[None]]

logger = logging.getLogger(__name__)


class Lifecycle:
    """Ordered start-up hooks and reverse-ordered, run-once shut-down hooks."""

    def __init__(self) -> None:
        self.on_startup: list[Hook] = []
        self.on_shutdown: list[Hook] = []
        self.on_closed: list[Hook] = []
        self._shut_down = False

    async def startup(self) -> None:
        for hook in self.on_startup:
            await hook()

    async def shutdown(self) -> None:
        """Run every shut-down hook once, newest first; one failing does not stop the rest."""
        if self._shut_down:
            return
        self._shut_down = True
        await _run_all(reversed(self.on_shutdown))

    async def close(self) -> None:
        """Run the ``on_closed`` hooks, newest first (after `shutdown`)."""
        await self.shutdown()
        await _run_all(reversed(self.on_closed))

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """The ASGI lifespan: start-up hooks, then serve, then shut-down hooks."""
        try:
            # Inside the try: if a step fails, the ones already started are still stopped.
            await self.startup()
            yield
        finally:
            await self.close()


async def _run_all(hooks: Iterable[Hook]) -> None:
    for hook in hooks:
        try:
            await hook()
        except Exception:
            # Shutting down must reach the end (the store closes last): log and go on.
            logger.exception("A shut-down step failed")
