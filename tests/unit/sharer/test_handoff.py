"""FrameHandoff on its own, without a display: what the capture thread offers and what leaves.

The security-relevant rule is generations: anything captured before a disable (a pause, the end)
or a monitor switch is never handed out after it. The last test checks that with a real capture
thread racing the controlling side.
"""

from __future__ import annotations

import threading

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.payloads import (
    CursorShape,
    CursorUpdate,
    MonitorInfo,
    MonitorList,
    parse_cursor,
    parse_e2e_control,
)
from quickassist.sharer.handoff import EncodedFrame, FrameHandoff
from quickassist.sharer.quality import QualityGovernor
from tests.timeouts import WAIT

LEFT = MonitorInfo(1, 0, 0, 1920, 1080, True, "left")
RIGHT = MonitorInfo(2, 1920, 0, 1280, 1024, False, "right")
SHAPE = CursorShape(b"\x89PNG\r\n\x1a\n(a pointer image)", 1, 1, 16, 16)


def video(payload: bytes, flags: FrameFlags = FrameFlags.NONE) -> EncodedFrame:
    return EncodedFrame(FrameKind.VIDEO, payload, flags, 0)


def handoff() -> FrameHandoff:
    return FrameHandoff(QualityGovernor(frame_interval=1 / 30))


def offer(h: FrameHandoff, *frames: EncodedFrame) -> bool:
    """Offer `frames` the way the capture thread does: under what `requests()` says now."""
    asked = h.requests()
    return h.offer_video(list(frames), asked.generation, asked.keyframe)


def take_all(h: FrameHandoff) -> list[EncodedFrame]:
    taken = []
    while (frame := h.take()[0]) is not None:
        taken.append(frame)
    return taken


def test_nothing_is_taken_or_accepted_while_disabled() -> None:
    h = handoff()
    assert not h.requests().enabled
    assert not offer(h, video(b"before-allow"))
    assert h.take() == (None, False)
    assert h.set_enabled(True)
    assert not h.set_enabled(True)  # no change, nothing to do
    first = h.requests()
    assert first.enabled and first.keyframe and first.reset_cursor
    assert offer(h, video(b"first", FrameFlags.KEYFRAME))
    assert [f.payload for f in take_all(h)] == [b"first"]


def test_a_capture_from_before_a_pause_is_dropped_not_handed_out_after_it() -> None:
    h = handoff()
    h.set_enabled(True)
    before = h.requests()  # the thread starts a capture...
    h.set_enabled(False)  # ...the person pauses...
    h.set_enabled(True)  # ...and resumes before the capture is offered
    assert not h.offer_video([video(b"grabbed-before-pause")], before.generation, before.keyframe)
    assert not h.offer_cursor(CursorUpdate(1, 1, True), before.generation)
    assert take_all(h) == []
    # A capture offered, then a pause before it was taken: gone too.
    assert offer(h, video(b"offered"))
    h.set_enabled(False)
    h.set_enabled(True)
    assert take_all(h) == []


def test_cursor_leaves_first_then_the_monitor_list_then_video_part_by_part() -> None:
    h = handoff()
    h.publish_monitors([LEFT], LEFT)
    h.set_enabled(True)
    assert offer(h, video(b"part-1", FrameFlags.KEYFRAME), video(b"part-2"))
    h.publish_monitors([LEFT, RIGHT], LEFT)  # a monitor was plugged in
    assert h.offer_cursor(CursorUpdate(5, 6, True), h.requests().generation)
    cursor, _ = h.take()
    assert cursor is not None and cursor.kind is FrameKind.CURSOR
    listing, _ = h.take()
    assert listing is not None and listing.kind is FrameKind.CONTROL_E2E
    assert parse_e2e_control(listing.payload) == MonitorList((LEFT, RIGHT), LEFT.id)
    first, slot_free = h.take()
    assert first is not None and first.payload == b"part-1" and not slot_free
    assert not h.requests().video_slot_free
    second, slot_free = h.take()
    assert second is not None and second.payload == b"part-2" and slot_free
    assert h.requests().video_slot_free


