"""Who a signed-in helper is, as every part of the service sees it (local accounts or OIDC)."""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.roles import HelperCard


@dataclass(frozen=True)
class HelperIdentity:
    """A helper the service has authenticated. Holds no secret."""

    id: int
    username: str
    display_name: str
    organisation: str
    is_admin: bool = False

    @property
    def card(self) -> HelperCard:
        """All the sharer is shown of the helper: "Ada L." and the organisation."""
        return HelperCard.from_full_name(self.display_name, self.organisation)

    @property
    def name_for_sharer(self) -> str:
        """First name and last initial ("Ada L.")."""
        return self.card.name

    def public_dict(self) -> dict[str, str]:
        """The JSON the console gets for the signed-in helper (docs/protocol.md section 2)."""
        return {
            "username": self.username,
            "display_name": self.display_name,
            "organisation": self.organisation,
        }
