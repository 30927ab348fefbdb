// When the console takes video again after a decode failure (core/video-fallback.js), and how
// the decoder tells a reclaimed decoder from bad data (core/decoders/webcodecs.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { VideoTileDecoder } from "../../src/quickassist/service/console/core/decoders/webcodecs.js";
import { MediaError } from "../../src/quickassist/service/console/core/errors.js";
import { TileEncoding } from "../../src/quickassist/service/console/core/media.js";
import {
  FailureAction,
  MAX_FAILURES,
  RECLAIM_GAP_MS,
  reclaimOf,
  RETRY_AFTER_MS,
  VideoFallback,
  VideoMode,
} from "../../src/quickassist/service/console/core/video-fallback.js";

const corrupt = () =>
  new MediaError("H.264 decoding failed: Decoding error.", { cause: new DOMException("Decoding error.", "EncodingError") });
const reclaimed = () =>
  new MediaError("H.264 decoding failed: Codec reclaimed due to inactivity.", {
    cause: new DOMException("Codec reclaimed due to inactivity.", "QuotaExceededError"),
  });

test("the defaults: 5 s first, 3 failures a session, 90 s between two reclaims", () => {
  assert.equal(RETRY_AFTER_MS, 5000);
  assert.equal(MAX_FAILURES, 3);
  assert.equal(RECLAIM_GAP_MS, 90_000);
});

test("a failure falls back at once and offers video again after 5 s, then 10 s; the third stays on tiles", () => {
  const fallback = new VideoFallback();
  assert.equal(fallback.mode, VideoMode.VIDEO);
  assert.ok(fallback.offering);
  assert.equal(fallback.retryInMs(0), null);

  assert.equal(fallback.failed(corrupt(), 1000), FailureAction.TILES);
  assert.ok(!fallback.offering);
  assert.equal(fallback.retryInMs(1000), 5000);
  assert.equal(fallback.retryInMs(4000), 2000);
  assert.equal(fallback.retry(5999), false); // not yet
  assert.ok(!fallback.offering);
  assert.equal(fallback.retryInMs(7000), 0); // late timers: due, never negative
  assert.equal(fallback.retry(6000), true);
  assert.ok(fallback.offering);
  assert.equal(fallback.retry(6001), false); // once

  assert.equal(fallback.failed(corrupt(), 20_000), FailureAction.TILES);
  assert.equal(fallback.retryInMs(20_000), 10_000); // doubled
  assert.equal(fallback.retry(29_999), false);
  assert.equal(fallback.retry(30_000), true);

  assert.equal(fallback.failed(corrupt(), 40_000), FailureAction.OFF);
  assert.equal(fallback.mode, VideoMode.OFF);
  assert.equal(fallback.failures, 3);
  assert.equal(fallback.retryInMs(40_000), null);
  assert.equal(fallback.retry(10 ** 9), false); // for the rest of the session
  assert.ok(!fallback.offering);
});

test("errors while video is off are late frames of the same failure: not counted", () => {
  const fallback = new VideoFallback();
  assert.equal(fallback.failed(corrupt(), 0), FailureAction.TILES);
  for (let i = 0; i < 10; i++) assert.equal(fallback.failed(corrupt(), 10 + i), FailureAction.IGNORE);
  assert.equal(fallback.failures, 1);
  assert.equal(fallback.retryInMs(0), 5000); // nor do they push the retry back
  fallback.failed(corrupt(), 0);
  fallback.retry(5000);
  fallback.failed(corrupt(), 6000);
  fallback.retry(16_000);
  fallback.failed(corrupt(), 17_000);
  assert.equal(fallback.failed(corrupt(), 17_001), FailureAction.IGNORE);
  assert.equal(fallback.mode, VideoMode.OFF);
});

test("a reclaimed decoder keeps video and is not counted; its deltas in flight are one reclaim", () => {
  const fallback = new VideoFallback();
  const first = reclaimed();
  assert.equal(fallback.failed(first, 100_000), FailureAction.RESYNC);
  assert.ok(fallback.offering);
  assert.equal(fallback.failures, 0);
  // The deltas that were on their way fail with that same browser error as their cause.
  const delta = new MediaError("A H.264 delta arrived before its keyframe.", { cause: first });
  assert.equal(fallback.failed(delta, 100_010), FailureAction.IGNORE);
  assert.equal(fallback.failures, 0);
  // A reclaim is 90 s of a decoder unused: another one after that is a reclaim again.
  assert.equal(fallback.failed(reclaimed(), 100_000 + RECLAIM_GAP_MS), FailureAction.RESYNC);
  assert.equal(fallback.failures, 0);
});

test("a new 'reclaim' sooner than a decoder can be reclaimed counts (codec resources exhausted)", () => {
  const fallback = new VideoFallback();
  assert.equal(fallback.failed(reclaimed(), 0), FailureAction.RESYNC);
  assert.equal(fallback.failed(reclaimed(), 1000), FailureAction.TILES);
  assert.equal(fallback.failures, 1);
  fallback.retry(6000);
  assert.equal(fallback.failed(reclaimed(), 7000), FailureAction.TILES);
  fallback.retry(17_000);
  assert.equal(fallback.failed(reclaimed(), 18_000), FailureAction.OFF); // no endless loop
});

