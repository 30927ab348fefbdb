"""Lifecycle: start-up in order, shut-down newest first and once, store closed last."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from quickassist.service.lifecycle import Lifecycle


def recorder(log: list[str], name: str, fail: bool = False) -> Callable[[], Awaitable[None]]:
    async def hook() -> None:
        log.append(name)
        if fail:
            raise RuntimeError(name)

    return hook


async def test_hooks_run_in_order_and_shutdown_only_once() -> None:
    log: list[str] = []
    lifecycle = Lifecycle()
    lifecycle.on_startup += [recorder(log, "start store"), recorder(log, "start hub")]
    lifecycle.on_shutdown += [recorder(log, "stop store?"), recorder(log, "stop hub")]
    lifecycle.on_closed.append(recorder(log, "close store"))
    async with lifecycle.lifespan(None):
        assert log == ["start store", "start hub"]
        await lifecycle.shutdown()  # what the server does on SIGTERM, connections still open
        assert log[2:] == ["stop hub", "stop store?"]
    assert log[4:] == ["close store"]


async def test_a_failing_shutdown_hook_does_not_stop_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log: list[str] = []
    lifecycle = Lifecycle()
    lifecycle.on_shutdown += [recorder(log, "first"), recorder(log, "broken", fail=True)]
    lifecycle.on_closed.append(recorder(log, "closed"))
    await lifecycle.close()
    assert log == ["broken", "first", "closed"]
    assert "A shut-down step failed" in caplog.text


async def test_a_failed_startup_still_shuts_down() -> None:
    log: list[str] = []
    lifecycle = Lifecycle()
    lifecycle.on_startup += [recorder(log, "ok"), recorder(log, "boom", fail=True)]
    lifecycle.on_closed.append(recorder(log, "closed"))
    with pytest.raises(RuntimeError):
        async with lifecycle.lifespan(None):
            pytest.fail("must not serve after a failed start")
    assert log == ["ok", "boom", "closed"]
