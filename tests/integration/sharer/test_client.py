"""The sharer's session client against the real service (in process) over TLS."""

from __future__ import annotations

from typing import Any

import pytest

from quickassist.protocol.frames import Frame
from quickassist.protocol.messages import ConsentRequest, End, SessionEnded, StateUpdate
from quickassist.protocol.roles import EndReason, Mode, Phase
from quickassist.sharer.client import RelayConnection, SessionClient
from quickassist.sharer.errors import (
    CodeRefused,
    RelayClosed,
    TooManyAttempts,
    UntrustedCertificate,
    WrongCode,
)
from quickassist.sharer.tls_trust import TrustSettings, parse_fingerprint
from tests.fixtures.inprocess_service import InProcessFactory, InProcessService
from tests.fixtures.session_clients import ScriptedHelper
from tests.timeouts import WAIT


def pinned_client(service: InProcessService) -> SessionClient:
    return SessionClient(
        service.base_url, trust=TrustSettings(fingerprint=parse_fingerprint(service.fingerprint))
    )


async def next_message(connection: RelayConnection) -> Any:
    import asyncio

    async with asyncio.timeout(WAIT):
        while True:
            message = await connection.receive()
            if not isinstance(message, Frame):
                return message


async def test_join_with_a_pin_and_connect(
    inprocess_service: InProcessService, inprocess_helper: ScriptedHelper
) -> None:
    created = await inprocess_helper.create_session()
    client = pinned_client(inprocess_service)
    ticket = await client.join(created["code_display"].lower())
    assert ticket.session_id == created["session_id"]
    assert ticket.helper.name == "Ada L."
    assert ticket.helper.organisation == "Contoso"
    connection = await client.connect(ticket)
    try:
        state = await next_message(connection)
        assert isinstance(state, StateUpdate)
        assert state.phase is Phase.JOINED
        helper_side = await inprocess_helper.connect(created["session_id"])
        await helper_side.send_json({"type": "choose_mode", "mode": "view"})
        while not isinstance(message := await next_message(connection), ConsentRequest):
            pass
        assert message.mode is Mode.VIEW
        assert message.helper.name == "Ada L."
        await connection.send_control(End())
        while not isinstance(message := await next_message(connection), SessionEnded):
            pass
        assert message.reason is EndReason.SHARER_ENDED
        with pytest.raises(RelayClosed) as closed:
            await next_message(connection)
        assert closed.value.final
    finally:
        await connection.close()


async def test_a_code_works_once(
    inprocess_service: InProcessService, inprocess_helper: ScriptedHelper
) -> None:
    created = await inprocess_helper.create_session()
    client = SessionClient(
        inprocess_service.base_url, trust=TrustSettings(ca_file=inprocess_service.cert_path)
    )
    await client.join(created["code"])
    with pytest.raises(WrongCode) as caught:
        await client.join(created["code"])
    assert caught.value.message == (
        "That code is not valid. Check it with your helper and type it again."
    )


async def test_a_malformed_code_is_refused_without_asking(
    inprocess_service: InProcessService,
) -> None:
    client = pinned_client(inprocess_service)
    with pytest.raises(CodeRefused) as caught:
        await client.join("12")
    assert "6 letters and digits" in caught.value.message


async def test_the_system_store_does_not_trust_the_self_signed_service(
    inprocess_service: InProcessService,
) -> None:
    with pytest.raises(UntrustedCertificate) as caught:
        await SessionClient(inprocess_service.base_url).join("ABC-234")
    assert "Ask your helper for the fingerprint" in caught.value.message


async def test_a_wrong_pin_is_refused(inprocess_service: InProcessService) -> None:
    client = SessionClient(inprocess_service.base_url, trust=TrustSettings(fingerprint=bytes(32)))
    with pytest.raises(UntrustedCertificate):
        await client.join("ABC-234")


async def test_too_many_wrong_codes_says_when_to_retry(
    inprocess_service_factory: InProcessFactory,
) -> None:
    service = inprocess_service_factory(env={"QUICKASSIST_JOIN_FAILURES_PER_ADDRESS": "2/60"})
    client = pinned_client(service)
    refusals: list[Exception] = []
    for _ in range(4):
        try:
            await client.join("ABC-234")
        except CodeRefused as exc:
            refusals.append(exc)
    last = refusals[-1]
    assert isinstance(last, TooManyAttempts), [type(r).__name__ for r in refusals]
    assert last.retry_after is not None and 0 < last.retry_after <= 60
    assert last.message.startswith("Too many wrong codes were tried. Try again in ")
