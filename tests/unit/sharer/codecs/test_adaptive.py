"""The adaptive tile codec: solid, palette, PNG or JPEG by content, and tiles read back exactly."""

from __future__ import annotations

import numpy as np
import simplejpeg
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quickassist.protocol import palette
from quickassist.protocol.media import Tile, TileEncoding, VideoPayload
from quickassist.sharer.codecs.adaptive import MAX_IMAGE_WIDTH, AdaptiveTileEncoder
from quickassist.sharer.codecs.palette import decode_rgb
from quickassist.sharer.codecs.png import encode_png
from quickassist.sharer.pipeline import split_tiles
from quickassist.sharer.tiles import Rect, TileGrid
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
    tile = ENCODER.encode_tile(bgra(rgb), 128, 64)
    assert tile == Tile(128, 64, 64, 64, TileEncoding.SOLID, bytes((10, 20, 30, 255)))


def test_a_text_like_tile_is_a_lossless_palette_tile_smaller_than_png() -> None:
    rgb = text_like(64, 48)
    tile = AdaptiveTileEncoder().encode_tile(bgra(rgb), 0, 0)
    assert tile.encoding is TileEncoding.PALETTE
    assert tile.data[:7] == bytes((2, 20, 20, 60, 250, 250, 250))  # two colours, ascending
    pixels, _ = decode_rgb(tile.data, 64, 48, None)
    assert np.array_equal(pixels, rgb)
    assert len(tile.data) < 0.6 * len(encode_png(rgb))


def test_a_keystroke_sized_change_reuses_the_palette_until_a_keyframe() -> None:
    encoder = AdaptiveTileEncoder()
    frame = bgra(text_like(64, 64))
    cell = [Rect(6, 3, 12, 13)]
    first = encoder.encode(frame, cell, keyframe=True)[0]
    second = encoder.encode(frame, [Rect(18, 3, 12, 13)])[0]
    after_keyframe = encoder.encode(frame, cell, keyframe=True)[0]
    assert first.data[0] == 2 and after_keyframe.data == first.data
    assert second.data[0] == palette.REUSE
    assert len(second.data) <= len(first.data) - 6
    held = None
    for tile in (first, second):
        pixels, held = decode_rgb(tile.data, tile.width, tile.height, held)
        area = frame[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width, 2::-1]
        assert np.array_equal(pixels, area)


def test_a_new_colour_sends_a_new_palette() -> None:
    encoder = AdaptiveTileEncoder()
    rgb = text_like(64, 64)
    encoder.encode(bgra(rgb), [Rect(0, 0, 64, 64)], keyframe=True)
    rgb[10:20, 10:20] = (255, 0, 0)
    (tile,) = encoder.encode(bgra(rgb), [Rect(0, 0, 64, 64)])
    assert tile.encoding is TileEncoding.PALETTE and tile.data[0] == 3
    assert np.array_equal(decode_rgb(tile.data, 64, 64, None)[0], rgb)


def test_a_photo_like_tile_is_jpeg_of_good_quality() -> None:
    rgb = photo(64, 64)
    tile = ENCODER.encode_tile(bgra(rgb), 0, 0)
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
    tile = ENCODER.encode_tile(bgra(rgb), 0, 0)
    assert tile.encoding is TileEncoding.PNG
    assert np.array_equal(decode_png(tile.data), rgb)


def test_a_tile_with_some_hundred_colours_goes_jpeg_when_png_would_be_big() -> None:
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (600, 3), dtype=np.uint8)
    rgb = palette[rng.integers(0, 600, (64, 64))]
    assert ENCODER.encode_tile(bgra(rgb), 0, 0).encoding is TileEncoding.JPEG


def frame_of(rgb: np.ndarray) -> np.ndarray:
    return bgra(rgb)


def test_a_plain_background_is_one_solid_rectangle() -> None:
    rgb = np.zeros((1080, 1920, 3), dtype=np.uint8)
    rgb[:] = (0, 80, 160)
    grid = TileGrid(1920, 1080)
    tiles = ENCODER.encode(frame_of(rgb), [grid.rect(t) for t in grid.all()])
    assert tiles == [Tile(0, 0, 1920, 1080, TileEncoding.SOLID, bytes((0, 80, 160, 255)))]


def test_image_runs_stop_at_the_width_limit_and_at_a_change_of_kind() -> None:
    rgb = np.zeros((64, 1280, 3), dtype=np.uint8)
    rgb[:, :1024] = photo(1024, 64)
    rgb[:, 1024:] = text_like(256, 64)
    grid = TileGrid(1280, 64)
    tiles = ENCODER.encode(frame_of(rgb), [grid.rect(t) for t in grid.all()])
    assert [(t.x, t.width, t.encoding) for t in tiles] == [
        (0, MAX_IMAGE_WIDTH, TileEncoding.JPEG),
        (512, MAX_IMAGE_WIDTH, TileEncoding.JPEG),
        (1024, 256, TileEncoding.PALETTE),
    ]


