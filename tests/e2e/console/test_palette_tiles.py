"""Palette tiles in Chromium: the console's Display draws what the sharer's encoder wrote, exactly.

The payloads come from the real encoder (a text keyframe, then keystroke-sized deltas that reuse
its palette); the page decodes them with core/display.js and the canvas is read back pixel for
pixel.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest
from playwright.async_api import Page

from quickassist.protocol.media import TileEncoding
from quickassist.sharer.codecs.adaptive import AdaptiveTileEncoder
from quickassist.sharer.pipeline import split_tiles
from quickassist.sharer.tiles import Rect, TileGrid
from tests.fixtures.video_canvas import text_like

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 320, 128

DRAW = """
async ({ payloads, width, height }) => {
  const { Display } = await import("/core/display.js");
  const { parseVideo } = await import("/core/media.js");
  const screen = document.createElement("canvas");
  const cursor = document.createElement("canvas");
  const display = new Display(screen, cursor);
  const errors = [];
  display.addEventListener("error", (e) => errors.push(String(e.detail.error)));
  for (const b64 of payloads) {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    await display.drawVideo(parseVideo(bytes));
  }
  const rgba = screen.getContext("2d").getImageData(0, 0, width, height).data;
  let binary = "";
  for (let i = 0; i < rgba.length; i += 4) {
    binary += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
  }
  return { rgb: btoa(binary), errors };
}
"""


def bgra(rgb: np.ndarray) -> np.ndarray:
    out = np.full((*rgb.shape[:2], 4), 255, dtype=np.uint8)
    out[:, :, :3] = rgb[:, :, ::-1]
    return out


async def test_palette_keyframe_and_keystrokes_draw_exactly(
    console_page: Page, live_service: Any
) -> None:
    page = console_page
    await page.goto("/")
    encoder = AdaptiveTileEncoder()
    grid = TileGrid(WIDTH, HEIGHT)
    truth = text_like(WIDTH, HEIGHT)
    truth[40:80, 200:300] = (30, 90, 160)  # a solid block among the text
    payloads = split_tiles(
        WIDTH,
        HEIGHT,
        encoder.encode(bgra(truth), [grid.rect(t) for t in grid.all()], keyframe=True),
        1 << 20,
    )
    # Keystrokes: two character cells change at a time, in the text's own two colours.
    for x in range(10, 100, 6):
        truth[20:33, x : x + 6] = truth[60:73, x + 150 : x + 156]
        truth[20:33, x + 6 : x + 12] = (20, 20, 60)
        tiles = encoder.encode(bgra(truth), [Rect(x, 20, 12, 13)])
        assert [t.encoding for t in tiles] == [TileEncoding.PALETTE]
        payloads += split_tiles(WIDTH, HEIGHT, tiles, 1 << 20)
    encodings = {t.encoding for p in payloads for t in p.tiles}
    assert TileEncoding.PALETTE in encodings
    assert any(
        t.data[0] == 0 for p in payloads for t in p.tiles if t.encoding is TileEncoding.PALETTE
    )

    result = await page.evaluate(
        DRAW,
        {
            "payloads": [base64.b64encode(bytes(p)).decode() for p in payloads],
            "width": WIDTH,
            "height": HEIGHT,
        },
    )

    assert result["errors"] == []
    drawn = np.frombuffer(base64.b64decode(result["rgb"]), dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
    assert np.array_equal(drawn, truth)
