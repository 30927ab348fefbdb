// Palette tiles (encoding 3) decode to exactly the pixels Python wrote (tests/vectors/media.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { deflateRawSync } from "node:zlib";

import { FrameError } from "../../src/quickassist/service/console/core/errors.js";
import { bitsPerIndex, PaletteDecoder } from "../../src/quickassist/service/console/core/palette.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/media.json", import.meta.url), "utf8")).palette;
const fromB64 = (s) => Uint8Array.from(Buffer.from(s, "base64"));
const tileOf = (v) => ({ width: v.w, height: v.h, data: fromB64(v.data_base64) });
/** RGB hex of straight RGBA bytes (the alpha must be opaque). */
const rgbHex = (rgba) => {
  const rgb = [];
  for (let i = 0; i < rgba.length; i += 4) {
    assert.equal(rgba[i + 3], 255);
    rgb.push(rgba[i], rgba[i + 1], rgba[i + 2]);
  }
  return Buffer.from(rgb).toString("hex");
};

test("bits per index are the fewest that hold the palette", () => {
  assert.deepEqual([1, 2, 3, 4, 5, 16, 17, 255].map(bitsPerIndex), [1, 1, 2, 2, 4, 4, 8, 8]);
  assert.throws(() => bitsPerIndex(0), FrameError);
});

test("the vector sequence decodes in order to exactly its pixels", async () => {
  const decoder = new PaletteDecoder();
  // Palettes are settled in call order, so the decodes may all run at once.
  const results = await Promise.all(vectors.sequence.map((v) => decoder.decode(tileOf(v))));
  results.forEach((r, i) => {
    assert.equal(r.width, vectors.sequence[i].w);
    assert.equal(r.height, vectors.sequence[i].h);
    assert.equal(rgbHex(r.rgba), vectors.sequence[i].rgb_hex, `tile ${i}`);
  });
});

test("invalid tiles are refused with FrameError", async () => {
  // Trailing bytes are left to the platform: Chromium's DecompressionStream refuses them (as the
  // Compression Streams spec says), Node 20's ignores them. Either way nothing past the
  // rectangle is drawn.
  for (const v of vectors.invalid.filter((v) => v.name !== "bytes after the DEFLATE stream")) {
    await assert.rejects(new PaletteDecoder().decode(tileOf(v)), FrameError, v.name);
  }
});

test("a huge inflation stops at the rectangle", async () => {
  const bomb = Uint8Array.from([2, 0, 0, 0, 9, 9, 9, ...deflateRawSync(Buffer.alloc(10_000_000))]);
  await assert.rejects(new PaletteDecoder().decode({ width: 2, height: 2, data: bomb }), /exactly 1 bytes/);
});

test("indices are stored when that is their exact size, deflated otherwise; rows are not padded", async () => {
  // 3 x 2 pixels at 1 bit: 6 bits in one byte, the second row starting inside it.
  const head = [2, 0, 0, 0, 250, 250, 250];
  const stored = await new PaletteDecoder().decode({ width: 3, height: 2, data: Uint8Array.from([...head, 0b1001_1000]) });
  const deflated = await new PaletteDecoder().decode({
    width: 3,
    height: 2,
    data: Uint8Array.from([...head, ...deflateRawSync(Buffer.from([0b1001_1000]))]),
  });
  for (const tile of [stored, deflated]) assert.equal(rgbHex(tile.rgba), "fafafa000000000000fafafafafafa000000");
});

test("a refused palette is not remembered", async () => {
  const decoder = new PaletteDecoder();
  await assert.rejects(decoder.decode({ width: 1, height: 1, data: Uint8Array.from([2, 1, 2]) }));
  assert.equal(decoder.palette, null);
});
