"""A helper's live sessions end with the sign-in that created them (or opened their socket).

Every HTTP request looks its cookie up (`auth.HelperSessions`), but a helper's relay WebSocket
was checked once, at the upgrade: without this module a revoked sign-in left the helper
watching (or controlling) the screen until the socket dropped. Two ways in, one way out
(`SessionHub.sign_out`: the helper's socket closes with `CloseCode.SIGNED_OUT`, the sharer hears
that the helper ended the session):

- at once, for what this process revokes: `SignInWatch.store` wraps the sign-in store, so a
  logout (that sign-in's sessions) or a revocation of every sign-in of a helper (logout
  everywhere, an administrator's disable, remove or two-factor reset: every session of theirs)
  ends the sessions the moment the rows go: this node's, and with many nodes the others'
  (a session is pinned to a node that may not be the one that served the logout): the hub
  calls each live node once through the node link (service.node_link, ``sign_out``);
- within `CHECK_SECONDS`, for the rest: the CLI (``quickassist user passwd|signout|disable|
  remove``) writes the database from another process, and a node may have missed the call.
  Every node re-checks, against the shared store, the sign-in behind each live session it
  holds (a code still waiting for its helper's socket included). A changed password, a
  disabled or removed account and an expired sign-in fail that check like a deleted row does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from .auth import HelperSessions
from .helper_session_store import HelperSessionStore, StoredSignIn
from .hub import TICK_SECONDS, SessionHub

log = logging.getLogger(__name__)

#: How often (service clock) each node re-checks the sign-ins behind its live sessions. A check
#: is one indexed read of the sign-in and one of the account per sign-in behind a live session:
#: 1,000 sessions on a node cost at most 200 reads a second at 10 s, and a revocation from the
#: CLI is at most 10 s late (one from the service itself is not late at all).
CHECK_SECONDS = 10.0


class _EndingSessionsStore:
    """A `HelperSessionStore` whose revocations also end the sessions they signed out."""

    def __init__(self, inner: HelperSessionStore, hub: SessionHub) -> None:
        self._inner = inner
        self._hub = hub

    async def add(self, digest: str, sign_in: StoredSignIn, now: float) -> None:
        await self._inner.add(digest, sign_in, now)

    async def get(self, digest: str, now: float) -> StoredSignIn | None:
        return await self._inner.get(digest, now)

    async def revoke(self, digest: str) -> None:
        await self._inner.revoke(digest)
        await self._hub.sign_out(sign_in=digest)

    async def revoke_helper(self, helper_id: int) -> int:
        ended = await self._inner.revoke_helper(helper_id)
        await self._hub.sign_out(helper_id=helper_id)
        return ended

    async def sweep(self, now: float) -> int:
        return await self._inner.sweep(now)


class SignInWatch:
    """Ends this node's sessions whose helper sign-in ended (see the module's docstring)."""

    def __init__(
        self,
        hub: SessionHub,
        sign_ins: HelperSessions,
        *,
        clock: Callable[[], float],
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self._hub = hub
        self._sign_ins = sign_ins
        self._clock = clock
        self._check_seconds = check_seconds
        self._task: asyncio.Task[None] | None = None
        #: `sign_ins.store` from now on: its revocations end sessions at once.
        self.store: HelperSessionStore = _EndingSessionsStore(sign_ins.store, hub)
        sign_ins.store = self.store

    async def check(self) -> int:
        """End the sessions whose sign-in (`LiveSession.helper_sign_in`) is no longer valid;
        how many."""
        ended = 0
        for digest in self._hub.helper_sign_ins():
            if not await self._sign_ins.still_signed_in(digest):
                # Every node checks its own: no call to the others.
                ended += await self._hub.sign_out(sign_in=digest, everywhere=False)
        return ended

    async def start(self) -> None:
        self._task = asyncio.create_task(self._check_forever(), name="sign-in-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _check_forever(self) -> None:
        # Woken at the hub's pace and timed by the service's clock (which tests move), so a
        # check is due `check_seconds` of that clock after the last.
        due = self._clock() + self._check_seconds
        while True:
            await asyncio.sleep(TICK_SECONDS)
            if self._clock() < due:
                continue
            due = self._clock() + self._check_seconds
            try:
                await self.check()
            except Exception:  # a store that failed once must not stop every later check
                log.exception("checking the helpers' sign-ins failed")
