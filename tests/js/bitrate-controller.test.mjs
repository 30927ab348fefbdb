// The browser sharer's bitrate controller (core/bitrate-controller.js) keeps sharer/bitrate.py's
// rules: the same cases as tests/unit/sharer/test_bitrate.py, in milliseconds.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  BitrateController,
  CEILING_BITRATE,
  FLOOR_BITRATE,
  START_BITRATE,
} from "../../src/quickassist/service/console/core/bitrate-controller.js";

const QUIET = { rttMs: 10, srttMs: 10, minRttMs: 10 };
const QUEUED = { rttMs: 200, srttMs: 150, minRttMs: 50 };

/** Acknowledgements just before `now`, the last at `now`: a standing queue. */
function queue(controller, now, ack) {
  let rate;
  for (const k of [3, 2, 1, 0]) rate = controller.observe(now - k, ack);
  return rate;
}

test("it starts low and probes upward while the link keeps up, to the ceiling within a second", () => {
  const controller = new BitrateController();
  assert.ok(controller.bitrate === START_BITRATE && START_BITRATE < CEILING_BITRATE);
  const rates = Array.from({ length: 200 }, (_, t) => controller.observe(t * 50, QUIET)); // 10 s
  assert.deepEqual(rates, [...rates].sort((a, b) => a - b)); // never down on a link that keeps up
  assert.equal(rates.at(-1), CEILING_BITRATE);
  assert.ok(rates[6] < CEILING_BITRATE); // each step waits a probe interval
  assert.equal(rates[20], CEILING_BITRATE);
});

test("a standing queue backs off at once; one slow acknowledgement is not a queue", () => {
  const controller = new BitrateController({ start: 4_000_000 });
  assert.equal(queue(controller, 1000, QUEUED), Math.trunc(4_000_000 * 0.7));
  assert.equal(controller.backoffs, 1);
  const calm = new BitrateController({ start: 4_000_000 });
  for (let t = 0; t < 8; t++) calm.observe(t * 10, t === 4 ? QUEUED : { ...QUEUED, rttMs: 50 });
  assert.equal(calm.backoffs, 0);
});

test("one congestion is punished once; a backoff goes down to what the link delivered", () => {
  const controller = new BitrateController({ start: 4_000_000 });
  const first = queue(controller, 1000, { ...QUEUED, sentAt: 800 });
  assert.equal(controller.observe(1050, { ...QUEUED, sentAt: 900 }), first); // sent before it
  assert.ok(controller.observe(1300, { ...QUEUED, sentAt: 1100 }) < first);
  const delivered = new BitrateController({ start: 3_000_000 });
  const full = { rttMs: 300, srttMs: 300, minRttMs: 100 };
  assert.equal(queue(delivered, 1000, { ...full, deliveryBps: 2_000_000 }), Math.trunc(0.85 * 2_000_000));
  // An odd, very low sample does not crash it to the floor in one step.
  assert.equal(queue(delivered, 2000, { ...full, deliveryBps: 1000 }), Math.trunc(0.85 * 2_000_000 * 0.5));
});

test("frames lost back off; after a backoff it holds, then probes gently near that rate", () => {
  const controller = new BitrateController({ start: 2_000_000 });
  assert.equal(controller.lost(1000, 2), 1_400_000);
  assert.equal(controller.lost(1010, 2), 1_400_000); // the same loss, seen again at once
  assert.equal(controller.lost(1000, 0), 1_400_000);
  for (let t = 1000; t < 2000; t += 50) controller.observe(t, QUIET);
  assert.equal(controller.bitrate, 1_400_000); // held for a second
  const rates = [];
  for (let t = 2000; t < 3000; t += 50) rates.push(controller.observe(t, QUIET));
  assert.equal(rates[0], 1_750_000); // far from the 2 Mbit/s it came down from: a full step
  assert.equal(rates[5], Math.trunc(1_750_000 * 1.08)); // near it, a probe interval on: gently
  assert.ok(rates.at(-1) < 2_500_000); // full steps would be past 3.4 Mbit/s by now
});

test("a queue between the thresholds holds the rate; reset starts low again; bounds hold", () => {
  const controller = new BitrateController({ start: 3_000_000 });
  for (let t = 0; t < 40; t++) controller.observe(t * 50, { rttMs: 35, srttMs: 35, minRttMs: 10 });
  assert.equal(controller.bitrate, 3_000_000);
  controller.lost(5000, 1);
  controller.reset();
  assert.equal(controller.bitrate, 3_000_000);
  assert.equal(controller.backoffs, 1); // counters are kept
  const floor = new BitrateController({ start: FLOOR_BITRATE });
  for (let t = 0; t < 20; t++) floor.lost(t * 1000, 1);
  assert.equal(floor.bitrate, FLOOR_BITRATE);
  assert.throws(() => new BitrateController({ floor: 2, start: 1 }), /floor <= start <= ceiling/);
});
