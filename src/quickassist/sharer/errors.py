"""Errors the sharer app raises; each carries a plain sentence for the person sharing.

One root, so the UIs catch one thing and show its sentence::

    SharerError
    ├── CodeRefused            the service refused the code
    │   ├── WrongCode              404 unknown_code or 400 invalid_code
    │   ├── CodeExpired            410 code_expired
    │   └── TooManyAttempts        429 too_many_attempts (carries retry_after seconds)
    ├── HelperNotAllowed       the helper's organisation is not on this app's allow-list
    ├── ServiceUnreachable     no TCP/TLS connection, or the service answered nonsense
    ├── UntrustedCertificate   the certificate fails verification or does not match the pin
    ├── SessionEndedError      the helper ended the session (or it ended for another reason)
    ├── ConnectionLost         the relay dropped and did not come back within the grace period
    └── RelayClosed            the relay closed the WebSocket (carries the close code)
"""

from __future__ import annotations

from ..protocol.close_codes import CloseCode


class SharerError(Exception):
    """Root of every error the sharer app shows to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CodeRefused(SharerError):
    """The service did not accept the security code."""


class HelperNotAllowed(SharerError):
    """A managed computer's allow-list (``--allow-org``) does not name the helper's domain."""

    def __init__(self, who: str) -> None:
        super().__init__(
            f"{who} is not from an organisation this computer accepts, so the session was "
            "ended and nothing was shared. Ask your own IT department for help."
        )


class WrongCode(CodeRefused):
    def __init__(self) -> None:
        super().__init__("That code is not valid. Check it with your helper and type it again.")


class CodeExpired(CodeRefused):
    def __init__(self) -> None:
        super().__init__("That code has expired. Ask your helper for a new code.")


class TooManyAttempts(CodeRefused):
    def __init__(self, retry_after: int | None) -> None:
        self.retry_after = retry_after
        if retry_after is None:
            when = "in a few minutes"
        elif retry_after < 90:
            when = f"in {retry_after} seconds"
        else:
            when = f"in {(retry_after + 59) // 60} minutes"
        super().__init__(f"Too many wrong codes were tried. Try again {when}.")


class ServiceUnreachable(SharerError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"The service at {url} cannot be reached. Check the address and your internet "
            "connection, then try again."
        )


class UntrustedCertificate(SharerError):
    def __init__(self, detail: str = "") -> None:
        prefix = f"{detail} " if detail else ""
        # The person is rarely technical: the first way out is the app the helper's console
        # hands out (it carries the pin); the fingerprint is for those in a terminal.
        super().__init__(
            f"{prefix}The service's certificate is not trusted. Ask your helper to send you the "
            "sharer app from their console: it knows this service. Ask your helper for the "
            "fingerprint if you start quickassist share in a terminal, and add "
            "--fingerprint SHA256:..."
        )


class SessionEndedError(SharerError):
    """The session is over; `message` is the service's sentence for why."""


class ConnectionLost(SharerError):
    def __init__(self) -> None:
        super().__init__(
            "The connection to the service was lost and could not be restored. "
            "Ask your helper for a new code."
        )


class RelayClosed(SharerError):
    """The relay closed our WebSocket; `code` says whether coming back makes sense."""

    def __init__(self, code: int | None, reason: str) -> None:
        self.code = code
        super().__init__(
            reason or CloseCode.sentence_for(code) or "The connection to the service closed."
        )

    @property
    def final(self) -> bool:
        """Whether reconnecting cannot help (`protocol.close_codes.FINAL`)."""
        return CloseCode.is_final(self.code)