@given(st.data())
def test_merged_tiles_cover_exactly_the_changed_tiles(data: st.DataObject) -> None:
    grid = TileGrid(384, 256)
    rgb = np.zeros((256, 384, 3), dtype=np.uint8)
    kinds = data.draw(st.lists(st.integers(0, 3), min_size=24, max_size=24))
    for (column, row), kind in zip(grid.all(), kinds, strict=True):
        area = (slice(row * 64, row * 64 + 64), slice(column * 64, column * 64 + 64))
        if kind == 0:
            rgb[area] = (10, 20, 30)
        elif kind == 1:
            rgb[area] = (200, 0, 0)
        elif kind == 2:
            rgb[area] = text_like(64, 64)
        else:
            rgb[area] = photo(64, 64, seed=column + row)
    changed = sorted(
        data.draw(st.sets(st.sampled_from(grid.all()), min_size=1)), key=lambda t: (t[1], t[0])
    )
    tiles = AdaptiveTileEncoder().encode(
        frame_of(rgb), [grid.rect(t) for t in changed], keyframe=True
    )
    covered = np.zeros((256, 384), dtype=np.int32)
    held = None
    for tile in tiles:
        covered[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width] += 1
        area = (slice(tile.y, tile.y + tile.height), slice(tile.x, tile.x + tile.width))
        if tile.encoding is TileEncoding.SOLID:
            assert (rgb[area] == np.frombuffer(tile.data[:3], dtype=np.uint8)).all()
        elif tile.encoding is TileEncoding.PNG:
            assert np.array_equal(decode_png(tile.data), rgb[area])
        elif tile.encoding is TileEncoding.PALETTE:
            pixels, held = decode_rgb(tile.data, tile.width, tile.height, held)
            assert np.array_equal(pixels, rgb[area])
    expected = np.zeros((256, 384), dtype=np.int32)
    for column, row in changed:
        expected[row * 64 : row * 64 + 64, column * 64 : column * 64 + 64] = 1
    assert np.array_equal(covered, expected)


def test_a_whole_screen_of_text_reads_back_exactly_in_merged_palette_tiles() -> None:
    # A scroll: every tile changes (the fast DEFLATE level), text in two colours beside a
    # margin of colour bands (deeper palettes, merged from tiles of different colours).
    rgb = text_like(1920, 1080)
    for band in range(0, 1080, 24):
        rgb[band : band + 24, :48] = ((band * 5) % 256, 100, 200 - band % 150)
    grid = TileGrid(1920, 1080)
    encoder = AdaptiveTileEncoder()
    rects = [grid.rect(t) for t in grid.all()]
    tiles = encoder.encode(frame_of(rgb), rects, keyframe=True)
    assert {t.encoding for t in tiles} == {TileEncoding.PALETTE}
    # Each row: the banded margin's run (deeper palette) to the image width, then the plain
    # text in one run (one depth: palette runs are not held to the image width).
    assert [(t.x, t.width) for t in tiles] == [(0, MAX_IMAGE_WIDTH), (512, 1408)] * 17
    rgb[:, 600:] = rgb[:, 600:][::-1]  # a second, different frame against the held palette
    tiles += encoder.encode(frame_of(rgb), rects)
    held = None
    for index, tile in enumerate(tiles):
        pixels, held = decode_rgb(tile.data, tile.width, tile.height, held)
        if index >= len(tiles) // 2:
            area = (slice(tile.y, tile.y + tile.height), slice(tile.x, tile.x + tile.width))
            assert np.array_equal(pixels, rgb[area])


