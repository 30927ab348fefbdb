"""The vocabulary shared by messages and the session state machine."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    HELPER = "helper"
    SHARER = "sharer"

    @property
    def other(self) -> Role:
        return Role.SHARER if self is Role.HELPER else Role.HELPER


class Phase(enum.StrEnum):
    WAITING = "waiting"  # code issued, no sharer yet
    JOINED = "joined"  # sharer joined; helper has not chosen a mode
    CONSENT = "consent"  # helper chose a mode; sharer has not answered
    ACTIVE = "active"  # sharer allowed
    ENDED = "ended"  # terminal


class Mode(enum.StrEnum):
    VIEW = "view"
    CONTROL = "control"


class EndReason(enum.StrEnum):
    HELPER_ENDED = "helper_ended"
    SHARER_ENDED = "sharer_ended"
    DECLINED = "declined"
    CODE_EXPIRED = "code_expired"
    CONSENT_TIMEOUT = "consent_timeout"
    HELPER_LEFT = "helper_left"
    SHARER_LEFT = "sharer_left"
    PROTOCOL_ERROR = "protocol_error"
    SECURITY_ERROR = "security_error"
    SERVER_SHUTDOWN = "server_shutdown"

    @property
    def sentence(self) -> str:
        """The helper's sentence: the `ended` message's `message`, which the console shows."""
        return self.sentence_for(Role.HELPER)

    def sentence_for(self, role: Role) -> str:
        """A plain sentence for the person on `role`'s side: what happened and what to do.

        Each side reads a sentence written for it ("You declined" to the sharer, "The person
        sharing their screen declined" to the helper): the service closes each side's socket
        with that side's sentence, and the sharer app words the `ended` message from `reason`.
        """
        return _END_SENTENCES[role][self]


#: Only what is known: a stopped service says it is shutting down, not when it will be back.
_HELPER_SENTENCES = {
    EndReason.HELPER_ENDED: "The helper ended the session.",
    EndReason.SHARER_ENDED: "The person sharing their screen ended the session.",
    EndReason.DECLINED: (
        "The person sharing their screen declined. Ask them to try again if needed."
    ),
    EndReason.CODE_EXPIRED: "The security code expired before it was used. Get a new code.",
    EndReason.CONSENT_TIMEOUT: "Nobody answered the request in time. Start again with a new code.",
    EndReason.HELPER_LEFT: "The helper lost the connection and did not come back.",
    EndReason.SHARER_LEFT: "The person sharing lost the connection and did not come back.",
    EndReason.PROTOCOL_ERROR: "The session ended because of an error. Start a new session.",
    EndReason.SECURITY_ERROR: (
        "The session ended because its encryption check failed. Start a new session."
    ),
    EndReason.SERVER_SHUTDOWN: (
        "The service is shutting down, so the session ended. Start a new session once the "
        "service is running again."
    ),
}
#: The person sharing never starts a session: what they can do is ask their helper again.
_SHARER_SENTENCES = {
    EndReason.HELPER_ENDED: "Your helper ended the session.",
    EndReason.SHARER_ENDED: "You ended the session.",
    EndReason.DECLINED: "You declined, so nothing was shared.",
    EndReason.CODE_EXPIRED: (
        "The security code expired before it was used. Ask your helper for a new code."
    ),
    EndReason.CONSENT_TIMEOUT: (
        "The request was not answered in time, so nothing was shared. Ask your helper for a "
        "new code if you still need help."
    ),
    EndReason.HELPER_LEFT: "Your helper lost the connection and did not come back.",
    EndReason.SHARER_LEFT: (
        "Your connection to the service was lost for too long, so the session ended. Ask your "
        "helper for a new code."
    ),
    EndReason.PROTOCOL_ERROR: (
        "The session ended because of an error. Ask your helper for a new code."
    ),
    EndReason.SECURITY_ERROR: (
        "The session ended because its encryption check failed. Ask your helper for a new code."
    ),
    EndReason.SERVER_SHUTDOWN: (
        "The service is shutting down, so the session ended. Ask your helper for a new code "
        "once the service is running again."
    ),
}
_END_SENTENCES = {Role.HELPER: _HELPER_SENTENCES, Role.SHARER: _SHARER_SENTENCES}


@dataclass(frozen=True, slots=True)
class HelperCard:
    """What the sharer is told about the helper: "First L." and the organisation, never more."""

    name: str
    organisation: str
    #: The organisation's domain the service vouches for; "" when it is not verified.
    verified_domain: str = ""

    @classmethod
    def from_full_name(
        cls, full_name: str, organisation: str, verified_domain: str = ""
    ) -> HelperCard:
        return cls(short_name(full_name), organisation, verified_domain)

    @property
    def who(self) -> str:
        """ "Ada L. · Contoso (verified: contoso.com)", or says plainly it is not verified."""
        if not self.organisation:
            return f"{self.name} (organisation not verified)"
        if self.verified_domain:
            return f"{self.name} · {self.organisation} (verified: {self.verified_domain})"
        return f"{self.name} · {self.organisation} (organisation not verified)"


def short_name(full_name: str) -> str:
    """ "Ada King Lovelace" -> "Ada L."; a single name stays as it is."""
    parts = full_name.split()
    if not parts:
        return "Your helper"
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."
