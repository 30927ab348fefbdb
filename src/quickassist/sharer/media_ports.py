"""What the session controller needs from capture and injection, and how it gets them.

The controller codes to these small protocols, not to the classes in sharer/pipeline.py and
sharer/inject.py, so the UIs and the guard stay importable (and testable) where no display
exists; `default_media` imports the real ones only when a session starts.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..protocol.payloads import MonitorInfo
from .errors import SharerError
from .pacing import LinkEstimate

log = logging.getLogger(__name__)


class MonitorLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def x(self) -> int: ...
    @property
    def y(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def primary(self) -> bool: ...
    @property
    def name(self) -> str: ...


class EncodedFrameLike(Protocol):
    @property
    def kind(self) -> Any: ...
    @property
    def payload(self) -> bytes: ...
    @property
    def flags(self) -> Any: ...
    @property
    def timestamp_us(self) -> int: ...


class FrameSource(Protocol):
    """The capture pipeline as the controller uses it."""

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def set_enabled(self, enabled: bool) -> None: ...
    def request_keyframe(self) -> None: ...
    def select_monitor(self, monitor_id: int) -> None: ...
    def set_link(self, link: LinkEstimate) -> None: ...
    def set_quality_mode(self, mode: str) -> None: ...
    def hold_video(self, held: bool) -> None: ...
    def set_video_codecs(self, codecs: Sequence[str]) -> None: ...
    @property
    def monitor(self) -> Any: ...
    def monitors(self) -> Sequence[Any]: ...
    async def next_frame(self, *, video: bool = True) -> Any: ...


class InputSink(Protocol):
    """The input injector as the controller uses it."""

    def set_monitor(self, monitor: Any) -> None: ...
    def apply(self, event: Any) -> None: ...
    def release_all(self) -> None: ...
    def close(self) -> None: ...


MediaFactory = Callable[[], tuple[FrameSource, InputSink]]


def default_media(*, monitor_id: int | None = None) -> MediaFactory:
    """Capture and injection on this machine's display (imported only when a session starts)."""

    def make() -> tuple[FrameSource, InputSink]:
        # Imported here: capture and injection need a display, and only a running session does.
        try:
            pipeline_module = importlib.import_module(f"{__package__}.pipeline")
            inject_module = importlib.import_module(f"{__package__}.inject")
        except ImportError as exc:
            log.info("capture or injection is not available: %s", exc)
            raise SharerError(
                "Screen sharing is not available on this system (a part of the app is missing). "
                "Reinstall quickassist with its sharer extras."
            ) from exc
        pipeline: FrameSource = pipeline_module.CapturePipeline(monitor_id=monitor_id)
        injector: InputSink = inject_module.InputInjector()
        return pipeline, injector

    return make


def monitor_info(monitor: MonitorLike) -> MonitorInfo:
    return MonitorInfo(
        monitor.id,
        monitor.x,
        monitor.y,
        monitor.width,
        monitor.height,
        monitor.primary,
        monitor.name,
    )
