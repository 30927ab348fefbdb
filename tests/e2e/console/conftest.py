"""Console tests: close the scripted sharers' sockets each test opened (the page closes with its
context), so nothing stays open into the next test or the service's shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fixtures.session_clients import close_all_sides


@pytest.fixture(autouse=True)
async def _close_scripted_sides() -> AsyncIterator[None]:
    yield
    await close_all_sides()
