"""`H264Encoder`: one H.264 stream over one rectangle of the screen, for content in motion.

BGRA pixels in, one Annex B access unit out per call (SPS and PPS in band before every IDR, so
any keyframe starts a stream a decoder can join). libx264 through PyAV with the zero-latency
tuning: no B-frames, no lookahead, one frame in, one frame out, so nothing waits inside the
encoder. There is no periodic keyframe: keyframes come when asked for (`keyframe=True`: a
refresh, a new key, a monitor switch, a decoder that lost its place) and when the rectangle
changes size, which restarts the encoder.

The target bitrate follows the link (`set_bitrate`, from sharer/bitrate.py): libx264 takes a
somewhat lower rate between frames without a keyframe (FFmpeg's libx264 wrapper reconfigures
x264 when `bit_rate` changes); a VBV of two frames' worth keeps each frame near its share, so
one big frame cannot fill the link. The VBV is fixed when the stream opens (PyAV cannot change
`rc_max_rate` after), so a target far from it either way starts a new stream: much higher, to
use the room; much lower, so that single frames shrink with the link (a VBV sized for 6 Mbit/s
lets one frame take 200 ms of a 2 Mbit/s link). A stream starts at `START_BITRATE`, low, and
the controller probes upward from there.

The BGRA picture becomes I420 with point sampling of the chroma (`CONVERSION`) before x264:
1.6 ms for 1080p against 2.5 ms with swscale's default bilinear filter (min of 30, here), the
lossy video's colour edges only (the lossless refresh after the motion is exact). At `scale` 2
(sharer/video_scale.py, when the capture thread is short of CPU) the same conversion also halves
the width and height: 0.9 ms, and x264 gets a quarter of the pixels (5.9 against 12.6 ms, min,
for a panned 1080p noise picture); the stream restarts at the new coded size with a keyframe.

Preset and profile were measured with bench/video_encode.py (docs/benchmarks.md, "Video"): see
`PRESET`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import numpy as np
from av.video.frame import PictureType

from ..bitrate import CEILING_BITRATE, START_BITRATE
from ..errors import SharerError
from ..tiles import Frame

# Defaults -------------------------------------------------------------------------------------
#: x264 preset and profile, from bench/video_encode.py at 1080p, 6 Mbit/s (CPU ms a frame incl.
#: BGRA -> YUV, p50; PSNR): ultrafast baseline 12.1 ms, 23.3 dB; ultrafast high 11.9 ms, 23.3 dB
#: (ultrafast turns off CABAC and 8x8 transforms, so high adds nothing); superfast baseline
#: 13.0 ms, 23.2 dB; superfast high 16.6 ms (1.4x), 23.5 dB. At a fixed bitrate the better tools
#: buy 0.2 dB, which the lossless refresh after the motion makes moot; CPU caps the frame rate.
#: Baseline also decodes everywhere (WebCodecs' openh264 in Chromium).
PRESET = "ultrafast"
PROFILE = "baseline"
#: The target before the link has been measured (low: sharer/bitrate.py probes upward), and
#: the most a fast link raises it to (DEFAULT_BITRATE, bench/video_encode.py's default too):
#: what a 1080p desktop in motion needs to look right at 30 fps, under issue 9's 10 Mbit/s.
FIRST_BITRATE = START_BITRATE
DEFAULT_BITRATE = CEILING_BITRATE
#: Bounds of the target: below ~250 kbit/s even a small region turns to mush; above 40 Mbit/s
#: x264 ultrafast at 1080p gains nothing visible.
MIN_BITRATE = 250_000
MAX_BITRATE = 40_000_000
#: A target this many times the stream's VBV ceiling restarts it (a keyframe) to use the room;
#: one under the ceiling divided by LOWER_RESTARTS restarts it so its frames shrink too (the
#: keyframe is then held to the new, small VBV: about two frames' worth).
RAISE_RESTARTS = 1.5
LOWER_RESTARTS = 2.0
#: Chroma sampling of the BGRA -> I420 conversion (swscale's interpolation: see above).
CONVERSION = "POINT"
#: Frame rate the rate control plans for (frames come on change, at most this often).
FRAME_RATE = 30
#: The VBV buffer in frames: how far one frame may exceed its share of the bitrate.
VBV_FRAMES = 2
#: Timestamps count milliseconds from the stream's start.
TIME_BASE = Fraction(1, 1000)


class VideoEncodeError(SharerError):
    """libx264 refused a frame (a bug, or a size it cannot take)."""

    def __init__(self) -> None:
        super().__init__("The video encoder failed; the picture goes on as still images.")


@dataclass(frozen=True, slots=True)
class EncodedPicture:
    """One access unit: Annex B bytes, and whether it is a keyframe (IDR with SPS and PPS)."""

    data: bytes
    keyframe: bool


class H264Encoder:
    """H.264 over a `width` x `height` rectangle that may change size (which restarts it)."""

    def __init__(
        self,
        *,
        preset: str = PRESET,
        profile: str = PROFILE,
        bitrate_bps: int = FIRST_BITRATE,
        frame_rate: int = FRAME_RATE,
    ) -> None:
        self.preset = preset
        self.profile = profile
        self.frame_rate = frame_rate
        self._bitrate = _clamp_bitrate(bitrate_bps)
        self._context: av.VideoCodecContext | None = None
        self._size = (0, 0)  # the coded size
        self._input_size = (0, 0)  # the rectangle's
        self._ceiling = 0  # the VBV max rate the stream was opened with
        self._input: av.VideoFrame | None = None
        self._input_pixels: Frame = np.zeros((0, 0, 4), dtype=np.uint8)
        self._started_ms = 0
        self._last_pts = -1
        #: Encoder (re)starts so far: tests and benchmarks count them.
        self.restarts = 0

    @property
    def bitrate(self) -> int:
        return self._bitrate

    def set_bitrate(self, bitrate_bps: int) -> None:
        """Aim at `bitrate_bps` from the next frame on.

        A somewhat lower rate applies at once, without a keyframe; a much higher or much lower
        one than the stream was opened with (its VBV) restarts the stream at the next picture.
        """
        self._bitrate = _clamp_bitrate(bitrate_bps)
        if self._context is None:
            return
        if self._bitrate * LOWER_RESTARTS < self._ceiling:
            self.close()
        elif self._bitrate <= self._ceiling:
            self._context.bit_rate = self._bitrate
        elif self._bitrate > RAISE_RESTARTS * self._ceiling:
            self.close()

    def encode(
        self, pixels: Frame, now_ms: int, *, keyframe: bool = False, scale: int = 1
    ) -> EncodedPicture:
        """Encode one (h, w, 4) BGRA picture captured at `now_ms` (monotonic milliseconds).

        Width and height must be even (4:2:0 chroma). `scale` 2 codes it at half the width and
        height (point-sampled in the I420 conversion: 0.9 ms for 1080p against 3.0 ms at full
        size, and a quarter of the pixels for x264); the console draws it scaled to w x h. A new
        size or scale restarts the encoder, so the picture is a keyframe then too.
        """
        height, width, _ = pixels.shape
        if width % 2 or height % 2 or width <= 0 or height <= 0:
            raise ValueError(f"H.264 needs an even, non-empty size, not {width}x{height}")
        coded = _coded_size(width, height, scale)
        if self._context is None or self._size != coded or self._input_size != (width, height):
            self._open(width, height, coded, now_ms)
            keyframe = True
        assert self._context is not None and self._input is not None
        # Into the one input frame this stream keeps: 0.5 ms for 1080p, where a new frame each
        # time (from_ndarray) took 5.7 ms of page faults (x264 copies what it keeps).
        self._input_pixels[:] = pixels
        frame = self._input
        # Timestamps must grow; two captures in one millisecond still get distinct ones.
        pts = max(now_ms - self._started_ms, self._last_pts + 1)
        self._last_pts = pts
        try:
            # (Into I420 here, not inside encode: that one uses the slower default filter.)
            coded_width, coded_height = self._size
            picture = frame.reformat(
                width=coded_width,
                height=coded_height,
                format="yuv420p",
                interpolation=CONVERSION,
            )
            picture.pts = pts
            picture.time_base = TIME_BASE
            picture.pict_type = PictureType.I if keyframe else PictureType.NONE
            packets = self._context.encode(picture)
        except av.error.FFmpegError as exc:
            self.close()
            raise VideoEncodeError() from exc
        data = b"".join(bytes(packet) for packet in packets)
        return EncodedPicture(data, keyframe or any(p.is_keyframe for p in packets))

    def close(self) -> None:
        """Drop the stream; the next picture starts a new one with a keyframe."""
        self._context = None
        self._size = (0, 0)

    @property
    def coded_size(self) -> tuple[int, int]:
        """The size the stream codes (half the rectangle's at scale 2; (0, 0): no stream)."""
        return self._size

    def _open(self, width: int, height: int, coded: tuple[int, int], now_ms: int) -> None:
        context = av.CodecContext.create("libx264", "w")
        assert isinstance(context, av.VideoCodecContext)
        context.width, context.height = coded
        context.pix_fmt = "yuv420p"
        context.time_base = TIME_BASE
        context.framerate = Fraction(self.frame_rate, 1)
        context.max_b_frames = 0
        # Keyframes only when asked for (a periodic one would cost ~7x a delta for nothing).
        context.gop_size = 100_000
        context.thread_count = 1  # one frame in, one out: frame threads would add latency
        context.options = {
            "preset": self.preset,
            "tune": "zerolatency",
            "profile": self.profile,
            # A forced keyframe is an IDR (a decoder can join there), not just an I-frame.
            "forced-idr": "1",
            "x264-params": "repeat-headers=1:scenecut=0",
            # VBV of VBV_FRAMES frames' worth: each frame stays near its share of the link.
            "bufsize": str(self._bitrate * VBV_FRAMES // self.frame_rate),
            "maxrate": str(self._bitrate),
        }
        context.bit_rate = self._bitrate
        context.open()
        self._context = context
        self._size = coded
        self._input_size = (width, height)
        self._input = av.VideoFrame(width, height, "bgra")
        plane = self._input.planes[0]
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(
            height, plane.line_size // 4, 4
        )
        self._input_pixels = rows[:, :width]
        self._ceiling = self._bitrate
        self._started_ms = now_ms
        self._last_pts = -1
        self.restarts += 1


def _clamp_bitrate(bitrate_bps: int) -> int:
    return max(MIN_BITRATE, min(MAX_BITRATE, int(bitrate_bps)))


def _coded_size(width: int, height: int, scale: int) -> tuple[int, int]:
    """`width` x `height` divided by `scale`, kept even (4:2:0) and at least 2 x 2."""
    if scale < 1:
        raise ValueError(f"a video scale is 1 or more, not {scale}")
    if scale == 1:
        return width, height
    return max(2, width // scale // 2 * 2), max(2, height // scale // 2 * 2)
