"""Sign-in limits and a helper's quota hold across three real nodes behind a real nginx.

Three nodes of their own (`limited_nodes`, `running_nodes` with the limits tight enough to reach
and the defaults' figures where they can be: 5 sign-in attempts a minute per address, a delay
after 5 wrong passwords), on PostgreSQL and Redis: guesses and code requests spread over the
nodes count once, and whichever node the next one lands on refuses it with the same sentence.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.fixtures.nginx import NODE_NAMES, ServiceNodes, running_nodes
from tests.timeouts import WAIT

pytestmark = pytest.mark.asyncio(loop_scope="function")

WRONG = "not the password at all"
LIVE_SESSIONS = 4
CODE_REQUESTS = 6


@pytest.fixture(scope="module")
def limited_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceNodes]:
    limits = {
        "QUICKASSIST_LOGIN_ATTEMPTS_PER_ADDRESS": "5/60",
        "QUICKASSIST_LOGIN_FAILURES_BEFORE_DELAY": "5",
        "QUICKASSIST_LIVE_SESSIONS_PER_HELPER": str(LIVE_SESSIONS),
        "QUICKASSIST_CODE_REQUESTS_PER_HELPER": f"{CODE_REQUESTS}/600",
    }
    with running_nodes(tmp_path_factory.mktemp("limited-nodes"), **limits) as nodes:
        yield nodes


@pytest.fixture
async def http(limited_nodes: ServiceNodes) -> AsyncIterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(
        base_url=limited_nodes.base_url,
        verify=limited_nodes.ssl_context,
        headers={"Origin": limited_nodes.base_url},
        timeout=WAIT,
    )
    yield client
    await client.aclose()


async def sign_in(
    http: httpx.AsyncClient, via: str, username: str, password: str, address: str
) -> httpx.Response:
    """A sign-in through node ``via``, from ``address`` (nginx, a trusted proxy, passes it on)."""
    return await http.post(
        f"/nodes/{via}/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
    )


async def test_an_addresses_sixth_attempt_is_refused_on_every_node(
    http: httpx.AsyncClient,
) -> None:
    for attempt in range(5):
        wrong = await sign_in(http, NODE_NAMES[attempt % 3], "grace", WRONG, "198.51.100.50")
        assert wrong.status_code == 401, wrong.text
    for via in NODE_NAMES:
        refused = await sign_in(http, via, "grace", WRONG, "198.51.100.50")
        assert refused.status_code == 429
        wait = int(refused.headers["retry-after"])
        assert 50 <= wait <= 60  # the first attempt, seconds ago, leaves the window then
        assert refused.json() == {
            "error": "too_many_attempts",
            "message": "Too many sign-in attempts from your network. "
            + (
                "Wait 1 minute and try again."
                if wait == 60
                else f"Wait {wait} seconds and try again."
            ),
        }
    # Another address is not held back by this one's attempts (another account: grace's five
    # wrong passwords slow grace down for a second).
    assert (await sign_in(http, "n1", "henry", WRONG, "198.51.100.51")).status_code == 401


async def test_an_accounts_sixth_wrong_password_is_refused_on_every_node(
    limited_nodes: ServiceNodes, http: httpx.AsyncClient
) -> None:
    username, password = limited_nodes.helper_username, limited_nodes.helper_password
    # From a new address each time, so only the account's count can stop them.
    for attempt in range(5):
        via = NODE_NAMES[attempt % 3]
        wrong = await sign_in(http, via, username, WRONG, f"198.51.100.{attempt + 1}")
        assert wrong.status_code == 401, wrong.text
    # Within the second the fifth failure earned, on each node, even with the right password.
    for n, via in enumerate(NODE_NAMES):
        refused = await sign_in(http, via, username, password, f"203.0.113.{n + 1}")
        assert refused.status_code == 429
        assert refused.json() == {
            "error": "too_many_attempts",
            "message": "Too many wrong passwords for this account. Wait 1 second and try again.",
        }
        assert refused.headers["retry-after"] == "1"
    # A delay, not a lock-out: told to wait a second, the owner signs in through any node.
    # Time is what is tested here, not an event: a client told Retry-After waits that long.
    await asyncio.sleep(int(refused.headers["retry-after"]))
    signed_in = await sign_in(http, "n3", username, password, "203.0.113.9")
    assert signed_in.status_code == 200, signed_in.text


async def create(http: httpx.AsyncClient, via: str) -> httpx.Response:
    return await http.post(f"/nodes/{via}/api/sessions")


async def end(http: httpx.AsyncClient, created: httpx.Response) -> None:
    """End a session through the node it is pinned to (the one that holds it)."""
    body = created.json()
    ended = await http.post(
        f"{body['relay_path']}/api/sessions/{body['session_id']}/actions", json={"type": "end"}
    )
    assert ended.status_code == 200, ended.text


async def test_a_helpers_open_sessions_and_codes_are_counted_on_every_node(
    limited_nodes: ServiceNodes, http: httpx.AsyncClient
) -> None:
    signed_in = await http.post(
        "/api/auth/login",
        json={"username": limited_nodes.helper_username, "password": limited_nodes.helper_password},
    )
    assert signed_in.status_code == 200, signed_in.text
    opened = []
    for via in ("n1", "n2", "n3", "n1"):
        created = await create(http, via)
        assert created.status_code == 201, created.text
        opened.append(created)
    assert len({c.json()["relay_path"] for c in opened}) >= 2, "all on one node: not a test"
    for via in NODE_NAMES:
        refused = await create(http, via)
        assert refused.status_code == 429
        assert refused.json() == {
            "error": "too_many_sessions",
            "message": f"You already have {LIVE_SESSIONS} sessions open. "
            "End one of them before you start another.",
        }
    # One ended on its own node frees a place on every node.
    await end(http, opened.pop(0))
    fifth = await create(http, "n2")
    assert fifth.status_code == 201, fifth.text
    opened.append(fifth)
    for created in opened[:2]:
        await end(http, created)
    sixth = await create(http, "n3")
    assert sixth.status_code == 201, sixth.text
    # Six codes in ten minutes, asked through three nodes: the seventh waits, wherever asked.
    for via in NODE_NAMES:
        refused = await create(http, via)
        assert refused.status_code == 429
        assert refused.json() == {
            "error": "too_many_codes",
            "message": "You asked for many codes in a short time. Wait 10 minutes and try again.",
        }
        assert 590 <= int(refused.headers["retry-after"]) <= 600
