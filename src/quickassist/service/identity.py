"""Who a signed-in helper is, as every part of the service sees it (local accounts or OIDC)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..protocol.roles import HelperCard


class HelperRole(enum.StrEnum):
    """What a helper may do in the service: administrators also manage helpers and settings."""

    ADMIN = "admin"
    HELPER = "helper"


@dataclass(frozen=True)
class HelperIdentity:
    """A helper the service has authenticated. Holds no secret."""

    id: int
    username: str
    display_name: str
    organisation: str
    is_admin: bool = False
    #: The organisation's domain the service vouches for ("" when not verified).
    verified_domain: str = ""
    #: May ask for full control; the hub refuses it otherwise (service.helper_permissions).
    full_control: bool = True
    #: The issuer of the identity provider this helper signs in with ("": a local password).
    identity_provider: str = ""
    totp_enabled: bool = False
    disabled: bool = False

    @property
    def local(self) -> bool:
        """Signs in with a password here (not through an identity provider)."""
        return not self.identity_provider

    @property
    def role(self) -> HelperRole:
        return HelperRole.ADMIN if self.is_admin else HelperRole.HELPER

    @property
    def card(self) -> HelperCard:
        """All the sharer is shown: "Ada L.", the organisation and its verified domain."""
        return HelperCard.from_full_name(self.display_name, self.organisation, self.verified_domain)

    @property
    def name_for_sharer(self) -> str:
        """First name and last initial ("Ada L.")."""
        return self.card.name

    def public_dict(self) -> dict[str, Any]:
        """The JSON the console gets for the signed-in helper (docs/protocol.md section 2)."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "organisation": self.organisation,
            "verified_domain": self.verified_domain,
            "role": self.role.value,
            "full_control": self.full_control,
            "local": self.local,
            "totp_enabled": self.totp_enabled,
        }
