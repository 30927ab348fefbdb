"""The interfaces of the tile codecs: a frame-level `TileEncoder`, a run-level `TileCodec`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from ...protocol.media import Tile, TileEncoding
from ..tiles import Frame, Rect


class TileEncoder(Protocol):
    """Encodes the changed tiles of a frame.

    `frame` is the whole (h, w, 4) BGRA monitor; `rects` are the changed grid tiles in
    row-major order. The result covers exactly those pixels, possibly in fewer, larger tiles.
    `quality` (1-100, JPEG-like) is what the link affords now; None is the encoder's default.
    `keyframe` says the tiles start a keyframe: the encoder forgets what earlier frames told the
    receiver (a reused palette), since a receiver that lost frames starts over from here.
    `lossless` asks for no JPEG at all (the refresh after motion: the picture must end exact).
    """

    def encode(
        self,
        frame: Frame,
        rects: Sequence[Rect],
        *,
        quality: int | None = None,
        keyframe: bool = False,
        lossless: bool = False,
    ) -> list[Tile]: ...


@dataclass(frozen=True, slots=True)
class TileJob:
    """One run of tiles to encode as one image, and what is known about it already."""

    #: The (h, w, 4) BGRA view of the run.
    pixels: Frame
    #: Its distinct colours (0xRRGGBB words, ascending) when the judge counted them, else empty.
    colors: npt.NDArray[np.uint32]
    #: JPEG-like quality, 1-100: what the link affords now.
    quality: int
    #: A big change (a scroll): encode time matters more than bytes.
    fast: bool


class TileCodec(Protocol):
    """One image codec: encodes a run's pixels, or declines (None) if they do not suit it."""

    encoding: ClassVar[TileEncoding]

    def encode(self, job: TileJob) -> bytes | None: ...

    def forget(self) -> None:
        """A keyframe starts: forget what earlier frames told the receiver."""
