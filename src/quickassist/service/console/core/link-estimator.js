/**
 * The round trip and delivery rate of the console's acknowledgements, for the browser sharer's
 * bitrate (core/bitrate.js): the part of sharer/pacing.py's LinkEstimator the controller reads
 * (`lastRtt`, `srtt`, `minRtt`, `recentBps`, `floorBps`), the same arithmetic, so the page feeds its
 * controller what the app feeds its own (tests/vectors/bitrate.json, section "link").
 *
 * A frame sent while the one before was still on its way measures the link when it queued there:
 * the time between the two arrivals is the time the link took for it; `recentBps` is the rate of
 * the newest run of such deliveries (what the link carries while it is full). A frame sent to an
 * idle link measures a floor of the link's rate (its bytes over its whole trip): `floorBps`, the
 * best of those. Pure: time is an argument, in seconds (performance.now() / 1000).
 */

/** As pacing.py: deliveries remembered (seconds, and at most this many), a run's length. */
export const THROUGHPUT_MEMORY = 5.0;
export const THROUGHPUT_SAMPLES = 512;
export const THROUGHPUT_RUN = 4;
/** Weight of the newest round trip in the smoothed one (TCP's 1/8). */
export const RTT_SMOOTHING = 0.125;
/** The shortest time one delivery is counted to take (a timer's resolution, not a link's). */
export const MIN_INTERVAL = 0.001;

export class LinkEstimator {
  constructor() {
    this.reset();
  }

  reset() {
    /** [arrived, bytes, seconds on the link] of queued deliveries, oldest first. */
    this.queued = [];
    /** [arrived, bits/s at least] of frames sent to an idle link, oldest first. */
    this.floors = [];
    this.srtt = 0;
    this.minRtt = 0;
    this.lastRtt = 0; // the newest sample, unsmoothed (a queue shows here first)
    this.lastDelivery = -Infinity;
  }

  /**
   * `size` bytes were drawn by `now`: a frame sent at `sentAt` (and the frames before it it
   * retired, the first sent at `firstSent`); `drawS` of that the console spent drawing.
   */
  delivered(size, sentAt, now, drawS, { firstSent = null } = {}) {
    // When the frame reached the console, as seen from here (pacing.py says why).
    const arrived = now - drawS;
    const rtt = Math.max(MIN_INTERVAL, arrived - sentAt);
    this.lastRtt = rtt;
    this.minRtt = this.minRtt === 0 ? rtt : Math.min(this.minRtt, rtt);
    this.srtt = this.srtt === 0 ? rtt : this.srtt + RTT_SMOOTHING * (rtt - this.srtt);
    const started = firstSent === null ? sentAt : firstSent;
    if (started < this.lastDelivery) {
      // Sent while the frame before was still on its way.
      this.queued.push([arrived, size, Math.max(MIN_INTERVAL, arrived - this.lastDelivery)]);
      if (this.queued.length > THROUGHPUT_SAMPLES) this.queued.shift();
    } else {
      this.floors.push([arrived, (size * 8) / Math.max(MIN_INTERVAL, arrived - started)]);
      if (this.floors.length > THROUGHPUT_SAMPLES) this.floors.shift();
    }
    this.lastDelivery = Math.max(this.lastDelivery, arrived);
    for (const old of [this.queued, this.floors]) {
      while (old.length && old[0][0] < arrived - THROUGHPUT_MEMORY) old.shift();
    }
  }

  /** The best rate one frame sent to an idle link crossed it at, of the last 5 s (0: none). */
  get floorBps() {
    let best = 0;
    for (const [, rate] of this.floors) best = Math.max(best, rate);
    return best;
  }

  /** The delivery rate of the newest run of queued deliveries (bits/s; 0: none yet). */
  get recentBps() {
    const run = this.queued.slice(-THROUGHPUT_RUN);
    if (!run.length) return 0;
    // Summed in order, as Python's sum(): the same doubles.
    let bytes = 0;
    let seconds = 0;
    for (const [, b] of run) bytes += b;
    for (const [, , t] of run) seconds += t;
    return (bytes * 8) / seconds;
  }
}