def test_tiles_of_one_row_are_judged_by_their_colour_count() -> None:
    # Two tiles a row (judged together): 1, 2, 3 and 40 colours, junk in the unused byte.
    rgb = np.zeros((192, 128, 3), dtype=np.uint8)
    rgb[:64, :64] = (5, 6, 7)
    rgb[:64, 64:] = text_like(64, 64)
    rgb[64:128, :64] = text_like(64, 64)
    rgb[64:128, :64][::3, ::5] = (250, 0, 0)
    rgb[64:128, 64:] = (5, 6, 7)
    rgb[128:, :64] = (np.arange(64 * 64 * 3) % 40).reshape(64, 64, 3)
    rgb[128:, 64:] = text_like(64, 64)
    grid = TileGrid(128, 192)
    tiles = AdaptiveTileEncoder().encode(frame_of(rgb), [grid.rect(t) for t in grid.all()])
    assert [(t.x, t.y, t.encoding) for t in tiles] == [
        (0, 0, TileEncoding.SOLID),
        (64, 0, TileEncoding.PALETTE),
        (0, 64, TileEncoding.PALETTE),
        (64, 64, TileEncoding.SOLID),
        (0, 128, TileEncoding.PNG),
        (64, 128, TileEncoding.PALETTE),
    ]
    assert tiles[0].data == tiles[3].data == bytes((5, 6, 7, 255))
    held = None
    for tile in tiles:
        area = rgb[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]
        if tile.encoding is TileEncoding.PALETTE:
            pixels, held = decode_rgb(tile.data, tile.width, tile.height, held)
            assert np.array_equal(pixels, area)
        elif tile.encoding is TileEncoding.PNG:
            assert np.array_equal(decode_png(tile.data), area)


@given(
    counts=st.lists(st.tuples(st.integers(2, 16), st.integers(2, 16)), min_size=1, max_size=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_frames_of_few_colours_read_back_exactly_in_order(
    counts: list[tuple[int, int]], seed: int
) -> None:
    # Frames of two tiles of 2 to 16 colours each (merged into one run, up to 32 colours),
    # encoded in turn against the palette the receiver holds.
    rng = np.random.default_rng(seed)
    grid = TileGrid(128, 64)
    encoder = AdaptiveTileEncoder()
    held = None
    for index, (left, right) in enumerate(counts):
        rgb = np.zeros((64, 128, 3), dtype=np.uint8)
        for x, count in ((0, left), (64, right)):
            table = rng.integers(0, 256, (count, 3), dtype=np.uint8)
            chosen = rng.integers(0, count, (64, 64))
            chosen.flat[:count] = np.arange(count)  # every colour appears
            rgb[:, x : x + 64] = table[chosen]
        rects = [grid.rect(t) for t in grid.all()]
        for tile in encoder.encode(frame_of(rgb), rects, keyframe=index == 0):
            area = rgb[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]
            if tile.encoding is TileEncoding.PALETTE:
                pixels, held = decode_rgb(tile.data, tile.width, tile.height, held)
                assert np.array_equal(pixels, area)
            elif tile.encoding is TileEncoding.SOLID:  # (colours drawn alike, by chance)
                assert (area == np.frombuffer(tile.data[:3], dtype=np.uint8)).all()
            else:
                assert tile.encoding is TileEncoding.PNG
                assert np.array_equal(decode_png(tile.data), area)


def test_a_big_change_sends_photo_rows_as_one_jpeg_each() -> None:
    # A whole 1080p screen of photo: each JPEG carries ~625 bytes of tables, so a change this
    # big goes in rows the monitor's width, not 512 px pieces.
    grid = TileGrid(1920, 1080)
    rects = [grid.rect(t) for t in grid.all()]
    tiles = AdaptiveTileEncoder().encode(frame_of(photo(1920, 1080)), rects)
    assert {(t.x, t.width, t.encoding) for t in tiles} == {(0, 1920, TileEncoding.JPEG)}
    assert len(tiles) == 17


def test_tiles_judged_in_a_row_get_the_kind_each_gets_alone() -> None:
    # The row's judge sets photo-like tiles aside by a sample of their pixels; the sample must
    # never change a kind: a photo, 1024 colours (every pixel sampled is distinct: not over
    # the limit, so all are counted), 1025 colours the sample misses (its pixels one colour),
    # and text.
    rgb = np.zeros((64, 256, 3), dtype=np.uint8)
    rgb[:, :64] = photo(64, 64)
    spread = np.arange(64 * 64) % 1024
    rgb[:, 64:128] = np.stack([spread % 256, spread // 256, spread % 7], axis=-1).reshape(64, 64, 3)
    hidden = np.arange(64 * 64)
    hidden[::3] = 4000  # the sampled pixels: one colour
    rgb[:, 128:192] = np.stack([hidden % 256, hidden // 256, 9 + 0 * hidden], axis=-1).reshape(
        64, 64, 3
    )
    rgb[:, 192:] = text_like(64, 64)
    grid = TileGrid(256, 64)
    frame = frame_of(rgb)
    rects = [grid.rect(t) for t in grid.all()]
    together = [t.encoding for t in AdaptiveTileEncoder().encode(frame, rects)]
    alone = [AdaptiveTileEncoder().encode(frame, [r])[0].encoding for r in rects]
    assert together == alone
    assert together[0] is TileEncoding.JPEG and together[3] is TileEncoding.PALETTE
