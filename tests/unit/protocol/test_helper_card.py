"""What the sharer is told of the helper: "First L.", the organisation, whether verified."""

from __future__ import annotations

from quickassist.protocol.messages import ConsentRequest, encode, parse_server_message
from quickassist.protocol.roles import HelperCard, Mode


def test_a_verified_organisation_names_its_domain() -> None:
    card = HelperCard.from_full_name("Ada King Lovelace", "Contoso", "contoso.com")
    assert card.who == "Ada L. · Contoso (verified: contoso.com)"


def test_an_unverified_organisation_says_so_plainly() -> None:
    assert HelperCard("Ada L.", "Contoso").who == "Ada L. · Contoso (organisation not verified)"
    assert HelperCard("Ada L.", "").who == "Ada L. (organisation not verified)"


def test_the_verified_domain_travels_in_the_consent_request() -> None:
    verified = ConsentRequest(Mode.VIEW, HelperCard("Ada L.", "Contoso", "contoso.com"))
    assert '"verified_domain":"contoso.com"' in encode(verified)
    assert parse_server_message(encode(verified)) == verified


def test_an_unverified_card_is_sent_as_before() -> None:
    plain = ConsentRequest(Mode.VIEW, HelperCard("Ada L.", "Contoso"))
    assert "verified_domain" not in encode(plain)
    assert parse_server_message(encode(plain)).helper.verified_domain == ""  # type: ignore[union-attr]
