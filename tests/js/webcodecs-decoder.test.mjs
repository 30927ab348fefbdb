import assert from "node:assert/strict";
import { test } from "node:test";

import { MediaError } from "../../src/quickassist/service/console/core/errors.js";
import {
  CODECS,
  codecFromSps,
  decodableCodecs,
  isVideoTile,
  VideoTileDecoder,
  videoDecodeSupported,
} from "../../src/quickassist/service/console/core/decoders/webcodecs.js";
import { encodeVideo, parseVideo, TileEncoding, VIDEO_TILES } from "../../src/quickassist/service/console/core/media.js";

const SPS = [0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x28, 0x8c];
const tile = (flags, unit, encoding = TileEncoding.H264) => ({
  encoding,
  width: 64,
  height: 32,
  data: Uint8Array.from([flags, ...unit]),
});

test("the codec string comes from the SPS: profile, constraints, level", () => {
  assert.equal(codecFromSps(Uint8Array.from(SPS)), "avc1.42c028");
  // After other NAL units and with a three-byte start code.
  assert.equal(codecFromSps(Uint8Array.from([0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1f])), "avc1.64001f");
  assert.throws(() => codecFromSps(Uint8Array.from([0, 0, 0, 1, 0x65, 0x88])), MediaError);
});

test("every video tile encoding has its WebCodecs codec, and only those are video tiles", () => {
  for (const [encoding, { codec }] of Object.entries(VIDEO_TILES)) {
    assert.ok(CODECS[codec], codec);
    assert.ok(isVideoTile({ encoding: Number(encoding) }));
  }
  assert.deepEqual(Object.keys(CODECS), ["h264", "vp8"]); // H.264 first: the one preferred
  assert.equal(CODECS.vp8.codecOf(Uint8Array.of(0x50, 0x02)), "vp8");
  for (const encoding of [TileEncoding.SOLID, TileEncoding.JPEG, TileEncoding.PALETTE, TileEncoding.COPY]) {
    assert.ok(!isVideoTile({ encoding }));
  }
});

test("without WebCodecs: nothing is supported, and tiles fail as MediaError (the viewer falls back)", async () => {
  assert.equal(typeof VideoDecoder, "undefined");
  assert.equal(await videoDecodeSupported("h264"), false);
  assert.equal(await videoDecodeSupported("vp8"), false);
  assert.deepEqual(await decodableCodecs(), []);
  const decoder = new VideoTileDecoder();
  await assert.rejects(decoder.decode(tile(0, [0, 0, 0, 1, 0x41, 0x9a])), /H\.264 delta arrived before its keyframe/);
  await assert.rejects(decoder.decode(tile(1, [...SPS, 0, 0, 0, 1, 0x65, 0x88])), /no WebCodecs/);
  await assert.rejects(decoder.decode(tile(0, [0x71, 2], TileEncoding.VP8)), /VP8 delta arrived before its keyframe/);
  await assert.rejects(decoder.decode(tile(1, [0x50, 2, 0, 0x9d, 1, 0x2a], TileEncoding.VP8)), /no WebCodecs/);
  await assert.rejects(decoder.decode(tile(1, [0], TileEncoding.JPEG)), MediaError);
});

/** A stand-in VideoDecoder that gives a frame per chunk, recording what it was configured with. */
class FakeDecoder {
  static made = [];
  constructor({ output }) {
    this.output = output;
    this.state = "unconfigured";
    FakeDecoder.made.push(this);
  }
  configure(config) {
    this.config = config;
    this.state = "configured";
  }
  decode(chunk) {
    queueMicrotask(() => this.output({ timestamp: chunk.timestamp, type: chunk.type, close() {} }));
  }
  close() {
    this.state = "closed";
  }
}

test("a VP8 keyframe configures a vp8 stream; a keyframe of the other codec starts another", async () => {
  globalThis.VideoDecoder = FakeDecoder;
  globalThis.EncodedVideoChunk = class {
    constructor({ type, timestamp }) {
      Object.assign(this, { type, timestamp });
    }
  };
  try {
    const decoder = new VideoTileDecoder();
    const key = await decoder.decode(tile(1, [0x50, 2, 0, 0x9d, 1, 0x2a], TileEncoding.VP8));
    assert.equal(key.type, "key");
    const delta = await decoder.decode(tile(0, [0x71, 2], TileEncoding.VP8));
    assert.equal(delta.type, "delta");
    assert.equal(FakeDecoder.made.length, 1);
    assert.deepEqual(FakeDecoder.made[0].config, { codec: "vp8", codedWidth: 64, codedHeight: 32, optimizeForLatency: true });
    // An H.264 delta on a VP8 stream is refused, and closes it: a keyframe must come.
    await assert.rejects(decoder.decode(tile(0, [0, 0, 0, 1, 0x41, 0x9a])), /H\.264 delta/);
    assert.equal(FakeDecoder.made[0].state, "closed");
    await decoder.decode(tile(1, [...SPS, 0, 0, 0, 1, 0x65, 0x88]));
    assert.equal(FakeDecoder.made.length, 2);
    assert.equal(FakeDecoder.made[1].config.codec, "avc1.42c028");
    await assert.rejects(decoder.decode(tile(0, [0x71, 2], TileEncoding.VP8)), /VP8 delta/);
    decoder.close();
  } finally {
    delete globalThis.VideoDecoder;
    delete globalThis.EncodedVideoChunk;
  }
});

test("a chunk the decoder refuses at once rejects the tile's own promise (nothing unhandled)", async () => {
  // Chromium throws from decode() for a VP8 "key" chunk that is no key frame.
  class Refusing extends FakeDecoder {
    decode() {
      throw new DOMException("marked as type `key` but wasn't a key frame", "DataError");
    }
  }
  globalThis.VideoDecoder = Refusing;
  globalThis.EncodedVideoChunk = class {};
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    const decoder = new VideoTileDecoder();
    await assert.rejects(decoder.decode(tile(1, [0, 0, 0, 1, 2, 3], TileEncoding.VP8)), (error) => {
      assert.ok(error instanceof MediaError);
      assert.match(error.message, /^VP8 decoding failed: .*key frame/);
      return true;
    });
    assert.equal(decoder.decoder, null); // closed: the next tile must be a keyframe
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    delete globalThis.VideoDecoder;
    delete globalThis.EncodedVideoChunk;
  }
});

test("a copy tile reads its source corner", () => {
  const copy = { x: 0, y: 0, width: 10, height: 5, encoding: TileEncoding.COPY, data: Uint8Array.from([3, 0, 4, 0]) };
  const [parsed] = parseVideo(encodeVideo({ width: 20, height: 10, tiles: [copy] })).tiles;
  assert.deepEqual(parsed.source, { x: 3, y: 4 });
});
