"""H264Encoder with real libx264: keyframes when asked and on a new size, one access unit per
picture that a decoder turns into one picture at once (no B-frames, no delay)."""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt
import pytest

from quickassist.sharer.bitrate import START_BITRATE
from quickassist.sharer.codecs.h264 import DEFAULT_BITRATE, MAX_BITRATE, MIN_BITRATE, H264Encoder


def picture(width: int, height: int, n: int) -> npt.NDArray[np.uint8]:
    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.zeros((height, width, 4), dtype=np.uint8)
    frame[:, :, 0] = (xx + 5 * n) % 256
    frame[:, :, 1] = (yy + 3 * n) % 256
    frame[:, :, 2] = 100
    return frame


def test_the_first_picture_is_a_keyframe_and_later_ones_are_not() -> None:
    encoder = H264Encoder()
    decoder = av.CodecContext.create("h264", "r")
    flags = []
    for n in range(6):
        unit = encoder.encode(picture(320, 192, n), n * 33)
        flags.append(unit.keyframe)
        # Annex B, one picture out for each unit in: nothing waits in the encoder or decoder.
        assert unit.data.startswith(b"\x00\x00\x00\x01")
        decoded = decoder.decode(av.Packet(unit.data))
        assert len(decoded) == 1 and (decoded[0].width, decoded[0].height) == (320, 192)
    assert flags == [True] + [False] * 5


def test_a_keyframe_on_request_starts_with_its_parameter_sets() -> None:
    encoder = H264Encoder()
    encoder.encode(picture(320, 192, 0), 0)
    delta = encoder.encode(picture(320, 192, 1), 33)
    key = encoder.encode(picture(320, 192, 2), 66, keyframe=True)
    assert not delta.keyframe and key.keyframe
    starts = [i + 3 for i in range(len(key.data) - 3) if key.data[i : i + 3] == b"\0\0\1"]
    nal_types = {key.data[at] & 0x1F for at in starts}
    assert {7, 8, 5} <= nal_types  # SPS, PPS, IDR slice: a decoder can join here
    # A fresh decoder starts from that keyframe.
    fresh = av.CodecContext.create("h264", "r")
    assert len(fresh.decode(av.Packet(key.data))) == 1


def test_a_new_size_restarts_the_stream_with_a_keyframe() -> None:
    encoder = H264Encoder()
    encoder.encode(picture(320, 192, 0), 0)
    encoder.encode(picture(320, 192, 1), 33)
    bigger = encoder.encode(picture(448, 256, 2), 66)
    assert bigger.keyframe and encoder.restarts == 2


def test_odd_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="even"):
        H264Encoder().encode(picture(321, 192, 0), 0)


def test_the_bitrate_is_bounded_and_a_much_higher_one_restarts_the_stream() -> None:
    encoder = H264Encoder(bitrate_bps=1_000_000)
    encoder.set_bitrate(10)
    assert encoder.bitrate == MIN_BITRATE
    encoder.set_bitrate(10**12)
    assert encoder.bitrate == MAX_BITRATE
    encoder = H264Encoder(bitrate_bps=1_000_000)
    encoder.encode(picture(320, 192, 0), 0)
    encoder.set_bitrate(500_000)  # lower: taken between frames, no keyframe
    assert not encoder.encode(picture(320, 192, 1), 33).keyframe
    encoder.set_bitrate(4_000_000)  # past the stream's ceiling: a new stream
    assert encoder.encode(picture(320, 192, 2), 66).keyframe


def test_a_lower_bitrate_makes_smaller_pictures() -> None:
    sizes = {}
    for rate in (4_000_000, 400_000):
        encoder = H264Encoder(bitrate_bps=rate)
        sizes[rate] = sum(len(encoder.encode(picture(640, 384, n), n * 33).data) for n in range(15))
    assert sizes[400_000] < 0.5 * sizes[4_000_000], sizes


def test_a_much_lower_bitrate_restarts_the_stream_so_its_frames_shrink_too() -> None:
    # The VBV is fixed when a stream opens: one sized for 4 Mbit/s would let single frames
    # fill a link that now carries a tenth of that.
    encoder = H264Encoder(bitrate_bps=4_000_000)
    encoder.encode(picture(320, 192, 0), 0)
    encoder.set_bitrate(400_000)
    assert encoder.encode(picture(320, 192, 1), 33).keyframe
    assert encoder.restarts == 2


def test_a_stream_starts_at_the_controllers_first_bitrate() -> None:
    assert H264Encoder().bitrate == START_BITRATE < DEFAULT_BITRATE


def test_scale_two_codes_half_the_size_and_a_change_of_scale_is_a_keyframe() -> None:
    encoder = H264Encoder()
    decoder = av.CodecContext.create("h264", "r")
    sizes, keys = [], []
    for n, scale in enumerate([1, 1, 2, 2, 1]):
        unit = encoder.encode(picture(320, 192, n), n * 33, scale=scale)
        (decoded,) = decoder.decode(av.Packet(unit.data))
        sizes.append((decoded.width, decoded.height))
        keys.append(unit.keyframe)
    assert sizes == [(320, 192), (320, 192), (160, 96), (160, 96), (320, 192)]
    assert keys == [True, False, True, False, True] and encoder.restarts == 3
    # Point-sampled: the half picture is the full one's even pixels, near enough for video.
    small = decoder.decode(av.Packet(H264Encoder().encode(picture(320, 192, 0), 0, scale=2).data))
    rgb = small[0].to_ndarray(format="rgb24").astype(int)
    wanted = picture(320, 192, 0)[::2, ::2, 2::-1].astype(int)
    assert abs(rgb - wanted).mean() < 4


def test_a_half_size_is_kept_even() -> None:
    encoder = H264Encoder()
    encoder.encode(picture(324, 198, 0), 0, scale=2)
    assert encoder.coded_size == (162, 98)
    encoder.encode(picture(326, 194, 1), 33, scale=2)
    assert encoder.coded_size == (162, 96)
