import assert from "node:assert/strict";
import { test } from "node:test";

import { FrameError, TruncatedFrame } from "../../src/quickassist/service/console/core/errors.js";
import { encodeVideo, parseVideo, TileEncoding } from "../../src/quickassist/service/console/core/media.js";

const solid = (x, y, w, h, rgba) => ({ x, y, width: w, height: h, encoding: TileEncoding.SOLID, data: Uint8Array.from(rgba) });

test("layout: screen head then tile heads and data", () => {
  const bytes = encodeVideo({ width: 640, height: 480, tiles: [solid(1, 2, 3, 4, [10, 20, 30, 255])] });
  // varints: 640 = 80 05, 480 = e0 03; x 1, y 2, w 3, h 4, encoding 0, length 4, then the data
  assert.equal(Buffer.from(bytes).toString("hex"), "8005e003" + "01020304" + "00" + "04" + "0a141eff");
});

test("round trip keeps tiles and their data", () => {
  const png = { x: 0, y: 0, width: 2, height: 2, encoding: TileEncoding.PNG, data: Uint8Array.from([1, 2, 3]) };
  const video = { width: 100, height: 50, tiles: [solid(0, 0, 100, 50, [0, 0, 0, 255]), png] };
  const back = parseVideo(encodeVideo(video));
  assert.equal(back.width, 100);
  assert.equal(back.height, 50);
  assert.deepEqual(back.tiles.map((t) => [t.x, t.y, t.width, t.height, t.encoding, [...t.data]]), [
    [0, 0, 100, 50, 0, [0, 0, 0, 255]],
    [0, 0, 2, 2, 1, [1, 2, 3]],
  ]);
});

test("malformed payloads are refused", () => {
  const good = encodeVideo({ width: 10, height: 10, tiles: [solid(0, 0, 10, 10, [1, 2, 3, 4])] });
  assert.equal(Buffer.from(good).toString("hex"), "0a0a" + "00000a0a0004" + "01020304");
  const patch = (offset, value) => Uint8Array.from(good, (b, i) => (i === offset ? value : b));
  assert.throws(() => parseVideo(good.subarray(0, 1)), TruncatedFrame);
  assert.throws(() => parseVideo(good.subarray(0, 4)), TruncatedFrame);
  assert.throws(() => parseVideo(good.subarray(0, good.length - 1)), TruncatedFrame);
  assert.throws(() => parseVideo(Uint8Array.from([...good, 0])), /ends inside the head of tile 1/);
  assert.equal(parseVideo(good.subarray(0, 2)).tiles.length, 0, "tiles run to the end: none");
  assert.throws(() => parseVideo(patch(0, 0)), /cannot describe a 0x10 screen/);
  assert.throws(() => parseVideo(patch(2, 1)), /outside the 10x10 screen/);
  assert.throws(() => parseVideo(patch(6, 7)), (e) => e instanceof FrameError && /unknown encoding 7/.test(e.message));
  assert.throws(() => parseVideo(patch(4, 0)), /non-empty rectangle/);
  assert.throws(() => parseVideo(Uint8Array.from([0x8a, 0x00, 0x0a])), /shortest form/);
  assert.throws(() => parseVideo(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x01, 0x0a])), /longer than 4 bytes/);
});
