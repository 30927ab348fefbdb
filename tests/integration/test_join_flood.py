"""A flood of wrong codes from many addresses does not lock out a sharer with the right code.

The real service over TLS. Loopback is all of 127.0.0.0/8 on Linux, so each attacker connects
from its own source address (127.0.1.N) and the service counts each as a separate client, as it
would count addresses on the Internet. What this proves: once the service-wide budget is spent,
addresses that were guessing are refused while a fresh address is still answered (its right
code joins), and the answers given stay within the two budgets. That an attacker with enough
fresh networks can spend the second budget too is shown, and its cost argued, in
tests/unit/service/test_join_guard.py and docs/security.md.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from tests.fixtures.service import LiveService
from tests.fixtures.session_clients import ScriptedHelper
from tests.timeouts import WAIT

ATTACKERS = [f"127.0.1.{n}" for n in range(1, 41)]
NORMAL_BUDGET = 60
UNDER_ATTACK_BUDGET = 10
LIMITS = {
    "QUICKASSIST_JOIN_FAILURES_PER_ADDRESS": "3/600",
    "QUICKASSIST_JOIN_FAILURES_GLOBAL": f"{NORMAL_BUDGET}/600",
    # One failure spends a network's allowance for the under-attack tier in this test, so that
    # the flood's own addresses are refused as soon as the service-wide budget is spent.
    "QUICKASSIST_JOIN_FAILURES_UNDER_ATTACK_PER_NETWORK": "1/86400",
    "QUICKASSIST_JOIN_FAILURES_UNDER_ATTACK_GLOBAL": f"{UNDER_ATTACK_BUDGET}/600",
}


async def join_from(service: LiveService, source: str, code: str) -> httpx.Response:
    """POST /api/join over a TLS connection from the loopback address ``source``."""
    transport = httpx.AsyncHTTPTransport(verify=service.ssl_context, local_address=source)
    async with httpx.AsyncClient(
        base_url=service.base_url, transport=transport, timeout=WAIT
    ) as http:
        return await http.post("/api/join", json={"code": code})


async def flood_round(service: LiveService) -> Counter[int]:
    """Every attacker sends one wrong code at once; the status codes they got."""
    answers = await asyncio.gather(*(join_from(service, a, "ZZZZZZ") for a in ATTACKERS))
    return Counter(answer.status_code for answer in answers)


async def test_a_right_code_joins_while_many_addresses_flood_wrong_ones(service_factory) -> None:
    service = service_factory(env=LIMITS)
    helper = await ScriptedHelper.sign_in(
        service.base_url, service.ssl_context, service.helper_username, service.helper_password
    )
    try:
        created = await helper.create_session()
        answered = Counter[int]()
        # Two rounds: 80 wrong codes from 40 addresses spend the service-wide budget of 60.
        answered += await flood_round(service)
        answered += await flood_round(service)
        assert answered == {404: NORMAL_BUDGET, 429: 2 * len(ATTACKERS) - NORMAL_BUDGET}

        # The flood goes on while the sharer, on an address of its own, types the right code.
        flood = asyncio.ensure_future(flood_round(service))
        joined = await join_from(service, "127.0.2.1", created["code"])
        assert joined.status_code == 200, joined.text
        assert joined.json()["session_id"] == created["session_id"]
        assert await flood == {429: len(ATTACKERS)}  # every guessing address is held off

        # Strangers on fresh addresses are still answered, but only within the second budget:
        # the bound on the odds holds whoever asks.
        strangers = [f"127.0.3.{n}" for n in range(1, UNDER_ATTACK_BUDGET + 2)]
        late = [(await join_from(service, s, "YYYYYY")).status_code for s in strangers]
        assert late == [404] * UNDER_ATTACK_BUDGET + [429]
    finally:
        await helper.aclose()
