import assert from "node:assert/strict";
import { test } from "node:test";

import { FrameError, OversizedFrame, TruncatedFrame } from "../../src/quickassist/service/console/core/errors.js";
import {
  decodeFrame,
  encodeFrame,
  FrameFlags,
  FrameKind,
  HEADER_SIZE,
  parseHeader,
  unwrapTimestampMs,
  wrapTimestampMs,
} from "../../src/quickassist/service/console/core/frames.js";

test("header layout matches docs/protocol.md", () => {
  const frame = encodeFrame(FrameKind.INPUT, new Uint8Array([0xaa, 0xbb]), {
    sequence: 0x01020304,
    timestampMs: 0x11121314,
    flags: FrameFlags.KEYFRAME | FrameFlags.ENCRYPTED,
  });
  assert.equal(HEADER_SIZE, 10);
  assert.equal(frame.length, 12);
  const hex = Buffer.from(frame).toString("hex");
  // version 2, kind 3 | flags 3 << 4, sequence LE, timestamp (ms mod 2**32) LE, payload
  assert.equal(hex, "02" + "33" + "04030201" + "14131211" + "aabb");
});

test("round trip", () => {
  const payload = new TextEncoder().encode('{"t":"move","x":1,"y":2}');
  const { header, payload: back } = decodeFrame(encodeFrame(FrameKind.INPUT, payload, { sequence: 7, timestampMs: 42 }));
  assert.deepEqual(header, { version: 2, kind: 3, flags: 0, sequence: 7, timestampMs: 42 });
  assert.deepEqual([...back], [...payload]);
});

test("sequence wraps at 2**32 and the largest timestamp is exact", () => {
  const { header } = decodeFrame(encodeFrame(FrameKind.CHAT, new Uint8Array(), { sequence: 2 ** 32 + 5, timestampMs: 2 ** 32 - 1 }));
  assert.equal(header.sequence, 5);
  assert.equal(header.timestampMs, 2 ** 32 - 1);
});

test("a timestamp reads back as the instant nearest this clock", () => {
  const captured = 1_764_133_200_123;
  const wire = wrapTimestampMs(captured + 0.9); // whole milliseconds
  assert.equal(wire, captured % 2 ** 32);
  for (const offset of [0, 1, 250, -250, 2 ** 31 - 1, -(2 ** 31) + 1]) {
    assert.equal(unwrapTimestampMs(wire, captured + offset), captured, String(offset));
  }
  assert.equal(unwrapTimestampMs(0, captured), 0); // no timestamp
  assert.throws(() => encodeFrame(FrameKind.VIDEO, new Uint8Array(), { timestampMs: captured }), FrameError);
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
    [good.subarray(0, 0), TruncatedFrame, "truncated_frame"],
    [good.subarray(0, 9), TruncatedFrame, "truncated_frame"],
    [Uint8Array.from(good, (b, i) => (i === 0 ? 1 : b)), FrameError, "malformed_frame"],
    [Uint8Array.from(good, (b, i) => (i === 0 ? 3 : b)), FrameError, "malformed_frame"],
    [Uint8Array.from(good, (b, i) => (i === 1 ? 9 : b)), FrameError, "malformed_frame"],
    [Uint8Array.from(good, (b, i) => (i === 1 ? 0x41 : b)), FrameError, "malformed_frame"],
    // A version 1 frame (20-byte header), even cut short: refused for its version, in a sentence.
    [Uint8Array.from([1, 1]), FrameError, "malformed_frame"],
  ];
  for (const [data, cls, code] of cases) {
    assert.throws(() => decodeFrame(data), (err) => err instanceof cls && err.code === code);
  }
  assert.throws(() => decodeFrame(Uint8Array.from([1, 1, 0, 0])), /version 1 is not supported/);
});

test("payload limit", () => {
  assert.throws(() => encodeFrame(FrameKind.VIDEO, new Uint8Array(11), { maxPayload: 10 }), OversizedFrame);
  const frame = encodeFrame(FrameKind.VIDEO, new Uint8Array(11));
  assert.throws(() => parseHeader(frame, { maxPayload: 10 }), (err) => err.code === "oversized_frame");
  assert.equal(parseHeader(frame, { maxPayload: 11 }).kind, FrameKind.VIDEO);
});
