/**
 * The video encoder's target bitrate, following the link as the console's acknowledgements show
 * it: the browser's twin of sharer/bitrate.py's BitrateController, the same algorithm and the
 * same settings, so the page and the app take the same decisions (tests/vectors/bitrate.json,
 * made by the Python controller, is replayed through this one by tests/js/bitrate.test.mjs and
 * must come out equal, bit for bit: the arithmetic is the same IEEE doubles in the same order).
 *
 * In short (bitrate.py's docstring says why, with the measurements behind each number): start
 * low (1 Mbit/s, or half the best rate one frame crossed the link at, until the first backoff:
 * `seed`), probe upward while the recent round trips stay near the least seen (x1.5 every
 * 0.1 s or two round trips until the first backoff, then x1.25, x1.08 near the rate of a recent
 * backoff), never past 1.5x (2x after a backoff) the rate the link was seen to deliver back to
 * back; back off (x0.7, or to 0.85 of the delivery rate, not below half in one step) once per
 * congestion when every one of the last three round trips stands 40 ms over the least, or frames
 * in flight timed out; but not while the link is seen delivering well above the target.
 *
 * Pure: time is an argument, in seconds (the page passes performance.now() / 1000), as are the
 * round trips; bitrates in bits per second.
 */

/** Where a stream starts, the least and the most target (bits/s): bitrate.py's defaults. */
export const START_BITRATE = 1_000_000;
export const FLOOR_BITRATE = 250_000;
export const CEILING_BITRATE = 6_000_000;

/** How the target moves (seconds and factors): bitrate.py's BitrateSettings, field for field. */
export const BITRATE_SETTINGS = Object.freeze({
  start: START_BITRATE,
  floor: FLOOR_BITRATE,
  ceiling: CEILING_BITRATE,
  startStep: 1.5,
  startHeadroom: 1.5,
  probeHeadroom: 2.0,
  probeStep: 1.25,
  cautiousStep: 1.08,
  near: 0.2,
  cautiousFor: 10.0,
  holdAfterBackoff: 1.0,
  probeInterval: 0.25,
  startInterval: 0.1,
  queueLow: 0.015,
  queueHigh: 0.04,
  recent: 3,
  backoff: 0.7,
  deliveryShare: 0.85,
  deepest: 0.5,
  seedShare: 0.5,
});

export class BitrateController {
  /** @param {Partial<typeof BITRATE_SETTINGS>} [settings] overrides of BITRATE_SETTINGS */
  constructor(settings = {}) {
    this.settings = Object.freeze({ ...BITRATE_SETTINGS, ...settings });
    const s = this.settings;
    if (!(0 < s.floor && s.floor <= s.start && s.start <= s.ceiling)) {
      throw new RangeError("the bitrates must be floor <= start <= ceiling, all positive");
    }
    /** Counters for the status and the tests (kept across `reset`). */
    this.probes = 0;
    this.backoffs = 0;
    this.reset();
  }

  /** The target now (bits/s, an integer). */
  get bitrate() {
    return Math.trunc(this.rate);
  }

  /** A new connection or console: start low again. */
  reset() {
    this.rate = this.settings.start;
    this.changedAt = -Infinity;
    this.backedOffAt = -Infinity;
    this.limit = 0; // the rate the last backoff came down from
    this.rtts = []; // the last `recent` round trips, oldest first
  }

  /**
   * One acknowledgement at `now` of a frame sent at `sentAt`: its round trip `rttS`, the
   * smoothed (for the pace of probes) and least round trips, the delivery rate measured (0:
   * unknown), and frames given up as lost since the last call. Returns the target (bits/s).
   */
  observe(now, { rttS, srttS, minRttS, deliveryBps, sentAt = null, lost = 0 }) {
    const s = this.settings;
    this.rtts.push(rttS);
    if (this.rtts.length > s.recent) this.rtts.shift();
    const standing = Math.min(...this.rtts) - minRttS;
    const full = this.rtts.length === s.recent;
    const behind = lost > 0 || (full && standing > s.queueHigh);
    if (behind) {
      const sent = sentAt === null ? now - rttS : sentAt;
      if (sent > this.backedOffAt) this.backOff(now, deliveryBps); // a new congestion
    } else if (full && standing < s.queueLow) {
      this.probe(now, srttS, deliveryBps);
    }
    return this.bitrate;
  }

  /**
   * A frame crossed the link at `floorBps` at least (its bytes over its whole trip, so never
   * faster than the link): until the first backoff, start from `seedShare` of that if it is
   * above the target, so the first motion on a fast link does not begin at `start`. After a
   * backoff the link's limit is known and only probes and backoffs move the target.
   */
  seed(now, floorBps) {
    const s = this.settings;
    if (this.limit === 0) {
      const rate = Math.min(s.ceiling, floorBps * s.seedShare);
      if (rate > this.rate) this.set(rate, now);
    }
    return this.bitrate;
  }

  /** Frames in flight were given up (no acknowledgement in time): the link fell behind. */
  lost(now, frames, { srttS = 0 } = {}) {
    if (frames > 0 && now - this.backedOffAt >= Math.max(srttS, this.settings.probeInterval)) {
      this.backOff(now, 0); // (frames long overdue: no sending time to go by)
    }
    return this.bitrate;
  }

  backOff(now, deliveryBps) {
    const s = this.settings;
    if (deliveryBps * s.deliveryShare >= this.rate) return; // someone else's queue
    this.limit = this.rate;
    let rate = this.rate * s.backoff;
    if (deliveryBps > 0) rate = Math.min(rate, Math.max(this.rate * s.deepest, deliveryBps * s.deliveryShare));
    this.set(Math.max(s.floor, rate), now);
    this.backedOffAt = now;
    this.backoffs += 1;
  }

  probe(now, srttS, deliveryBps) {
    const s = this.settings;
    const interval = this.limit === 0 ? s.startInterval : s.probeInterval;
    if (now - this.changedAt < Math.max(interval, 2 * srttS)) return;
    if (now - this.backedOffAt < s.holdAfterBackoff || this.rate >= s.ceiling) return;
    const recent = now - this.backedOffAt < s.cautiousFor;
    const near = Math.abs(this.rate - this.limit) <= s.near * this.limit;
    let step;
    let headroom;
    if (this.limit === 0) {
      // No backoff yet: the link's limit is not known at all.
      step = s.startStep;
      headroom = s.startHeadroom;
    } else {
      step = recent && near ? s.cautiousStep : s.probeStep;
      headroom = s.probeHeadroom;
    }
    let rate = this.rate * step;
    // What the frames took through the link back to back: lead it by the headroom, never
    // lower the target (bitrate.py's module docstring).
    if (deliveryBps > 0) rate = Math.min(rate, Math.max(this.rate, deliveryBps * headroom));
    if (rate <= this.rate) return;
    this.set(Math.min(s.ceiling, rate), now);
    this.probes += 1;
  }

  set(rate, now) {
    this.rate = rate;
    this.changedAt = now;
  }
}
