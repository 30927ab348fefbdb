// The browser sharer's video bitrate follows the link as the app's does: core/bitrate.js and
// core/link-estimator.js replay the decisions of sharer/bitrate.py and sharer/pacing.py
// (tests/vectors/bitrate.json, made by tests/vectors/generate_bitrate.py) exactly, and the flow
// window (core/flow-window.js) feeds them every acknowledgement and timeout as pacing.py does.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  BITRATE_SETTINGS,
  BitrateController,
  CEILING_BITRATE,
  FLOOR_BITRATE,
  START_BITRATE,
} from "../../src/quickassist/service/console/core/bitrate.js";
import { FlowWindow } from "../../src/quickassist/service/console/core/flow-window.js";
import { LinkEstimator } from "../../src/quickassist/service/console/core/link-estimator.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/bitrate.json", import.meta.url), "utf8"));

/** One controller call of the vectors, made on the JS twin; returns [bitrate, probes, backoffs]. */
function replay(controller, [op, now, ...args]) {
  if (op === "observe") {
    const a = args[0];
    controller.observe(now, {
      rttS: a.rtt_s,
      srttS: a.srtt_s,
      minRttS: a.min_rtt_s,
      deliveryBps: a.delivery_bps,
      sentAt: a.sent_at ?? null,
      lost: a.lost ?? 0,
    });
  } else if (op === "lost") {
    controller.lost(now, args[0], { srttS: args[1] });
  } else if (op === "seed") {
    controller.seed(now, args[0]);
  } else {
    assert.equal(op, "reset");
    controller.reset();
  }
  return [controller.bitrate, controller.probes, controller.backoffs];
}

test("the defaults are bitrate.py's", () => {
  assert.deepEqual([START_BITRATE, FLOOR_BITRATE, CEILING_BITRATE], [1_000_000, 250_000, 6_000_000]);
  assert.equal(BITRATE_SETTINGS.recent, 3);
  assert.throws(() => new BitrateController({ floor: 2_000_000 }), RangeError);
});

test("bitrate.json: every controller sequence gives the Python controller's answers, exactly", () => {
  assert.ok(vectors.controller.length >= 8);
  const ops = new Set();
  for (const { name, calls } of vectors.controller) {
    const controller = new BitrateController();
    calls.forEach((call, i) => {
      ops.add(call[0]);
      assert.deepEqual(replay(controller, call), call.slice(-3), `${name}, call ${i}`);
    });
  }
  assert.deepEqual([...ops].sort(), ["lost", "observe", "reset", "seed"]);
});

test("bitrate.json covers the start, probing, backoffs, both bounds, losses and a reset", () => {
  const answers = vectors.controller.flatMap(({ calls }) => calls.map((call) => call.slice(-3)));
  const rates = answers.map(([rate]) => rate);
  assert.ok(rates.includes(CEILING_BITRATE) && rates.includes(FLOOR_BITRATE));
  assert.ok(answers.some(([, probes]) => probes >= 5));
  assert.ok(answers.some(([, , backoffs]) => backoffs >= 3));
  const slow = vectors.controller.find(({ name }) => name.startsWith("10 -> 1"));
  assert.ok(slow.calls.some(([op]) => op === "lost") && slow.calls.some(([op]) => op === "reset"));
  assert.ok(Math.min(...slow.calls.map((call) => call.at(-3))) < START_BITRATE); // it came down
});

test("bitrate.json: the link estimator measures what pacing.py's does, exactly", () => {
  assert.ok(vectors.link.length >= 2);
  for (const { name, deliveries } of vectors.link) {
    const link = new LinkEstimator();
    deliveries.forEach(([size, sentAt, now, drawS, ...measured], i) => {
      if (size === "reset") return link.reset(); // (a new connection in the simulation)
      link.delivered(size, sentAt, now, drawS);
      const got = [link.lastRtt, link.srtt, link.minRtt, link.recentBps, link.floorBps];
      assert.deepEqual(got, measured, `${name}, delivery ${i}`);
    });
  }
});

