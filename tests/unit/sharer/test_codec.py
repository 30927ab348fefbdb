"""The adaptive tile codec: solid, PNG or JPEG by content, and PNGs a decoder reads back."""

from __future__ import annotations

import numpy as np
import simplejpeg
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
from quickassist.sharer.codec import AdaptiveTileEncoder, encode_png
from quickassist.sharer.pipeline import split_tiles
from tests.fixtures.video_canvas import decode_png, photo, psnr, text_like

ENCODER = AdaptiveTileEncoder()


def bgra(rgb: np.ndarray) -> np.ndarray:
    out = np.zeros((*rgb.shape[:2], 4), dtype=np.uint8)
    out[:, :, :3] = rgb[:, :, ::-1]
    out[:, :, 3] = np.arange(rgb.shape[1], dtype=np.uint8)  # junk in the unused byte
    return out


def test_a_uniform_tile_is_solid_rgba() -> None:
    rgb = np.zeros((64, 64, 3), dtype=np.uint8)
    rgb[:] = (10, 20, 30)
    tile = ENCODER.encode(bgra(rgb), 128, 64)
    assert tile == Tile(128, 64, 64, 64, TileEncoding.SOLID, bytes((10, 20, 30, 255)))


def test_a_text_like_tile_is_lossless_png() -> None:
    rgb = text_like(64, 48)
    tile = ENCODER.encode(bgra(rgb), 0, 0)
    assert tile.encoding is TileEncoding.PNG
    assert np.array_equal(decode_png(tile.data), rgb)


def test_a_photo_like_tile_is_jpeg_of_good_quality() -> None:
    rgb = photo(64, 64)
    tile = ENCODER.encode(bgra(rgb), 0, 0)
    assert tile.encoding is TileEncoding.JPEG
    decoded = simplejpeg.decode_jpeg(tile.data, colorspace="RGB")
    assert decoded.shape == (64, 64, 3)
    assert psnr(decoded, rgb) > 35


@given(arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20), st.sampled_from([3, 4]))))
def test_png_round_trips_any_pixels(pixels: np.ndarray) -> None:
    assert np.array_equal(decode_png(encode_png(pixels)), pixels)


def test_split_tiles_keeps_every_payload_under_the_limit() -> None:
    tiles = [Tile(i * 10, 0, 10, 10, TileEncoding.PNG, b"x" * 100) for i in range(50)]
    payloads = split_tiles(500, 10, tiles, max_payload=1000)
    assert all(len(bytes(p)) <= 1000 for p in payloads)
    assert [t for p in payloads for t in p.tiles] == tiles
    assert all(isinstance(p, VideoPayload) for p in payloads)


def test_a_tile_with_some_hundred_colours_stays_png_when_it_compresses() -> None:
    # Coloured anti-aliased text: a few hundred colours in repeating runs.
    rgb = text_like(64, 64)
    yy, xx = np.mgrid[0:64, 0:64]
    ink = rgb[:, :, 0] < 100
    shades = (xx // 4 + (yy // 8) * 16) % 300
    rgb[ink] = np.stack([shades[ink], 255 - shades[ink] // 2, shades[ink] // 3], axis=-1)
    tile = ENCODER.encode(bgra(rgb), 0, 0)
    assert tile.encoding is TileEncoding.PNG
    assert np.array_equal(decode_png(tile.data), rgb)


def test_a_tile_with_some_hundred_colours_goes_jpeg_when_png_would_be_big() -> None:
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (600, 3), dtype=np.uint8)
    rgb = palette[rng.integers(0, 600, (64, 64))]
    assert ENCODER.encode(bgra(rgb), 0, 0).encoding is TileEncoding.JPEG
