import assert from "node:assert/strict";
import { test } from "node:test";

import { MediaError } from "../../src/quickassist/service/console/core/errors.js";
import { codecFromSps, H264Decoder, h264Supported } from "../../src/quickassist/service/console/core/decoders/h264.js";
import { encodeVideo, parseVideo, TileEncoding } from "../../src/quickassist/service/console/core/media.js";

const SPS = [0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x28, 0x8c];
const tile = (flags, unit) => ({ width: 64, height: 32, data: Uint8Array.from([flags, ...unit]) });

test("the codec string comes from the SPS: profile, constraints, level", () => {
  assert.equal(codecFromSps(Uint8Array.from(SPS)), "avc1.42c028");
  // After other NAL units and with a three-byte start code.
  assert.equal(codecFromSps(Uint8Array.from([0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f])), "avc1.64001f");
  assert.throws(() => codecFromSps(Uint8Array.from([0, 0, 0, 1, 0x65, 0x88])), MediaError);
});

test("without WebCodecs: not supported, and tiles fail as MediaError (the viewer falls back)", async () => {
  assert.equal(typeof VideoDecoder, "undefined");
  assert.equal(await h264Supported(), false);
  const decoder = new H264Decoder();
  await assert.rejects(decoder.decode(tile(0, [0, 0, 0, 1, 0x41, 0x9a])), /before its keyframe/);
  await assert.rejects(decoder.decode(tile(1, [...SPS, 0, 0, 0, 1, 0x65, 0x88])), /no WebCodecs/);
});

test("a copy tile reads its source corner", () => {
  const copy = { x: 0, y: 0, width: 10, height: 5, encoding: TileEncoding.COPY, data: Uint8Array.from([3, 0, 4, 0]) };
  const [parsed] = parseVideo(encodeVideo({ width: 20, height: 10, tiles: [copy] })).tiles;
  assert.deepEqual(parsed.source, { x: 3, y: 4 });
});
