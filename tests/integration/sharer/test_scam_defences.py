"""The sharer's defences against scams, against the real service (in process): an allow-list of
verified domains that refuses other helpers before any consent is asked, and "Report this
session" reaching the administrators' abuse log."""

from __future__ import annotations

import io

import pytest

from quickassist.service.organisations import Organisations, VerifiedBy
from quickassist.sharer.client import SessionClient
from quickassist.sharer.consent import SCAM_WARNING
from quickassist.sharer.errors import HelperNotAllowed
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from quickassist.sharer.ui.terminal import TerminalSharer
from tests.fixtures.inprocess_service import InProcessService
from tests.fixtures.service_store import store_of
from tests.fixtures.session_clients import signed_in_helper


def client_of(service: InProcessService, *allowed: str) -> SessionClient:
    trust = TrustSettings(fingerprint=parse_fingerprint(service.fingerprint))
    return SessionClient(service.base_url, trust=trust, allowed_domains=allowed)


async def verify_contoso(service: InProcessService) -> None:
    async with store_of(service) as accounts:
        await Organisations(accounts.sessions).verify("Contoso", "contoso.com", VerifiedBy.ADMIN)


async def test_a_helper_outside_the_allow_list_is_refused_before_consent(
    inprocess_service_factory,
) -> None:
    service = inprocess_service_factory()
    async with signed_in_helper(service) as helper:
        created = await helper.create_session()
        helper_side = await helper.connect(created["session_id"])
        with pytest.raises(HelperNotAllowed) as refused:
            await client_of(service, "contoso.com").join(created["code"])
        assert refused.value.message.startswith(
            "Ada L. · Contoso (organisation not verified) is not from an organisation this "
            "computer accepts"
        )
        # The session ended at the service: the helper cannot ask for anything any more.
        ended = await helper_side.wait_type("ended")
        assert ended["reason"] == "sharer_ended"

        await verify_contoso(service)
        second = await helper.create_session()
        ticket = await client_of(service, "Contoso.com.").join(second["code"])
        assert ticket.helper.verified_domain == "contoso.com"
        state = (await helper.http.get(f"/api/sessions/{second['session_id']}")).json()
        assert state["phase"] == "joined"


async def test_report_this_session_reaches_the_abuse_log(inprocess_service_factory) -> None:
    service = inprocess_service_factory()
    async with signed_in_helper(service) as helper:
        created = await helper.create_session()
        client = client_of(service)
        ticket = await client.join(created["code"])
        answer = await client.report(ticket.session_id, "He said he was from my bank.")
        assert answer == "Thank you. Your report was sent to the service's administrators."
        out = io.StringIO()
        terminal = TerminalSharer(client, media=None, out=out)  # type: ignore[arg-type]
        await terminal._report("0" * 32, "unknown")
        assert "not known here" in out.getvalue()


async def test_the_terminal_warns_before_asking_for_the_code(inprocess_service) -> None:
    out = io.StringIO()
    terminal = TerminalSharer(
        client_of(inprocess_service),
        media=None,  # type: ignore[arg-type]
        out=out,
        stdin=io.StringIO(""),  # nobody types: the prompt is answered with end of input
    )
    assert await terminal.run() == 1
    text = out.getvalue()
    assert SCAM_WARNING in text
    assert text.index(SCAM_WARNING) < text.index("Code from your helper:")
