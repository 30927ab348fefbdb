"""The capture pipeline: change-driven capture and encoding in a thread, frames out to asyncio.

One thread owns the X connection, the grabber and the encoder. It sleeps in `select()` on the X
socket and a wake-up pipe and does work only when something happened:

- DAMAGE says a rectangle changed -> grab, compare only the touched tiles with what the viewer
  already has, encode the ones that differ, hand the frame over. Without DAMAGE the thread polls
  at `poll_fps` and compares the whole frame.
- The pointer is polled at `max_fps` (a cheap round trip) and sent only when it moved; XFixes
  says when its image changed.
- `max_fps` paces video: damage that arrives sooner is merged and captured at the next slot.

Hand-over holds at most one video capture and one cursor update. While the consumer has not
taken the last video frame, the thread captures nothing more and keeps merging damage, so what
it sends next is fresh, never a backlog (the "drop stale" rule of STYLE.md). A newer cursor
update replaces an untaken one.

Nothing is captured while disabled (before Allow, paused, ended); frames captured before a
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
from dataclasses import dataclass

import Xlib.display
import Xlib.error
from Xlib import X

from quickassist.protocol.frames import DEFAULT_MAX_PAYLOAD, FrameFlags, FrameKind
from quickassist.protocol.media import SCREEN_HEADER_SIZE, Tile, VideoPayload
from quickassist.protocol.payloads import CursorUpdate, MonitorInfo, encode_payload

from .capture import ScreenGrabber
from .codec import AdaptiveTileEncoder, TileEncoder
from .cursor import CursorWatch
from .damage import DamageWatch
from .monitors import pick_monitor, query_monitors
from .tiles import TILE_SIZE, Frame, Rect, TileGrid
from .x11_display import open_display

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodedFrame:
    """One payload ready for a binary frame: the caller adds the header (sequence, encryption)."""

    kind: FrameKind
    payload: bytes
    flags: FrameFlags
    timestamp_us: int


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
        # Limits
        max_payload: int = DEFAULT_MAX_PAYLOAD,
        use_damage: bool = True,
    ) -> None:
        if max_fps <= 0 or poll_fps <= 0:
            raise ValueError("frame rates must be positive")
        self._display_name = display
        self._initial_monitor_id = monitor_id
        self._frame_interval = 1.0 / max_fps
        self._poll_interval = 1.0 / poll_fps
        self._encoder: TileEncoder = encoder or AdaptiveTileEncoder()
        self._tile_size = tile_size
        self._max_payload = max_payload
        self._use_damage = use_damage

        # Shared with the capture thread, guarded by _lock.
        self._lock = threading.Lock()
        self._enabled = False
        self._generation = 0  # bumped on every disable: older captures are discarded
        self._keyframe_wanted = True
        self._monitor_wanted: int | None = None
        self._video: list[EncodedFrame] = []
        self._video_generation = 0
        self._cursor: EncodedFrame | None = None
        self._cursor_update: CursorUpdate | None = None  # what _cursor encodes
        self._cursor_generation = 0
        self._cursor_reset_wanted = True
        self._monitors: list[MonitorInfo] = []
        self._monitor: MonitorInfo | None = None
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
        with self._lock:
            self._video.clear()
            self._cursor = None
        for fd in (self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._wake_r = self._wake_w = -1

    # Control (any thread) --------------------------------------------------------------------

    def set_enabled(self, enabled: bool) -> None:
        """False: nothing is captured or handed out. True again: the next frame is a keyframe."""
        with self._lock:
            if enabled == self._enabled:
                return
            self._enabled = enabled
            if enabled:
                self._keyframe_wanted = True
                self._cursor_reset_wanted = True
            else:
                self._generation += 1
                self._video.clear()
                self._cursor = None
        self._wake()

    def request_keyframe(self) -> None:
        """The next video frame covers the whole monitor (helper asked to refresh, reconnected)."""
        with self._lock:
            self._keyframe_wanted = True
            self._cursor_reset_wanted = True
        self._wake()

    def select_monitor(self, monitor_id: int) -> None:
        """Share another monitor; the next frame is its keyframe. Unknown ids are ignored."""
        with self._lock:
            if not any(m.id == monitor_id for m in self._monitors):
                log.info("ignoring a request for unknown monitor %d", monitor_id)
                return
            self._monitor_wanted = monitor_id
        self._wake()

    @property
    def monitor(self) -> MonitorInfo:
        """The monitor being shared (known once started)."""
        with self._lock:
            if self._monitor is None:
                raise RuntimeError("the capture pipeline has not started")
            return self._monitor

    def monitors(self) -> list[MonitorInfo]:
        """All monitors, as of the last layout change the capture thread saw."""
        with self._lock:
            return list(self._monitors)

    # Output --------------------------------------------------------------------------------

    async def next_frame(self) -> EncodedFrame:
        """The next frame to send: a cursor update first if one waits, else video.

        Waits while nothing changed; never returns a frame captured before the last disable.
        """
        assert self._ready is not None, "start() first"
        while True:
            self._ready.clear()
            if self._failure is not None:
                raise self._failure
            frame = self._take()
            if frame is not None:
                return frame
            await self._ready.wait()

    def _take(self) -> EncodedFrame | None:
        with self._lock:
            if not self._enabled:
                return None
            if self._cursor is not None and self._cursor_generation == self._generation:
                frame, self._cursor = self._cursor, None
                return frame
            if self._video and self._video_generation == self._generation:
                frame = self._video.pop(0)
                if not self._video:
                    self._wake()  # the slot is free: the thread may capture again
                return frame
            return None

    # Capture thread ------------------------------------------------------------------------

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
            session = _CaptureSession(self)
        except BaseException as exc:  # reported to start(), which re-raises it
            self._loop.call_soon_threadsafe(_set_exception, started, exc)
            return
        self._loop.call_soon_threadsafe(_set_result, started)
        try:
            session.run()
        except Exception as exc:
            log.exception("the capture thread failed")
            self._failure = exc
            self._notify()
        finally:
            session.close()


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _set_exception(future: asyncio.Future[None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)


class _CaptureSession:
    """The capture thread's own state: X connection, grabber, what the viewer has."""

    def __init__(self, owner: CapturePipeline) -> None:
        self.owner = owner
        self.display: Xlib.display.Display = open_display(owner._display_name)
        try:
            self.root = self.display.screen().root
            # Layout changes (RandR, `xrandr --setmonitor`) arrive as ConfigureNotify on root.
            self.root.change_attributes(event_mask=X.StructureNotifyMask)
            self.damage = DamageWatch(self.display) if owner._use_damage else None
            self.cursor = CursorWatch(self.display)
            self.grabber = ScreenGrabber(display=owner._display_name)
        except BaseException:
            self.display.close()
            raise
        monitors = query_monitors(self.display)
        monitor = pick_monitor(monitors, owner._initial_monitor_id)
        with owner._lock:
            owner._monitors = monitors
            owner._monitor = monitor
        self.monitor = monitor
        self.grid = TileGrid(monitor.width, monitor.height, owner._tile_size)
        self.shown: Frame | None = None  # what the viewer has: the base for deltas
        self.dirty: list[Rect] = []  # damaged rectangles, monitor coordinates, not yet sent
        self.next_video = 0.0  # earliest time for the next video capture (pacing)
        self.next_poll = 0.0  # polling mode: next whole-frame compare
        self.next_cursor = 0.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.damage is not None:
                self.damage.close()
            self.grabber.close()
        with contextlib.suppress(Exception):
            self.display.close()

    @property
    def polling(self) -> bool:
        return self.damage is None or not self.damage.available

    def run(self) -> None:
        owner = self.owner
        fds = [self.display.fileno(), owner._wake_r]
        while not owner._stopping.is_set():
            self._drain_wakeups()
            layout_changed = self._drain_x_events()
            if layout_changed:
                self._refresh_monitors()
            with owner._lock:
                enabled = owner._enabled
                generation = owner._generation
                wanted_monitor, owner._monitor_wanted = owner._monitor_wanted, None
                keyframe = owner._keyframe_wanted
                slot_free = not owner._video
                reset_cursor, owner._cursor_reset_wanted = owner._cursor_reset_wanted, False
            if wanted_monitor is not None and wanted_monitor != self.monitor.id:
                self._switch_monitor(wanted_monitor)
                keyframe = True
            if not enabled:
                # Forget the viewer: whatever it had may be stale by the time we resume.
                self.shown = None
                self.dirty.clear()
                self._wait(fds, None)
                continue
            if reset_cursor:
                self.cursor.reset()
            now = time.monotonic()
            if now >= self.next_cursor:
                self.next_cursor = now + owner._frame_interval
                self._capture_cursor(generation)
            if keyframe:
                slot_free = True  # a keyframe replaces an untaken delta
            wants_video = keyframe or self.shown is None or bool(self.dirty)
            if self.polling and now >= self.next_poll:
                wants_video = True
            if wants_video and slot_free and now >= self.next_video:
                self._capture_video(generation, keyframe)
                self.next_video = now + owner._frame_interval
                if self.polling:
                    self.next_poll = now + owner._poll_interval
            self._wait(fds, self._timeout(slot_free, wants_video))

    def _timeout(self, slot_free: bool, wants_video: bool) -> float:
        """Seconds until the next timed duty: cursor poll, paced video, or a polling compare."""
        now = time.monotonic()
        deadlines = [self.next_cursor]
        if slot_free:
            # (A full slot waits for the consumer, who wakes us by taking the frame.)
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
            while os.read(self.owner._wake_r, 64):
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
            elif self.cursor.is_cursor_change(event):
                pass
            elif event.type == X.ConfigureNotify:
                layout_changed = True
        return layout_changed

    def _refresh_monitors(self) -> None:
        monitors = query_monitors(self.display)
        # Keep sharing the same monitor (by name) if it still exists, else the default one.
        same = [mon for mon in monitors if mon.name == self.monitor.name]
        monitor = same[0] if same else pick_monitor(monitors)
        with self.owner._lock:
            self.owner._monitors = monitors
        if monitor != self.monitor:
            self._use_monitor(monitor)

    def _switch_monitor(self, monitor_id: int) -> None:
        monitors = query_monitors(self.display)
        with self.owner._lock:
            self.owner._monitors = monitors
        self._use_monitor(pick_monitor(monitors, monitor_id))

    def _use_monitor(self, monitor: MonitorInfo) -> None:
        with self.owner._lock:
            self.owner._monitor = monitor
            self.owner._keyframe_wanted = True
            self.owner._video.clear()  # tiles of the old monitor mean nothing now
        self.monitor = monitor
        self.grid = TileGrid(monitor.width, monitor.height, self.owner._tile_size)
        self.shown = None
        self.dirty.clear()
        self.cursor.reset()

    def _capture_cursor(self, generation: int) -> None:
        try:
            update = self.cursor.poll(self.monitor)
        except Xlib.error.XError:
            log.debug("cursor query failed", exc_info=True)
            return
        if update is None:
            return
        owner = self.owner
        with owner._lock:
            if generation != owner._generation:
                return
            pending = owner._cursor_update if owner._cursor is not None else None
            if update.shape is None and pending is not None and pending.shape is not None:
                # The untaken update carried a new image: keep it with the newer position.
                update = CursorUpdate(update.x, update.y, update.visible, pending.shape)
            owner._cursor_update = update
            owner._cursor = EncodedFrame(
                FrameKind.CURSOR, encode_payload(update), FrameFlags.NONE, _now_us()
            )
            owner._cursor_generation = generation
        owner._notify()

    def _capture_video(self, generation: int, keyframe: bool) -> None:
        owner = self.owner
        timestamp = _now_us()
        frame = self.grabber.grab(self.monitor)
        if frame.shape[:2] != (self.grid.height, self.grid.width):
            return  # the layout is changing under us; the ConfigureNotify follows
        if keyframe or self.shown is None:
            keyframe = True
            tiles = self.grid.all()
            self.shown = frame.copy()
        else:
            candidates = None if self.polling else self.grid.touching(self.dirty)
            tiles = self.grid.changed(self.shown, frame, candidates)
            for tile in tiles:
                self.grid.pixels(self.shown, tile)[...] = self.grid.pixels(frame, tile)
        self.dirty.clear()
        with owner._lock:
            if keyframe:
                owner._keyframe_wanted = False
        if not tiles:
            return
        encoded = [
            self.owner._encoder.encode(self.grid.pixels(frame, t), *_origin(self.grid.rect(t)))
            for t in tiles
        ]
        payloads = split_tiles(self.monitor.width, self.monitor.height, encoded, owner._max_payload)
        frames = [
            EncodedFrame(
                FrameKind.VIDEO,
                bytes(payload),
                FrameFlags.KEYFRAME if keyframe and index == 0 else FrameFlags.NONE,
                timestamp,
            )
            for index, payload in enumerate(payloads)
        ]
        with owner._lock:
            if generation != owner._generation or not owner._enabled:
                self.shown = None  # the viewer never got this: start over with a keyframe
                return
            owner._video = frames
            owner._video_generation = generation
        owner._notify()


def split_tiles(width: int, height: int, tiles: list[Tile], max_payload: int) -> list[VideoPayload]:
    """Tiles packed into as few payloads as fit `max_payload` bytes each, in order."""
    payloads: list[VideoPayload] = []
    batch: list[Tile] = []
    size = SCREEN_HEADER_SIZE
    for tile in tiles:
        if batch and (size + tile.wire_size > max_payload or len(batch) == 0xFFFF):
            payloads.append(VideoPayload(width, height, tuple(batch)))
            batch, size = [], SCREEN_HEADER_SIZE
        batch.append(tile)
        size += tile.wire_size
    if batch:
        payloads.append(VideoPayload(width, height, tuple(batch)))
    return payloads


def _origin(rect: Rect) -> tuple[int, int]:
    return rect.x, rect.y


def _now_us() -> int:
    return time.time_ns() // 1000
