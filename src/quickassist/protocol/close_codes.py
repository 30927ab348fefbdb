"""The WebSocket close codes the relay and its clients use, which of them are final, and why.

RFC 6455 section 7.4 defines the 1000-range codes; 4000-4999 are ours (private use), chosen to
echo the HTTP status of the same meaning (4401 ~ 401, 4404 ~ 404, ...). docs/protocol.md
section 4 lists them; the console reads the same table from tests/vectors/close_codes.json (its
twin is console/core/close-codes.js) and a test on each side fails if the two drift.

A close frame's reason is always a plain sentence. The service writes a specific one where it
knows more (the end reason, "Enter the code from your helper first."); `sentence` is the default
a client shows when the reason is empty, worded for either side (helper or sharer).
"""

from __future__ import annotations

import enum
from types import MappingProxyType


class CloseCode(enum.IntEnum):
    #: The session ended; an `ended` message precedes it.
    NORMAL = 1000
    #: The service is shutting down (the session ended with `server_shutdown`, or a proxy left).
    GOING_AWAY = 1001
    #: The side owed more never-dropped traffic than the relay holds: it was not reading.
    TOO_SLOW = 1008
    #: A message larger than the limit (the relay's frame limit, or a client's `max_size`).
    MESSAGE_TOO_BIG = 1009
    #: A malformed frame or control message.
    MALFORMED = 4400
    #: Not signed in (helper), or a missing or wrong sharer token.
    NOT_AUTHENTICATED = 4401
    #: A WebSocket upgrade from another origin.
    CROSS_ORIGIN = 4403
    #: No such session (or not this helper's).
    UNKNOWN_SESSION = 4404
    #: A newer connection of the same side replaced this one.
    REPLACED = 4409
    #: The session has already ended.
    ALREADY_ENDED = 4410
    #: The helper's sign-in ended (logout, signed out everywhere, password changed, account
    #: disabled or removed): their sessions ended with it. 4440 echoes HTTP 440, "login
    #: time-out" (the sign-in is over; sign in again), as 4401 echoes 401.
    SIGNED_OUT = 4440

    @property
    def final(self) -> bool:
        """Whether reconnecting cannot help (a client gives up at once instead of retrying)."""
        return self in FINAL

    @property
    def sentence(self) -> str:
        """The default plain sentence for people, for a close without a reason."""
        return SENTENCES[self]

    @classmethod
    def is_final(cls, code: int | None) -> bool:
        """`final` for any received code; an unknown or missing code is worth a retry."""
        return code in FINAL

    @classmethod
    def sentence_for(cls, code: int | None) -> str | None:
        """`sentence` for any received code; None for a code that is not ours (or none)."""
        if code is None:
            return None
        try:
            return cls(code).sentence
        except ValueError:  # a code from a proxy or the WebSocket library, not the relay
            return None


#: Codes after which reconnecting cannot help. Every code is here whose cause a new connection
#: would meet again: the session is over (1000, 4410) or gone (4404), the credentials or origin
#: are wrong (4401, 4403), another connection took the place (4409), or the peer broke the
#: protocol (4400, 1009), or the helper's sign-in ended (4440: the session ended with it, and the
#: cookie would be refused). 1009 was missing from the sharer's list while the console had it: an
#: oversized message is a broken peer exactly like a malformed one (the limits are fixed and
#: known to both sides), so the same sender would send it again after a reconnect; final, like
#: 4400. Not final: 1001 (a proxy or node going away: the session may live on elsewhere; when
#: the service itself ends the session, the `ended` message before 1001 already stops the client)
#: and 1008 (the slow side's backlog was dropped with the connection; a fresh one starts clean
#: and the session's grace period covers the gap).
FINAL: frozenset[CloseCode] = frozenset(
    {
        CloseCode.NORMAL,
        CloseCode.MESSAGE_TOO_BIG,
        CloseCode.MALFORMED,
        CloseCode.NOT_AUTHENTICATED,
        CloseCode.CROSS_ORIGIN,
        CloseCode.UNKNOWN_SESSION,
        CloseCode.REPLACED,
        CloseCode.ALREADY_ENDED,
        CloseCode.SIGNED_OUT,
    }
)

SENTENCES: MappingProxyType[CloseCode, str] = MappingProxyType(
    {
        CloseCode.NORMAL: "The session has ended.",
        CloseCode.GOING_AWAY: "The service is shutting down. Try again once it is back.",
        CloseCode.TOO_SLOW: "The connection is too slow to keep up. Reconnect to continue.",
        CloseCode.MESSAGE_TOO_BIG: (
            "A message was larger than the service allows, so the connection was closed."
        ),
        CloseCode.MALFORMED: "A message could not be read, so the connection was closed.",
        CloseCode.NOT_AUTHENTICATED: (
            "The service did not accept this connection's sign-in. Start again with a new code."
        ),
        CloseCode.CROSS_ORIGIN: "Connections from other sites are refused.",
        CloseCode.UNKNOWN_SESSION: "That session no longer exists. Start again with a new code.",
        CloseCode.REPLACED: "This session was opened again somewhere else, so it was closed here.",
        CloseCode.ALREADY_ENDED: "The session has already ended. Start again with a new code.",
        CloseCode.SIGNED_OUT: (
            "You were signed out, so the session ended. Sign in again to start a new session."
        ),
    }
)
