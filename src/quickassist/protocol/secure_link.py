"""The sharer's end of the end-to-end encryption (protocol/e2e.py; docs/protocol.md section 6).

`SecureLink` holds what one session needs and nothing that does I/O: the handshake in progress,
the current channel (keys and counters), the resume secret that binds every reconnect's
handshake to the first, and the count of frames refused. The session controller feeds it clear
handshake payloads and encrypted frames and sends what it returns.

The helper starts every handshake; the sharer answers each commit with a fresh key (dropping
the keys it had), so keys are renewed on every reconnect. Until a handshake completes, nothing
but handshake messages leaves in the clear; the controller holds or drops the rest.
"""

from __future__ import annotations

import logging
import os

from .e2e import (
    Commit,
    KeyOffer,
    RandomSource,
    Reveal,
    SecureChannel,
    SharerHandshake,
    encode_handshake,
    parse_handshake,
)
from .errors import FrameRejected, HandshakeFailed
from .frames import Frame, FrameFlags, FrameKind, encode_frame

log = logging.getLogger(__name__)

#: Refused frames (forged, replayed, mislabelled, or clear where ciphertext belongs) that end a
#: session: one can be a glitch, three in a session is someone at work.
MAX_REJECTIONS = 3


class SecureLink:
    """Handshakes and frame protection for one sharing session."""

    def __init__(
        self,
        session_id: str,
        *,
        max_rejections: int = MAX_REJECTIONS,
        random: RandomSource = os.urandom,
    ) -> None:
        self._session_id = session_id
        self._max_rejections = max_rejections
        self._random = random
        self._handshake: SharerHandshake | None = None
        self._offer: bytes = b""
        self._completed: Commit | None = None
        self._channel: SecureChannel | None = None
        self._resume = b""
        #: Frames refused over the whole session (not reset by a new handshake).
        self.rejections = 0
        #: The digits the two people compared: the session's first handshake's, kept for the
        #: whole session (docs/security.md). Every later handshake is bound to the first by the
        #: resume secret, so its own digits prove nothing a person could check again.
        self.check: str | None = None

    def __repr__(self) -> str:  # never the keys
        return f"SecureLink(ready={self.ready}, rejections={self.rejections})"

    @property
    def ready(self) -> bool:
        """Keys are agreed: frames can be sealed and opened."""
        return self._channel is not None

    @property
    def handshaking(self) -> bool:
        return self._handshake is not None

    @property
    def failed(self) -> bool:
        """Too many refused frames: the session must end."""
        return self.rejections >= self._max_rejections

    def reset(self) -> None:
        """Forget the keys (the connection dropped, or the helper left or came back)."""
        self._handshake = None
        self._channel = None

    # Handshake ----------------------------------------------------------------------------

    def on_handshake(self, payload: bytes) -> bytes | None:
        """Handle one clear handshake payload from the helper.

        Returns the clear frame to send back (the key offer answering a commit), or None.
        Raises `HandshakeFailed` when the handshake cannot succeed.
        """
        message = parse_handshake(payload)
        if isinstance(message, Commit):
            # The helper repeats its commit until it hears a key (its first copy may arrive
            # before this side's connection does): a repeat gets the same answer, and a late
            # copy of the commit that just completed changes nothing.
            if self._handshake is not None and message == self._handshake.commit_message:
                return self._offer
            if self.ready and message == self._completed:
                return None
            # A new handshake replaces whatever was there: fresh keys on every reconnect.
            self.reset()
            handshake = SharerHandshake(
                self._session_id, message, resume=self._resume, random=self._random
            )
            self._handshake = handshake
            self._offer = encode_frame(FrameKind.CONTROL_E2E, encode_handshake(handshake.offer()))
            return self._offer
        if isinstance(message, Reveal):
            pending, self._handshake = self._handshake, None
            if pending is None:
                # Its handshake was dropped (we reconnected meanwhile): the helper starts anew.
                log.info("ignored a helper key that belongs to an abandoned handshake")
                return None
            keys = pending.on_reveal(message)
            self._completed = pending.commit_message
            self._channel = SecureChannel(keys, helper=False)
            self._resume = keys.resume
            if self.check is None:
                self.check = keys.check
            return None
        assert isinstance(message, KeyOffer)
        raise HandshakeFailed("The other side sent a sharer's key to the sharer.")

    # Frames -------------------------------------------------------------------------------

    def seal(
        self,
        kind: FrameKind,
        payload: bytes,
        *,
        sequence: int,
        timestamp_ms: int = 0,
        flags: FrameFlags = FrameFlags.NONE,
    ) -> bytes:
        """The encrypted frame; only call when `ready`."""
        channel = self._channel
        if channel is None:
            raise FrameRejected("There is no key to encrypt with yet.")
        return channel.seal(
            kind, payload, sequence=sequence, timestamp_ms=timestamp_ms, flags=flags
        )

    def open(self, frame: Frame) -> Frame | None:
        """The inner frame, or None when it was refused (counted; see `failed`)."""
        channel = self._channel
        if channel is None:
            # Sealed with keys from before a reconnect: nothing to open it with, nothing wrong.
            log.info("dropped an encrypted frame that arrived before the keys")
            return None
        try:
            return channel.open(frame)
        except FrameRejected as exc:
            self.refuse(exc.message)
            return None

    def refuse(self, why: str) -> None:
        """Count one refused frame (also clear frames where only ciphertext may come)."""
        self.rejections += 1
        log.warning("refused a frame (%d so far): %s", self.rejections, why)
