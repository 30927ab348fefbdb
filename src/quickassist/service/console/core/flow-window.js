/**
 * Video pacing by the console's acknowledgements, for the browser sharer: the small twin of
 * sharer/pacing.py's FlowWindow, and like it the feed of the video's target bitrate: every
 * acknowledgement goes to a LinkEstimator (its round trip, the delivery rate) and from there to
 * a BitrateController (core/bitrate.js), every timeout to the controller as frames lost, in the
 * same order and with the same arguments as pacing.py's, so `bitrate` is what the app would aim
 * at over the same link. (Without pacing.py's byte budget and link-sized timeout: the page keeps
 * two frames and a fixed timeout.)
 *
 * The console says `{"t":"drawn","seq"}` once it is done with a video frame (drawn, or dropped
 * while it waits for a keyframe); acknowledgements are cumulative (the transport keeps order).
 * At most `maxFrames` frames are in flight: while the window is full the sharer takes no new
 * capture, so what leaves next is the screen then, never a backlog. If no acknowledgement comes
 * (a console that never acknowledges, frames the relay dropped), the window opens again after
 * `ackTimeoutMs`, so the stream slows, never stalls. Pure: time is an argument (ms, the page's
 * performance.now(); the estimator and the controller get it in seconds, as pacing.py's).
 */

import { BitrateController } from "./bitrate.js";
import { LinkEstimator } from "./link-estimator.js";

/** Two in flight: one crosses the link while the next is captured and encoded (pacing.py). */
export const MAX_FRAMES = 2;
/** As pacing.py's UNKNOWN_ACK_TIMEOUT: generous, a retransmission takes 200 ms and more. */
export const ACK_TIMEOUT_MS = 2000;

export class FlowWindow {
  constructor({ maxFrames = MAX_FRAMES, ackTimeoutMs = ACK_TIMEOUT_MS } = {}) {
    this.maxFrames = maxFrames;
    this.ackTimeoutMs = ackTimeoutMs;
    /** [sequence, sentAtMs, bytes] of frames not yet acknowledged, oldest first. */
    this.inFlight = [];
    this.link = new LinkEstimator();
    /** The video's target bitrate, following the link: `bitrate.bitrate` (bits/s). */
    this.bitrate = new BitrateController();
    /** Counters for the tests: frames acknowledged, given up as lost. */
    this.acknowledged = 0;
    this.timedOut = 0;
  }

  /** Whether a new video frame may leave at `now`. */
  open(now) {
    if (this.inFlight.length && now - this.inFlight[0][1] >= this.ackTimeoutMs) {
      this.timedOut += this.inFlight.length;
      this.bitrate.lost(now / 1000, this.inFlight.length, { srttS: this.link.srtt });
      this.inFlight = [];
    }
    return this.inFlight.length < this.maxFrames;
  }

  /**
   * A video frame of `size` bytes left at `now` with header sequence `sequence` (the page counts
   * the payload; pacing.py the sealed frame, a fixed header and tag more).
   */
  sent(sequence, now, size = 0) {
    this.inFlight.push([sequence, now, size]);
  }

  /**
   * The console is done with every frame up to `sequence` (at `now`, `drawMs` of it spent
   * drawing). True if that freed a slot. With `now`, the acknowledgement of a frame in flight
   * is measured and fed to the bitrate controller (pacing.py's FlowWindow.drawn); one of a
   * frame given up as lost, or a late copy, says nothing.
   */
  drawn(sequence, { now = null, drawMs = 0 } = {}) {
    const done = this.inFlight.filter(([seq]) => seq <= sequence);
    if (!done.length) return false;
    this.inFlight = this.inFlight.filter(([seq]) => seq > sequence);
    this.acknowledged += done.length;
    const last = done[done.length - 1];
    if (now !== null && last[0] === sequence) {
      const size = done.reduce((sum, frame) => sum + frame[2], 0);
      const [sentAt, firstSent, nowS] = [last[1] / 1000, done[0][1] / 1000, now / 1000];
      this.link.delivered(size, sentAt, nowS, drawMs / 1000, { firstSent });
      this.bitrate.seed(nowS, this.link.floorBps);
      this.bitrate.observe(nowS, {
        rttS: this.link.lastRtt,
        srttS: this.link.srtt,
        minRttS: this.link.minRtt,
        deliveryBps: this.link.recentBps,
        sentAt,
      });
    }
    return true;
  }

  /** New keys, a new connection, a console that starts afresh: everything is measured anew. */
  reset() {
    this.inFlight = [];
    this.link.reset();
    this.bitrate.reset();
  }
}
