"""The injection thread (sharer/injection.py): order kept, the guard asked again on the thread,
everything released before the sink closes. A recording sink stands in for XTEST (the real
injector is tested on Xvfb in tests/e2e/sharer/test_input_injection.py)."""

from __future__ import annotations

import threading
from typing import Any

from quickassist.protocol.payloads import KeyEvent, PointerMove, ReleaseAll
from quickassist.sharer.injection import InjectionWorker
from tests.timeouts import WAIT


class RecordingSink:
    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.threads: set[str] = set()
        self.gate = threading.Event()

    def _note(self, call: Any) -> None:
        self.threads.add(threading.current_thread().name)
        self.calls.append(call)

    def set_monitor(self, monitor: Any) -> None:
        self._note(("monitor", monitor))

    def apply(self, event: Any) -> None:
        self.gate.wait(WAIT)  # lets a test change its mind while an event waits its turn
        self._note(event)

    def release_all(self) -> None:
        self._note("release_all")

    def close(self) -> None:
        self._note("close")


async def test_events_run_in_order_on_one_thread_and_close_releases_first() -> None:
    sink = RecordingSink()
    sink.gate.set()
    worker = InjectionWorker(sink, allowed=lambda: True)
    worker.set_monitor("m2")
    worker.inject(PointerMove(1, 2))
    worker.inject(KeyEvent("KeyA", "a", True))
    await worker.close()
    assert sink.calls == [
        ("monitor", "m2"),
        PointerMove(1, 2),
        KeyEvent("KeyA", "a", True),
        "release_all",
        "close",
    ]
    assert len(sink.threads) == 1 and next(iter(sink.threads)).startswith("quickassist-inject")
    worker.inject(PointerMove(3, 4))  # after close: nothing
    await worker.close()
    assert sink.calls[-1] == "close" and len(sink.calls) == 5


async def test_a_pause_between_receipt_and_injection_wins() -> None:
    sink = RecordingSink()
    allowed = [True]
    worker = InjectionWorker(sink, allowed=lambda: allowed[0])
    worker.inject(PointerMove(1, 1))  # held at the gate on the thread, already admitted
    worker.inject(PointerMove(2, 2))  # queued behind it
    worker.inject(ReleaseAll())
    allowed[0] = False  # the person paused meanwhile
    sink.gate.set()
    await worker.close()
    assert PointerMove(2, 2) not in sink.calls
    assert ReleaseAll() in sink.calls  # releasing is always allowed
