import assert from "node:assert/strict";
import { test } from "node:test";

import { FrameError, OversizedFrame, TruncatedFrame } from "../../src/quickassist/service/console/core/errors.js";
import { decodeFrame, encodeFrame, FrameFlags, FrameKind, HEADER_SIZE, parseHeader } from "../../src/quickassist/service/console/core/frames.js";

test("header layout matches docs/protocol.md", () => {
  const frame = encodeFrame(FrameKind.INPUT, new Uint8Array([0xaa, 0xbb]), {
    sequence: 0x01020304,
    timestampUs: 1_700_000_000_123_456,
    flags: FrameFlags.KEYFRAME,
  });
  assert.equal(HEADER_SIZE, 20);
  assert.equal(frame.length, 22);
  const hex = Buffer.from(frame).toString("hex");
  // version 1, kind 3, flags 1, reserved 0, sequence LE, timestamp u64 LE, length 2, payload
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64LE(1_700_000_000_123_456n);
  assert.equal(hex, "01030100" + "04030201" + ts.toString("hex") + "02000000" + "aabb");
});

test("round trip", () => {
  const payload = new TextEncoder().encode('{"t":"move","x":1,"y":2}');
  const { header, payload: back } = decodeFrame(encodeFrame(FrameKind.INPUT, payload, { sequence: 7, timestampUs: 42 }));
  assert.deepEqual(header, { version: 1, kind: 3, flags: 0, sequence: 7, timestampUs: 42, length: payload.length });
  assert.deepEqual([...back], [...payload]);
});

test("sequence wraps at 2**32 and large timestamps stay exact", () => {
  const { header } = decodeFrame(encodeFrame(FrameKind.CHAT, new Uint8Array(), { sequence: 2 ** 32 + 5, timestampUs: 2n ** 64n - 1n }));
  assert.equal(header.sequence, 5);
  assert.equal(header.timestampUs, 2n ** 64n - 1n);
});

test("decode accepts an ArrayBuffer and a view with an offset", () => {
  const frame = encodeFrame(FrameKind.VIDEO, new Uint8Array([1, 2, 3]));
  assert.equal(decodeFrame(frame.buffer).payload.length, 3);
  const padded = new Uint8Array(frame.length + 4);
  padded.set(frame, 4);
  assert.deepEqual([...decodeFrame(padded.subarray(4)).payload], [1, 2, 3]);
});

test("malformed frames are refused with the Python error codes", () => {
  const good = encodeFrame(FrameKind.VIDEO, new Uint8Array([1, 2, 3]));
  const cases = [
    [good.subarray(0, 10), TruncatedFrame, "truncated_frame"],
    [good.subarray(0, 22), TruncatedFrame, "truncated_frame"],
    [Uint8Array.from([...good, 0]), FrameError, "malformed_frame"],
    [Uint8Array.from(good, (b, i) => (i === 0 ? 2 : b)), FrameError, "malformed_frame"],
    [Uint8Array.from(good, (b, i) => (i === 1 ? 9 : b)), FrameError, "malformed_frame"],
    [Uint8Array.from(good, (b, i) => (i === 2 ? 4 : b)), FrameError, "malformed_frame"],
  ];
  for (const [data, cls, code] of cases) {
    assert.throws(() => decodeFrame(data), (err) => err instanceof cls && err.code === code);
  }
});

test("payload limit", () => {
  assert.throws(() => encodeFrame(FrameKind.VIDEO, new Uint8Array(11), { maxPayload: 10 }), OversizedFrame);
  const frame = encodeFrame(FrameKind.VIDEO, new Uint8Array(11));
  assert.throws(() => parseHeader(frame, { maxPayload: 10 }), (err) => err.code === "oversized_frame");
});
