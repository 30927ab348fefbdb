"""A logout served by one node ends the helper's session pinned to another, at once: three real
nodes on PostgreSQL and Redis behind nginx (`service_nodes`). The node that served the logout
calls each other live node once (`node_link`, ``sign_out``); the pinned node closes the helper's
socket with 4440 and tells the sharer the helper ended the session. The same holds for a session
whose helper socket never opened: it ends with the sign-in that asked for its code, which the
node link carried to the node the session was made on.
"""

from __future__ import annotations

import httpx
import pytest

from quickassist.protocol.close_codes import CloseCode
from quickassist.protocol.roles import EndReason, Role
from tests.fixtures.nginx import ServiceNodes
from tests.fixtures.session_clients import close_all_sides
from tests.integration.scale.test_three_nodes import Helper, beaten, join, sharer_side
from tests.timeouts import WAIT

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def node_calls(nodes: ServiceNodes, node: str, call: str) -> dict[str, int]:
    """One node's ``quickassist_node_calls_total`` for `call`, by outcome (straight to it,
    from loopback: no token)."""
    service = nodes.nodes[node]
    async with httpx.AsyncClient(base_url=service.base_url, verify=service.ssl_context) as http:
        text = (await http.get("/metrics")).text
    prefix = f'quickassist_node_calls_total{{call="{call}",outcome="'
    return {
        outcome: int(count)
        for line in text.splitlines()
        if line.startswith(prefix)
        for outcome, _, count in [line.removeprefix(prefix).partition('"} ')]
    }


@pytest.mark.parametrize(
    "helper_socket", [True, False], ids=["helper-connected", "helper-never-connected"]
)
async def test_a_logout_through_one_node_ends_the_session_pinned_to_another(
    service_nodes: ServiceNodes, helper_socket: bool
) -> None:
    http = httpx.AsyncClient(
        base_url=service_nodes.base_url,
        verify=service_nodes.ssl_context,
        headers={"Origin": service_nodes.base_url},
        timeout=WAIT,
    )
    try:
        signed_in = await http.post(
            "/api/auth/login",
            json={
                "username": service_nodes.helper_username,
                "password": service_nodes.helper_password,
            },
        )
        assert signed_in.status_code == 200, signed_in.text
        helper = Helper(service_nodes, http)
        # No node holds a live session (the other case's ended with its sign-in).
        for node in service_nodes.nodes:
            await beaten(service_nodes, node, 0)
        if helper_socket:
            created = await helper.create(via="n1")
            assert created["relay_path"] == "/nodes/n1"  # no other session yet: n1 keeps it
            logout_via = "n2"
        else:
            # Once n1 holds one, a code asked through n1 is made on another node, through the
            # node link: only the sign-in it carried can end that session there.
            await helper.create(via="n1")
            await beaten(service_nodes, "n1", 1)
            created = await helper.create(via="n1")
            assert created["relay_path"] in ("/nodes/n2", "/nodes/n3")
            logout_via = "n1"
        joined = await join(service_nodes, "n1", created["code"])
        assert joined.status_code == 200, joined.text
        if helper_socket:
            helper_side = await helper.connect(created)
        sharer = await sharer_side(service_nodes, joined)
        if helper_socket:
            await helper_side.wait_type("state", phase="joined")
        else:
            await sharer.wait_type("state", phase="joined")  # waiting for a helper
        before = await node_calls(service_nodes, logout_via, "sign_out")

        assert (await http.post(f"/nodes/{logout_via}/api/auth/logout")).status_code == 204

        # The node that served the logout does not hold this session: it told the two others,
        # and the one that holds it ended it.
        after = await node_calls(service_nodes, logout_via, "sign_out")
        assert after.get("ok", 0) - before.get("ok", 0) == 2
        if helper_socket:
            assert await helper_side.wait_closed() == (
                CloseCode.SIGNED_OUT,
                CloseCode.SIGNED_OUT.sentence,
            )
        assert (await sharer.wait_type("ended"))["reason"] == EndReason.HELPER_ENDED
        assert await sharer.wait_closed() == (
            CloseCode.NORMAL,
            EndReason.HELPER_ENDED.sentence_for(Role.SHARER),
        )
    finally:
        await close_all_sides()
        await http.aclose()