def test_a_keyframe_is_asked_for_until_one_is_served() -> None:
    h = handoff()
    h.set_enabled(True)
    asked = h.requests()
    assert asked.keyframe
    assert h.offer_video([video(b"key", FrameFlags.KEYFRAME)], asked.generation, asked.keyframe)
    take_all(h)
    assert h.requests().keyframe == 0
    h.request_keyframe()
    again = h.requests()
    assert again.keyframe > asked.keyframe and again.reset_cursor
    assert not h.requests().reset_cursor  # told once


def test_switching_monitor_drops_what_was_captured_of_the_old_one() -> None:
    h = handoff()
    h.publish_monitors([LEFT, RIGHT], LEFT)
    h.set_enabled(True)
    old = h.requests()
    assert offer(h, video(b"left-tiles"))
    assert not h.request_monitor(99)  # no such monitor: nothing changes
    assert h.current_monitor() == LEFT
    assert h.request_monitor(RIGHT.id)
    assert h.current_monitor() == RIGHT
    assert take_all(h) == []
    assert not h.offer_video([video(b"left-in-flight")], old.generation, old.keyframe)
    switched = h.requests()
    assert switched.monitor_id == RIGHT.id and switched.keyframe
    assert h.requests().monitor_id is None  # the thread is told once


def test_a_layout_change_is_announced_only_while_sharing() -> None:
    h = handoff()
    h.publish_monitors([LEFT], LEFT)
    h.publish_monitors([LEFT, RIGHT], LEFT)
    assert h.current_monitors() == [LEFT, RIGHT]
    h.set_enabled(True)
    assert take_all(h) == []  # the change came while nothing was shared
    h.publish_monitors([RIGHT], RIGHT)  # the shared monitor itself went away
    [listing] = take_all(h)
    assert parse_e2e_control(listing.payload) == MonitorList((RIGHT,), RIGHT.id)
    assert h.requests().keyframe  # a new monitor starts with a keyframe


def test_a_newer_cursor_replaces_an_untaken_one_but_keeps_its_new_shape() -> None:
    h = handoff()
    h.set_enabled(True)
    generation = h.requests().generation
    assert h.offer_cursor(CursorUpdate(1, 1, True, SHAPE), generation)
    assert h.offer_cursor(CursorUpdate(2, 2, True), generation)  # moved before it was taken
    [cursor] = take_all(h)
    assert parse_cursor(cursor.payload) == CursorUpdate(2, 2, True, SHAPE)
    assert h.offer_cursor(CursorUpdate(3, 3, False), generation)
    [hidden] = take_all(h)
    assert parse_cursor(hidden.payload) == CursorUpdate(3, 3, False)


def test_no_frame_taken_was_captured_under_an_older_generation() -> None:
    """A capture thread offers as fast as it can while the controlling side pauses and resumes:
    every frame taken carries the generation in force when it was taken."""
    h = handoff()
    stop = threading.Event()
    accepted = threading.Event()  # the thread got an offer in since the last round

    def capture() -> None:
        while not stop.is_set():
            asked = h.requests()
            tag = str(asked.generation).encode()
            if h.offer_video([video(tag)], asked.generation, asked.keyframe):
                accepted.set()
            h.offer_cursor(CursorUpdate(asked.generation, 0, True), asked.generation)

    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    taken = 0
    try:
        for round_ in range(200):
            enabled = round_ % 3 != 0
            h.set_enabled(enabled)
            generation = h.requests().generation  # only this side changes it
            accepted.clear()
            if enabled:
                assert accepted.wait(WAIT)  # at least one offer raced this round
            for _ in range(3):
                frame, _slot = h.take()
                if frame is None:
                    continue
                taken += 1
                if frame.kind is FrameKind.VIDEO:
                    assert int(frame.payload) == generation
                else:
                    assert parse_cursor(frame.payload).x == generation
            h.set_enabled(False)  # a pause with frames maybe still in flight
    finally:
        stop.set()
        thread.join(WAIT)
    assert taken > 0
