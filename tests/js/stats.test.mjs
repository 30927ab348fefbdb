import assert from "node:assert/strict";
import { test } from "node:test";

import { FrameStats, formatRate } from "../../src/quickassist/service/console/core/stats.js";

test("fps, latency and bandwidth over the last second", () => {
  const s = new FrameStats();
  const t0 = 1_000_000;
  for (let i = 0; i < 10; i++) {
    s.recordBytes(1000, t0 + i * 100);
    s.recordDrawn((t0 + i * 100 - 40) * 1000, t0 + i * 100);
  }
  const snap = s.snapshot(t0 + 950);
  assert.equal(snap.fps, 10);
  assert.equal(snap.bytesPerSecond, 10_000);
  assert.ok(Math.abs(snap.latencyMs - 40) < 1e-6);
  const later = s.snapshot(t0 + 2500);
  assert.equal(later.fps, 0);
  assert.equal(later.bytesPerSecond, 0);
  assert.ok(Math.abs(later.latencyMs - 40) < 1e-6, "a still screen keeps the last latency");
});

test("frames without a timestamp count for fps but not latency", () => {
  const s = new FrameStats();
  s.recordDrawn(0, 10);
  assert.deepEqual(s.snapshot(20), { fps: 1, latencyMs: null, bytesPerSecond: 0 });
});

test("rates read like network tools", () => {
  assert.equal(formatRate(12), "12 B/s");
  assert.equal(formatRate(340_400), "340 kB/s");
  assert.equal(formatRate(1_234_567), "1.2 MB/s");
});