test("the flow window feeds each acknowledgement of a frame in flight, and each timeout, to the controller", () => {
  const flow = new FlowWindow();
  // The same calls by hand, in seconds, as pacing.py's FlowWindow makes them.
  const link = new LinkEstimator();
  const controller = new BitrateController();
  const ack = (sentAtMs, firstSentMs, size, nowMs, drawMs) => {
    link.delivered(size, sentAtMs / 1000, nowMs / 1000, drawMs / 1000, { firstSent: firstSentMs / 1000 });
    controller.seed(nowMs / 1000, link.floorBps);
    controller.observe(nowMs / 1000, {
      rttS: link.lastRtt,
      srttS: link.srtt,
      minRttS: link.minRtt,
      deliveryBps: link.recentBps,
      sentAt: sentAtMs / 1000,
    });
  };
  // A fast link: 10 kB frames acknowledged 20 ms after they leave, two in flight.
  let seq = 0;
  let t = 0;
  for (; t < 3000; t += 17) {
    if (!flow.open(t)) continue;
    seq += 1;
    flow.sent(seq, t, 10_000);
    assert.ok(flow.drawn(seq, { now: t + 20, drawMs: 2 }));
    ack(t, t, 10_000, t + 20, 2);
    assert.equal(flow.bitrate.bitrate, controller.bitrate);
    assert.equal(flow.link.srtt, link.srtt);
  }
  assert.equal(flow.bitrate.bitrate, CEILING_BITRATE); // probed up, as the controller alone
  // A cumulative acknowledgement retires two: one delivery of both, from the first's sending.
  flow.sent(seq + 1, t, 4_000);
  flow.sent(seq + 2, t + 10, 6_000);
  assert.ok(flow.drawn(seq + 2, { now: t + 40, drawMs: 1 }));
  ack(t + 10, t, 10_000, t + 40, 1);
  assert.equal(flow.bitrate.bitrate, controller.bitrate);
  assert.equal(flow.link.recentBps, link.recentBps);
  // A late copy says nothing, and frees nothing.
  assert.ok(!flow.drawn(seq + 2, { now: t + 50, drawMs: 1 }));
  assert.equal(flow.acknowledged, seq + 2);
  // Nothing acknowledged for the timeout: frames lost, a backoff.
  t += 100;
  flow.sent(seq + 3, t, 10_000);
  flow.sent(seq + 4, t + 10, 10_000);
  assert.ok(!flow.open(t + flow.ackTimeoutMs - 1));
  assert.ok(flow.open(t + flow.ackTimeoutMs));
  controller.lost((t + flow.ackTimeoutMs) / 1000, 2, { srttS: link.srtt });
  assert.equal(flow.timedOut, 2);
  assert.equal(flow.bitrate.bitrate, controller.bitrate);
  assert.ok(flow.bitrate.bitrate < CEILING_BITRATE);
  // Without `now` (an old caller) the window still retires, and measures nothing.
  flow.sent(seq + 5, t + 3000, 10_000);
  assert.ok(flow.drawn(seq + 5));
  assert.equal(flow.bitrate.bitrate, controller.bitrate);
  // A new connection: start low again, measured anew.
  flow.reset();
  assert.equal(flow.bitrate.bitrate, START_BITRATE);
  assert.equal(flow.link.srtt, 0);
});

test("when the link slows to 2 Mbit/s, 80 ms, the flow window's target comes down under it and frames go on", () => {
  // A bottleneck of `rate` with a queue, 40 ms each way; a capture every 33 ms leaves when the
  // window has room, as big as the target's share of the time since the last one (at most two
  // frames' worth: the encoder's rate control follows timestamps). 20 Mbit/s, then 2 from 6 s.
  const flow = new FlowWindow();
  let linkFree = 0;
  let lastSent = -33;
  const acks = []; // [at ms, sequence]
  let seq = 0;
  const seen = new Map(); // second -> target
  const acked = [];
  for (let t = 0; t < 20_000; t += 1) {
    const rate = t < 6000 ? 20e6 : 2e6;
    while (acks.length && acks[0][0] <= t) {
      flow.drawn(acks.shift()[1], { now: t, drawMs: 2 });
      acked.push(t);
    }
    if (t % 33 === 0 && flow.open(t)) {
      const size = Math.round((flow.bitrate.bitrate * Math.min(t - lastSent, 66)) / 1000 / 8);
      lastSent = t;
      seq += 1;
      flow.sent(seq, t, size);
      linkFree = Math.max(t + 40, linkFree) + (size * 8 * 1000) / rate;
      acks.push([Math.ceil(linkFree + 40), seq]);
    }
    if (t % 1000 === 0) seen.set(t / 1000, flow.bitrate.bitrate);
  }
  assert.equal(seen.get(5), CEILING_BITRATE); // the fast link: the ceiling
  const late = [...seen].filter(([second]) => second >= 9).map(([, target]) => target);
  assert.ok(Math.max(...late) <= 2e6, `targets from 9 s: ${late}`); // under the slow link
  assert.ok(Math.min(...late) >= 0.4 * 2e6, `targets from 9 s: ${late}`); // yet using it
  assert.ok(flow.bitrate.backoffs >= 1);
  // ... and frames kept coming: more than 10 a second acknowledged in the last 5 s.
  assert.ok(acked.filter((at) => at >= 15_000).length > 50, `${acked.filter((at) => at >= 15_000).length}`);
});
