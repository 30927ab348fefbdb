"""Errors raised by the protocol core.

One root, so a boundary can catch everything the core may say about bad input::

    ProtocolError
    ├── InvalidCode        a security code that cannot be a code (wrong length, bad characters)
    ├── FrameError         a binary frame that cannot be read
    │   ├── TruncatedFrame     shorter than its header says
    │   └── OversizedFrame     larger than the configured limit
    ├── MessageError       a control message that is not valid JSON of a known shape
    ├── IllegalEvent       an event the session state does not allow (wrong phase or wrong side)
    │   └── ViewOnlySharer     full control asked of a sharer in a web browser
    └── E2EError           end-to-end encryption failed (protocol/e2e.py)
        ├── HandshakeFailed    a bad key, a key that does not match its commitment, a bad message
        └── FrameRejected      a frame that fails authentication, is replayed or is mislabelled

Every error carries a plain sentence meant for a person; none carries internal detail.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Root of every error the protocol core raises."""

    #: Machine-readable identifier, stable across versions (used in JSON errors and close reasons).
    code: str = "protocol_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidCode(ProtocolError):
    code = "invalid_code"


class FrameError(ProtocolError):
    code = "malformed_frame"


class TruncatedFrame(FrameError):
    code = "truncated_frame"


class OversizedFrame(FrameError):
    code = "oversized_frame"


class MessageError(ProtocolError):
    code = "malformed_message"


class IllegalEvent(ProtocolError):
    code = "illegal_event"


class ViewOnlySharer(IllegalEvent):
    """Full control asked of a sharer in a web browser: it can only be viewed."""

    code = "view_only_sharer"


class E2EError(ProtocolError):
    code = "security_error"


class HandshakeFailed(E2EError):
    code = "handshake_failed"


class FrameRejected(E2EError):
    code = "frame_rejected"
