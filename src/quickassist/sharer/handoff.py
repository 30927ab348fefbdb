"""The hand-over between the capture thread and the asyncio side: one slot per kind of frame.

`FrameHandoff` holds at most one video capture (possibly split into parts), one cursor update
and one monitor-list announcement, all under one lock. The controlling side sets what it wants
(enabled, keyframe, monitor); the capture thread reads that each round with `requests()` and
offers what it captured. Nothing queues up: a new cursor update replaces an untaken one, and the
thread offers video only when the slot is free (or a keyframe replaces a delta).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from quickassist.protocol.frames import FrameFlags, FrameKind
from quickassist.protocol.payloads import CursorUpdate, MonitorInfo, MonitorList, encode_payload

from .pacing import LinkEstimate
from .quality import QualityGovernor


@dataclass(frozen=True)
class EncodedFrame:
    """One payload ready for a binary frame: the caller adds the header (sequence, encryption)."""

    kind: FrameKind
    payload: bytes
    flags: FrameFlags
    timestamp_us: int


@dataclass(frozen=True)
class Requests:
    """What the controlling side asked for, as the capture thread reads it each round."""

    enabled: bool
    generation: int
    keyframe: int  # number of the latest keyframe request (0: none since the last one served)
    monitor_id: int | None
    reset_cursor: bool
    video_slot_free: bool


class FrameHandoff:
    """State shared by the capture thread and the controlling side, under one lock.

    `generation` grows on every disable and monitor switch; anything captured under an older
    generation is dropped, so a frame grabbed just before a pause is never handed out after it,
    nor a tile of the previous monitor after a switch.
    """

    def __init__(self, governor: QualityGovernor) -> None:
        self._lock = threading.Lock()
        self._governor = governor
        self._video_offered_at = 0.0
        self._enabled = False
        self._generation = 0
        self._keyframe_requests = 1  # the first frame is a keyframe
        self._keyframes_served = 0
        self._monitor_id: int | None = None
        self._reset_cursor = True
        self._video: list[EncodedFrame] = []
        #: The flow window is full: capture nothing new until it opens (what is captured then is
        #: fresh, not a picture that waited a round trip in the slot).
        self._video_held = False
        self._cursor: EncodedFrame | None = None
        self._cursor_update: CursorUpdate | None = None  # what _cursor encodes
        self._control: EncodedFrame | None = None  # a MonitorList after a layout change
        self.monitors: list[MonitorInfo] = []
        self.monitor: MonitorInfo | None = None

    # Controlling side

    def set_enabled(self, enabled: bool) -> bool:
        """Returns whether anything changed."""
        with self._lock:
            if enabled == self._enabled:
                return False
            self._enabled = enabled
            if enabled:
                self._keyframe_requests += 1
                self._reset_cursor = True
            else:
                self._generation += 1
                self._video.clear()
                self._cursor = None
                self._control = None
            return True

    def request_keyframe(self) -> None:
        with self._lock:
            self._keyframe_requests += 1
            self._reset_cursor = True

    def hold_video(self, held: bool) -> bool:
        """Whether new captures wait (the flow window is full); True if that changed."""
        with self._lock:
            changed, self._video_held = held != self._video_held, held
            return changed

    def request_monitor(self, monitor_id: int) -> bool:
        """Switch now as far as callers can see; the thread follows on its next round."""
        with self._lock:
            chosen = [m for m in self.monitors if m.id == monitor_id]
            if not chosen:
                return False
            if chosen[0] != self.monitor:
                self.monitor = chosen[0]
                self._monitor_id = monitor_id
                self._keyframe_requests += 1
                self._reset_cursor = True
                # Whatever was captured of the old monitor is dropped, taken or in flight.
                self._generation += 1
                self._video.clear()
                self._cursor = None
            return True

    def take(self, *, video: bool = True) -> tuple[EncodedFrame | None, bool]:
        """The next frame (cursor first) and whether the video slot just became free.

        With `video` False only cursor and control frames come out: the flow window is full,
        and the capture waiting here keeps merging changes until it may leave.
        """
        with self._lock:
            if not self._enabled:
                return None, False
            if self._cursor is not None:
                frame, self._cursor = self._cursor, None
                return frame, False
            if self._control is not None:
                frame, self._control = self._control, None
                return frame, False
            if self._video and video:
                frame = self._video.pop(0)
                if not self._video:  # the whole capture left: how long did it wait?
                    self._governor.observe(time.monotonic() - self._video_offered_at)
                return frame, not self._video
            return None, False

    def clear(self) -> None:
        with self._lock:
            self._video.clear()
            self._cursor = None
            self._control = None

    def current_monitor(self) -> MonitorInfo | None:
        with self._lock:
            return self.monitor

    def current_monitors(self) -> list[MonitorInfo]:
        with self._lock:
            return list(self.monitors)

    # Capture thread

    def requests(self) -> Requests:
        with self._lock:
            monitor_id, self._monitor_id = self._monitor_id, None
            reset_cursor, self._reset_cursor = self._reset_cursor, False
            pending = self._keyframe_requests > self._keyframes_served
            return Requests(
                enabled=self._enabled,
                generation=self._generation,
                keyframe=self._keyframe_requests if pending else 0,
                monitor_id=monitor_id,
                reset_cursor=reset_cursor,
                video_slot_free=not self._video and not self._video_held,
            )

    def publish_monitors(self, monitors: list[MonitorInfo], current: MonitorInfo) -> None:
        """Record the layout; a change after the first is announced with a `MonitorList`."""
        with self._lock:
            changed = self.monitor is not None and (
                monitors != self.monitors or current != self.monitor
            )
            self.monitors = monitors
            if current != self.monitor:
                self.monitor = current
                self._keyframe_requests += 1
                self._video.clear()  # tiles of the old monitor mean nothing now
            if changed and self._enabled:
                listing = MonitorList(tuple(monitors), current.id)
                self._control = EncodedFrame(
                    FrameKind.CONTROL_E2E, encode_payload(listing), FrameFlags.NONE, _now_us()
                )

    def offer_video(self, frames: list[EncodedFrame], generation: int, keyframe: int) -> bool:
        """Hand over one capture; False if it is stale (disabled since) and was dropped."""
        with self._lock:
            if generation != self._generation or not self._enabled:
                return False
            if keyframe:
                self._keyframes_served = max(self._keyframes_served, keyframe)
            if frames:
                self._video = frames  # replaces an untaken delta only when this is a keyframe
                self._video_offered_at = time.monotonic()
                self._governor.observe_frame(sum(len(f.payload) for f in frames))
            return True

    def quality(self, now: float) -> int:
        """The JPEG quality the link affords now."""
        with self._lock:
            return self._governor.quality(now)

    def capture_interval(self) -> float:
        """The least time between two video captures (the helper's quality choice sets it)."""
        with self._lock:
            return self._governor.capture_interval()

    def set_link(self, link: LinkEstimate) -> None:
        """The link as the console's acknowledgements measure it (for the quality)."""
        with self._lock:
            self._governor.observe_link(link)

    def set_quality_mode(self, mode: str) -> None:
        with self._lock:
            self._governor.set_mode(mode)

    def offer_cursor(self, update: CursorUpdate, generation: int) -> bool:
        with self._lock:
            if generation != self._generation or not self._enabled:
                return False
            pending = self._cursor_update if self._cursor is not None else None
            if update.shape is None and pending is not None and pending.shape is not None:
                # The untaken update carried a new image: keep it with the newer position.
                update = CursorUpdate(update.x, update.y, update.visible, pending.shape)
            self._cursor_update = update
            self._cursor = EncodedFrame(
                FrameKind.CURSOR, encode_payload(update), FrameFlags.NONE, _now_us()
            )
            return True


def _now_us() -> int:
    return time.time_ns() // 1000