test("a new session starts afresh", () => {
  const fallback = new VideoFallback({ maxFailures: 1 });
  assert.equal(fallback.failed(corrupt(), 0), FailureAction.OFF);
  fallback.reset();
  assert.ok(fallback.offering);
  assert.equal(fallback.failures, 0);
  assert.equal(fallback.failed(reclaimed(), 1), FailureAction.RESYNC);
});

test("the settings are keyword arguments", () => {
  const fallback = new VideoFallback({ retryAfterMs: 100, maxFailures: 4 });
  for (const [at, wait] of [
    [0, 100],
    [1000, 200],
    [2000, 400],
  ]) {
    assert.equal(fallback.failed(corrupt(), at), FailureAction.TILES);
    assert.equal(fallback.retryInMs(at), wait);
    assert.ok(fallback.retry(at + wait));
  }
  assert.equal(fallback.failed(corrupt(), 3000), FailureAction.OFF);
});

test("reclaimOf finds the browser's QuotaExceededError through the causes, and nothing else", () => {
  const quota = new DOMException("Codec reclaimed due to inactivity.", "QuotaExceededError");
  assert.equal(reclaimOf(quota), quota);
  assert.equal(reclaimOf(new MediaError("x", { cause: new MediaError("y", { cause: quota }) })), quota);
  assert.equal(reclaimOf(corrupt()), null);
  assert.equal(reclaimOf(new MediaError("The H.264 decoder gave no picture for a tile.")), null);
  assert.equal(reclaimOf(undefined), null);
  // A message that merely says so is not the browser's word.
  assert.equal(reclaimOf(new Error("Codec reclaimed due to inactivity.")), null);
});

/** A stand-in VideoDecoder: a frame per chunk; `reclaim()` closes it as Chromium does. */
class FakeDecoder {
  static made = [];
  constructor({ output, error }) {
    Object.assign(this, { output, error, state: "unconfigured" });
    FakeDecoder.made.push(this);
  }
  configure() {
    this.state = "configured";
  }
  decode(chunk) {
    queueMicrotask(() => this.output({ timestamp: chunk.timestamp, close() {} }));
  }
  close() {
    this.state = "closed";
  }
  reclaim() {
    this.state = "closed";
    this.error(new DOMException("Codec reclaimed due to inactivity.", "QuotaExceededError"));
  }
}

const VP8_KEY = { encoding: TileEncoding.VP8, width: 64, height: 32, data: Uint8Array.of(1, 0x50, 2, 0, 0x9d, 1, 0x2a) };
const VP8_DELTA = { encoding: TileEncoding.VP8, width: 64, height: 32, data: Uint8Array.of(0, 0x71, 2) };

async function withFakeDecoder(body) {
  FakeDecoder.made = [];
  globalThis.VideoDecoder = FakeDecoder;
  globalThis.EncodedVideoChunk = class {
    constructor({ type, timestamp }) {
      Object.assign(this, { type, timestamp });
    }
  };
  try {
    await body();
  } finally {
    delete globalThis.VideoDecoder;
    delete globalThis.EncodedVideoChunk;
  }
}

test("deltas after a reclaim say so (one reclaim), and the next keyframe makes a new decoder", () =>
  withFakeDecoder(async () => {
    const decoder = new VideoTileDecoder();
    (await decoder.decode(VP8_KEY)).close();
    (await decoder.decode(VP8_DELTA)).close();
    FakeDecoder.made[0].reclaim(); // idle: nothing waiting, nothing rejected
    const errors = [];
    for (let i = 0; i < 3; i++) await decoder.decode(VP8_DELTA).catch((e) => errors.push(e));
    assert.equal(errors.length, 3);
    const roots = errors.map(reclaimOf);
    assert.equal(roots[0].name, "QuotaExceededError");
    assert.ok(roots.every((root) => root === roots[0]));
    const fallback = new VideoFallback();
    assert.deepEqual(
      errors.map((e) => fallback.failed(e, 0)),
      [FailureAction.RESYNC, FailureAction.IGNORE, FailureAction.IGNORE],
    );
    (await decoder.decode(VP8_KEY)).close();
    assert.equal(FakeDecoder.made.length, 2);
    assert.equal(FakeDecoder.made[1].state, "configured");
    assert.equal(decoder.closedBy, null); // a new stream: the old reclaim is no one's cause
    decoder.close();
  }));

test("a decoder error keeps the browser's error as its cause; deltas after it are not a reclaim", () =>
  withFakeDecoder(async () => {
    const decoder = new VideoTileDecoder();
    (await decoder.decode(VP8_KEY)).close();
    FakeDecoder.made[0].decode = () => {}; // this picture never comes out: the error does
    const waiting = decoder.decode(VP8_DELTA);
    FakeDecoder.made[0].error(new DOMException("Decoding error.", "EncodingError"));
    const error = await waiting.catch((e) => e);
    assert.ok(error instanceof MediaError);
    assert.equal(error.cause.name, "EncodingError");
    const delta = await decoder.decode(VP8_DELTA).catch((e) => e);
    assert.match(delta.message, /VP8 delta arrived before its keyframe/);
    assert.equal(delta.cause, error); // what closed the stream
    assert.equal(reclaimOf(delta), null);
    decoder.close();
  }));
