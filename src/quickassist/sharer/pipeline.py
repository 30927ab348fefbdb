"""The capture pipeline: change-driven capture and encoding in a thread, frames out to asyncio.

One thread owns the X connection, the grabber and the encoder. It sleeps in `select()` on the X
socket and a wake-up pipe and works only when something happened:

- DAMAGE says a rectangle changed -> grab, compare only the touched tiles with what the viewer
  already has, encode the ones that differ, hand the frame over. Without DAMAGE the thread polls
  at `poll_fps` and compares the whole frame.
- The pointer is polled at `max_fps` while XInput 2 raw motion says it moves (four times a
  second otherwise, for warps) and sent only when it moved; XFixes says when its image changed.
- `max_fps` paces video: damage that arrives sooner is merged and captured at the next slot.

The hand-over (`handoff.FrameHandoff`) holds at most one video capture and one cursor update.
While the consumer has not taken the last video frame, the thread captures nothing more and
keeps merging damage, so what it sends next is fresh, never a backlog (STYLE.md: drop stale,
bounded queues). A newer cursor update replaces an untaken one. How long captures wait to be
taken sets the JPEG quality (`QualityGovernor`): a link that drains slowly gets smaller frames,
not just fewer.

What a capture sends is decided by `updates.ScreenUpdates`: a COPY for a scroll plus the exposed
strip, one H.264 picture for a region in motion (once the console said it decodes H.264:
`set_video_codecs`; the bitrate follows `set_link`), image tiles for the rest, and a lossless
refresh of the region when its motion stops (the thread wakes for that check by itself).

Nothing is captured while disabled (before Allow, paused, ended), and frames captured before a
disable are discarded, never delivered after it. Enabling again, a monitor switch and
`request_keyframe` make the next video frame a keyframe covering the whole monitor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import Xlib.display
import Xlib.error
from Xlib import X

from quickassist.protocol.frames import DEFAULT_MAX_PAYLOAD, FrameFlags, FrameKind
from quickassist.protocol.media import MAX_TILES, Tile, VideoPayload, screen_head_size
from quickassist.protocol.payloads import MonitorInfo

from .capture import ScreenGrabber
from .codecs.adaptive import AdaptiveTileEncoder
from .codecs.base import TileEncoder
from .cursor import CursorWatch
from .damage import DamageWatch
from .errors import SharerError
from .handoff import EncodedFrame, FrameHandoff
from .monitors import pick_monitor, query_monitors
from .pacing import LinkEstimate
from .quality import QualityGovernor
from .tiles import TILE_SIZE, Rect, TileGrid, bounding_box
from .updates import ScreenUpdates
from .x11_display import open_display

__all__ = ["CaptureFailed", "CapturePipeline", "EncodedFrame", "split_tiles"]

log = logging.getLogger(__name__)

#: Largest video payload: the frame limit less room for end-to-end encryption's nonce and tag.
MAX_VIDEO_PAYLOAD = DEFAULT_MAX_PAYLOAD - 4096
#: Damage rectangles kept apart while waiting for a slow consumer; past this they are merged
#: into their bounding box (the tile compare then finds what really changed).
MAX_DIRTY_RECTS = 512
#: Pointer polling while the pointer is still: slow, since raw motion events announce movement
#: (this only catches warps by applications, which make no event).
IDLE_CURSOR_POLL = 0.25
#: After the last motion the pointer is polled at the frame rate for this long.
CURSOR_ACTIVE_FOR = 0.5


class CaptureFailed(SharerError):
    """The capture thread stopped (the X server went away, or a bug): no more frames."""

    def __init__(self) -> None:
        super().__init__("Screen capture stopped. End the session and share again.")


@dataclass
class _VideoWish:
    """What the asyncio side wants of the video path; the capture thread reads it each round
    (single attribute writes: no lock needed)."""

    allowed: bool = False
    bitrate_bps: int | None = None  # None: the encoder's default until the link is measured


@dataclass(frozen=True)
class _Settings:
    display: str | None
    monitor_id: int | None
    frame_interval: float
    poll_interval: float
    encoder: TileEncoder
    tile_size: int
    max_payload: int
    use_damage: bool


class CapturePipeline:
    """Captures the chosen monitor on change and yields encoded video and cursor frames."""

    def __init__(
        self,
        *,
        display: str | None = None,
        monitor_id: int | None = None,
        max_fps: float = 60.0,
        poll_fps: float = 15.0,
        # Codec
        encoder: TileEncoder | None = None,
        tile_size: int = TILE_SIZE,
        # Limits and platform
        max_payload: int = MAX_VIDEO_PAYLOAD,
        use_damage: bool = True,
    ) -> None:
        if max_fps <= 0 or poll_fps <= 0:
            raise ValueError("frame rates must be positive")
        self._settings = _Settings(
            display=display,
            monitor_id=monitor_id,
            frame_interval=1.0 / max_fps,
            poll_interval=1.0 / poll_fps,
            encoder=encoder or AdaptiveTileEncoder(),
            tile_size=tile_size,
            max_payload=max_payload,
            use_damage=use_damage,
        )
        self._video = _VideoWish()
        self._handoff = FrameHandoff(QualityGovernor(frame_interval=1.0 / max_fps))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready: asyncio.Event | None = None
        self._failure: BaseException | None = None

    # Lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the display and start the capture thread (it captures only while enabled)."""
        if self._thread is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._stopping.clear()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        started: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name="quickassist-capture", daemon=True
        )
        self._thread.start()
        try:
            await started
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop capturing and join the thread; frames not yet taken are dropped."""
        self._stopping.set()
        self._wake()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join)
        self._handoff.clear()
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    # Control (any thread) --------------------------------------------------------------------

    def set_enabled(self, enabled: bool) -> None:
        """False: nothing is captured or handed out. True again: the next frame is a keyframe."""
        if self._handoff.set_enabled(enabled):
            self._wake()

    def request_keyframe(self) -> None:
        """The next video frame covers the whole monitor (refresh, resync, a new viewer)."""
        self._handoff.request_keyframe()
        self._wake()

    def hold_video(self, held: bool) -> None:
        """True while the flow window is full: no new capture (changes merge meanwhile), so
        the one taken when it opens shows the screen as it is then."""
        if self._handoff.hold_video(held) and not held:
            self._wake()

    def set_link(self, link: LinkEstimate) -> None:
        """The link as measured from the console's acknowledgements: sets the JPEG quality
        and the video bitrate."""
        self._handoff.set_link(link)
        if link.video_bitrate_bps > 0:
            # The flow window's controller (sharer/bitrate.py): starts low, probes upward while
            # the link keeps up, backs off when its round trip grows.
            self._video.bitrate_bps = int(link.video_bitrate_bps)

    def set_video_codecs(self, codecs: Sequence[str]) -> None:
        """What the console decodes ("h264" or nothing): without it motion goes as tiles. A
        change is followed by a keyframe (a console that stopped decoding needs a picture)."""
        allowed = "h264" in codecs
        if allowed != self._video.allowed:
            self._video.allowed = allowed
            self.request_keyframe()

    def set_quality_mode(self, mode: str) -> None:
        """The helper's choice: "auto", "sharp" or "smooth" (sharer/quality.py)."""
        self._handoff.set_quality_mode(mode)

    def select_monitor(self, monitor_id: int) -> None:
        """Share another monitor; the next frame is its keyframe. Unknown ids are ignored.

        `monitor` reports the new monitor as soon as this returns.
        """
        if self._handoff.request_monitor(monitor_id):
            self._wake()
        else:
            log.info("ignoring a request for unknown monitor %d", monitor_id)

    @property
    def monitor(self) -> MonitorInfo:
        """The monitor being shared (known once started)."""
        monitor = self._handoff.current_monitor()
        if monitor is None:
            raise RuntimeError("the capture pipeline has not started")
        return monitor

    def monitors(self) -> list[MonitorInfo]:
        """All monitors, as of the last layout change the capture thread saw."""
        return self._handoff.current_monitors()

    # Output --------------------------------------------------------------------------------

    async def next_frame(self, *, video: bool = True) -> EncodedFrame:
        """The next frame to send: a cursor update first if one waits, else video (unless
        `video` is False: the flow window is full, and the capture waits, merging changes).

        When the monitor layout changes while enabled, a control-e2e frame with the new
        `MonitorList` comes out too (sent like any other frame).

        Waits while nothing changes; never returns a frame captured before the last disable.
        Raises `CaptureFailed` once the capture thread has stopped on an error.
        """
        if self._ready is None:
            raise RuntimeError("the capture pipeline has not started")
        while True:
            self._ready.clear()
            if self._failure is not None:
                raise self._failure
            frame, slot_freed = self._handoff.take(video=video)
            if slot_freed:
                self._wake()  # the thread may capture again
            if frame is not None:
                return frame
            await self._ready.wait()

    # Plumbing between the threads ------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w >= 0:
            with contextlib.suppress(BlockingIOError, OSError):
                os.write(self._wake_w, b"\0")

    def _notify(self) -> None:
        loop, ready = self._loop, self._ready
        if loop is not None and ready is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening
                loop.call_soon_threadsafe(ready.set)

    def _run(self, started: asyncio.Future[None]) -> None:
        assert self._loop is not None
        try:
            capture = _CaptureThread(
                self._settings,
                self._handoff,
                self._video,
                self._wake_r,
                self._stopping,
                self._notify,
            )
        except BaseException as exc:  # handed to start(), which raises it
            self._loop.call_soon_threadsafe(_set_exception, started, exc)
            return
        self._loop.call_soon_threadsafe(_set_result, started)
        try:
            capture.run()
        except Exception as exc:
            log.exception("the capture thread failed")
            failure = CaptureFailed()
            failure.__cause__ = exc
            self._failure = failure
            self._notify()
        finally:
            capture.close()


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _set_exception(future: asyncio.Future[None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class _CaptureThread:
    """The capture thread's own state: X connection, grabber, and what the viewer has."""

    def __init__(
        self,
        settings: _Settings,
        handoff: FrameHandoff,
        video: _VideoWish,
        wake_fd: int,
        stopping: threading.Event,
        notify: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.handoff = handoff
        self.video = video
        self.wake_fd = wake_fd
        self.stopping = stopping
        self.notify = notify
        self.display: Xlib.display.Display = open_display(settings.display)
        self.damage: DamageWatch | None = None
        self.grabber: ScreenGrabber | None = None
        try:
            root = self.display.screen().root
            # Layout changes (RandR, `xrandr --setmonitor`) arrive as ConfigureNotify on root.
            root.change_attributes(event_mask=X.StructureNotifyMask)
            self.damage = DamageWatch(self.display) if settings.use_damage else None
            self.cursor = CursorWatch(self.display)
            self.grabber = ScreenGrabber(display=settings.display)
            monitors = query_monitors(self.display)
        except BaseException:
            self.close()
            raise
        self.monitor = pick_monitor(monitors, settings.monitor_id)
        handoff.publish_monitors(monitors, self.monitor)
        self.grid = TileGrid(self.monitor.width, self.monitor.height, settings.tile_size)
        self.updates = ScreenUpdates(  # what the viewer has
            self.grid, settings.encoder, frame_interval=settings.frame_interval
        )
        self.dirty: list[Rect] = []  # damaged rectangles (monitor coordinates) not yet sent
        self.next_video = 0.0  # earliest time for the next video capture (pacing)
        self.next_poll = 0.0  # polling mode: next whole-frame compare
        self.next_cursor = 0.0
        self.cursor_active_until = 0.0  # poll the pointer at the frame rate until then
        self.last_cursor_poll = 0.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.damage is not None:
                self.damage.close()
        with contextlib.suppress(Exception):
            if self.grabber is not None:
                self.grabber.close()
        with contextlib.suppress(Exception):
            self.display.close()

    @property
    def polling(self) -> bool:
        return self.damage is None or not self.damage.available

    def run(self) -> None:
        fds = [self.display.fileno(), self.wake_fd]
        while not self.stopping.is_set():
            self._drain_wakeups()
            if self._drain_x_events():
                self._refresh_monitors()
            asked = self.handoff.requests()
            if asked.reset_cursor:
                self.cursor.reset()
            if asked.monitor_id is not None and asked.monitor_id != self.monitor.id:
                self._refresh_monitors(asked.monitor_id)
            if not asked.enabled:
                # Forget the viewer: whatever it had may be stale by the time we resume.
                self.updates.forget()
                self.dirty.clear()
                self._wait(fds, None)
                continue
            now = time.monotonic()
            if now >= self.next_cursor:
                self._capture_cursor(asked.generation, now)
            # A keyframe replaces an untaken delta; anything else waits for the slot.
            slot_free = asked.video_slot_free or bool(asked.keyframe)
            self._follow_video_wish()
            wants_video = bool(asked.keyframe) or self.updates.shown is None or bool(self.dirty)
            if self.polling and now >= self.next_poll:
                wants_video = True
            motion_check = self.updates.deadline()
            if motion_check is not None and now >= motion_check:
                wants_video = True  # the capture that finds the motion over
            if wants_video and slot_free and now >= self.next_video:
                self._capture_video(asked.generation, asked.keyframe)
                self.next_video = now + self.handoff.capture_interval()
                self.next_poll = now + self.settings.poll_interval
            self._wait(fds, self._timeout(slot_free, wants_video))

    def _timeout(self, slot_free: bool, wants_video: bool) -> float:
        """Seconds until the next timed duty: cursor poll, paced video, or a polling compare."""
        now = time.monotonic()
        deadlines = [self.next_cursor]
        motion_check = self.updates.deadline()
        if slot_free and motion_check is not None:
            deadlines.append(max(motion_check, self.next_video))
        if slot_free:  # a full slot waits for the consumer, who wakes us by taking the frame
            if wants_video:
                deadlines.append(self.next_video)
            if self.polling:
                deadlines.append(max(self.next_poll, self.next_video))
        return max(0.0, min(deadlines) - now)

    def _wait(self, fds: list[int], timeout: float | None) -> None:
        if self.display.pending_events():
            return
        select.select(fds, [], [], timeout)

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self.wake_fd, 64):
                pass

    def _drain_x_events(self) -> bool:
        """Collect damage into `dirty`; True if the monitor layout may have changed."""
        layout_changed = False
        m = self.monitor
        while self.display.pending_events():
            event = self.display.next_event()
            if self.damage is not None and self.damage.is_damage(event):
                r = DamageWatch.rect(event)
                clipped = Rect(r.x - m.x, r.y - m.y, r.width, r.height).clip(m.width, m.height)
                if clipped is not None:
                    self.dirty.append(clipped)
                    if len(self.dirty) > MAX_DIRTY_RECTS:
                        self.dirty = [bounding_box(self.dirty)]
            elif self.cursor.is_motion(event) or self.cursor.is_cursor_change(event):
                # (A new image is noted by the watch: the next update carries it. Animated
                # cursors change many times a second, hence the same pacing as motion.)
                self._cursor_moved()
            elif event.type == X.ConfigureNotify:
                layout_changed = True
        return layout_changed

    def _refresh_monitors(self, wanted_id: int | None = None) -> None:
        """Re-read the layout; share `wanted_id`, else the same monitor (by name), else default."""
        monitors = query_monitors(self.display)
        if wanted_id is not None:
            monitor = pick_monitor(monitors, wanted_id)
        else:
            same = [m for m in monitors if m.name == self.monitor.name]
            monitor = same[0] if same else pick_monitor(monitors)
        self.handoff.publish_monitors(monitors, monitor)
        if monitor != self.monitor:
            self.monitor = monitor
            self.grid = TileGrid(monitor.width, monitor.height, self.settings.tile_size)
            self.updates = ScreenUpdates(
                self.grid, self.settings.encoder, frame_interval=self.settings.frame_interval
            )
            self.dirty.clear()
            self.cursor.reset()

    def _cursor_moved(self) -> None:
        """The pointer moves or changes: poll it at the frame rate (paced) for a while."""
        self.cursor_active_until = time.monotonic() + CURSOR_ACTIVE_FOR
        self.next_cursor = min(
            self.next_cursor, self.last_cursor_poll + self.settings.frame_interval
        )

    def _capture_cursor(self, generation: int, now: float) -> None:
        """Poll the pointer; stay at the frame rate while it moves, slow down once it rests."""
        self.last_cursor_poll = now
        try:
            update = self.cursor.poll(self.monitor)
        except Xlib.error.XError:
            log.debug("cursor query failed", exc_info=True)
            update = None
        if update is not None:
            self.cursor_active_until = now + CURSOR_ACTIVE_FOR
        active = now < self.cursor_active_until or not self.cursor.motion_events
        self.next_cursor = now + (self.settings.frame_interval if active else IDLE_CURSOR_POLL)
        if update is not None and self.handoff.offer_cursor(update, generation):
            self.notify()

    def _capture_video(self, generation: int, keyframe: int) -> None:
        assert self.grabber is not None
        timestamp = _now_us()
        started = time.perf_counter()
        frame = self.grabber.grab(self.monitor)
        if frame.shape[:2] != (self.grid.height, self.grid.width):
            return  # the layout is changing under us; its ConfigureNotify follows
        full = bool(keyframe) or self.updates.shown is None
        candidates = None if self.polling else self.grid.touching(self.dirty)
        self.dirty.clear()
        now = time.monotonic()
        quality = self.handoff.quality(now)
        encoded = self.updates.update(frame, candidates, full=full, quality=quality, now=now)
        # (Wall time, not CPU time: a thread that does not get the CPU is as late as a slow one.)
        self.updates.capture_cost(time.perf_counter() - started, now)
        payloads = split_tiles(
            self.monitor.width, self.monitor.height, encoded, self.settings.max_payload
        )
        frames = [
            EncodedFrame(
                FrameKind.VIDEO,
                bytes(payload),
                FrameFlags.KEYFRAME if full and index == 0 else FrameFlags.NONE,
                timestamp,
            )
            for index, payload in enumerate(payloads)
        ]
        if not self.handoff.offer_video(frames, generation, keyframe):
            self.updates.forget()  # the viewer never got this: start over with a keyframe
        elif frames:
            self.notify()

    def _follow_video_wish(self) -> None:
        wish = self.video
        self.updates.allow_video(wish.allowed)
        if wish.bitrate_bps is not None and wish.bitrate_bps != self.updates.video.bitrate:
            self.updates.video.set_bitrate(wish.bitrate_bps)


def split_tiles(width: int, height: int, tiles: list[Tile], max_payload: int) -> list[VideoPayload]:
    """Tiles packed in order into as few payloads as fit `max_payload` bytes each.

    Only the first payload of a split keyframe carries the keyframe flag; the rest are deltas
    that complete it. A tile is never cut, so one larger than `max_payload` travels alone (it
    cannot be, at the defaults: the largest image tile is 512x64 pixels, under 100 KB raw).
    """
    payloads: list[VideoPayload] = []
    batch: list[Tile] = []
    head = screen_head_size(width, height)
    size = head
    for tile in tiles:
        if batch and (size + tile.wire_size > max_payload or len(batch) == MAX_TILES):
            payloads.append(VideoPayload(width, height, tuple(batch)))
            batch, size = [], head
        batch.append(tile)
        size += tile.wire_size
    if batch:
        payloads.append(VideoPayload(width, height, tuple(batch)))
    return payloads


def _now_us() -> int:
    return time.time_ns() // 1000
