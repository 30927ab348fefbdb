/**
 * The browser sharer's video bitrate, following the link as the console's acknowledgements show
 * it: the rules of sharer/bitrate.py's BitrateController, in milliseconds (the page's clock).
 * Read that module's docstring for the reasons; in short:
 *
 * - start low (START_BITRATE) and probe upward while the link keeps up: the least of the recent
 *   round trips comes near the least ever seen (a queue under `queueLowMs`). A probe waits at
 *   least `probeIntervalMs` (`startIntervalMs` before the first backoff) or two round trips;
 *   it steps by `startStep` before the first backoff, then `probeStep`, and `cautiousStep` near
 *   the rate of a recent backoff;
 * - back off at once (to `backoff` of the rate, or a share of the delivery rate if that is lower
 *   and known) when the least of the last `recent` round trips stands `queueHighMs` above the
 *   least, or frames in flight were given up; once per congestion: frames sent before the last
 *   backoff drain through the old queue and say nothing new.
 *
 * Pure: time is an argument (ms).
 */

/** As bitrate.py: under what a 2 Mbit/s link carries; the least and the most. */
export const START_BITRATE = 1_000_000;
export const FLOOR_BITRATE = 250_000;
export const CEILING_BITRATE = 6_000_000;

/** bitrate.py's BitrateSettings, times in ms. */
export const BITRATE_SETTINGS = Object.freeze({
  start: START_BITRATE,
  floor: FLOOR_BITRATE,
  ceiling: CEILING_BITRATE,
  startStep: 1.5,
  probeStep: 1.25,
  cautiousStep: 1.08,
  near: 0.2,
  cautiousForMs: 10_000,
  holdAfterBackoffMs: 1000,
  probeIntervalMs: 250,
  startIntervalMs: 100,
  queueLowMs: 15,
  queueHighMs: 40,
  recent: 3,
  backoff: 0.7,
  deliveryShare: 0.85,
  deepest: 0.5,
});

export class BitrateController {
  constructor(settings = {}) {
    this.settings = { ...BITRATE_SETTINGS, ...settings };
    const s = this.settings;
    if (!(s.floor > 0 && s.floor <= s.start && s.start <= s.ceiling)) {
      throw new RangeError("The bitrates must be floor <= start <= ceiling, all positive.");
    }
    /** Counters for the page's status and tests (kept across `reset`). */
    this.probes = 0;
    this.backoffs = 0;
    this.reset();
  }

  /** The target, bits per second. */
  get bitrate() {
    return Math.trunc(this.rate);
  }

  /** A new connection or console: start low again. */
  reset() {
    this.rate = this.settings.start;
    this.changedAt = -Infinity;
    this.backedOffAt = -Infinity;
    this.limit = 0; // the rate the last backoff came down from
    this.rtts = [];
  }

  /**
   * One acknowledgement at `now` of a frame sent at `sentAt`: its round trip, the smoothed and
   * least round trips (ms), the delivery rate (bits/s, 0: unknown) and frames given up since
   * the last call. Returns the target.
   */
  observe(now, { rttMs, srttMs, minRttMs, deliveryBps = 0, sentAt = null, lost = 0 }) {
    const s = this.settings;
    this.rtts.push(rttMs);
    if (this.rtts.length > s.recent) this.rtts.shift();
    const standing = Math.min(...this.rtts) - minRttMs;
    const full = this.rtts.length === s.recent;
    if (lost > 0 || (full && standing > s.queueHighMs)) {
      const sent = sentAt ?? now - rttMs;
      if (sent > this.backedOffAt) this.backOff(now, deliveryBps); // a new congestion
    } else if (full && standing < s.queueLowMs) {
      this.probe(now, srttMs);
    }
    return this.bitrate;
  }

  /** Frames in flight were given up (no acknowledgement in time): the link fell behind. */
  lost(now, frames, { srttMs = 0 } = {}) {
    if (frames > 0 && now - this.backedOffAt >= Math.max(srttMs, this.settings.probeIntervalMs)) {
      this.backOff(now, 0); // (frames long overdue: no sending time to go by)
    }
    return this.bitrate;
  }

  backOff(now, deliveryBps) {
    const s = this.settings;
    this.limit = this.rate;
    let rate = this.rate * s.backoff;
    if (deliveryBps > 0) rate = Math.min(rate, Math.max(this.rate * s.deepest, deliveryBps * s.deliveryShare));
    this.set(Math.max(s.floor, rate), now);
    this.backedOffAt = now;
    this.backoffs += 1;
  }

  probe(now, srttMs) {
    const s = this.settings;
    const interval = this.limit === 0 ? s.startIntervalMs : s.probeIntervalMs;
    if (now - this.changedAt < Math.max(interval, 2 * srttMs)) return;
    if (now - this.backedOffAt < s.holdAfterBackoffMs || this.rate >= s.ceiling) return;
    const recent = now - this.backedOffAt < s.cautiousForMs;
    const near = Math.abs(this.rate - this.limit) <= s.near * this.limit;
    let step;
    if (this.limit === 0) step = s.startStep; // no backoff yet: the link's limit is not known
    else step = recent && near ? s.cautiousStep : s.probeStep;
    this.set(Math.min(s.ceiling, this.rate * step), now);
    this.probes += 1;
  }

  set(rate, now) {
    this.rate = rate;
    this.changedAt = now;
  }
}
