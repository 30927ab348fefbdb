/**
 * The helper's quality choice (Auto, Sharp, Smooth) for the browser sharer: what the page's
 * encoder aims at, and how often a capture may leave. The browser's twin of sharer/quality.py's
 * PROFILES, as far as a browser encoder allows.
 *
 * The video bitrate follows the link, as the app's does: the flow window's BitrateController
 * (core/flow-window.js, core/bitrate.js, the twin of sharer/bitrate.py) answers every
 * acknowledgement with a target, and each choice takes its share of that target:
 *
 * - "auto": the target itself at 30 frames a second, JPEG_QUALITY;
 * - "sharp": the app's Sharp: at most 10 captures a second, so at the same target each frame
 *   gets three times the bits (text and photos crisp), JPEG 0.9;
 * - "smooth": the app's Smooth: 30 frames a second with smaller frames. The app's Smooth lets a
 *   frame take 1/30 s to cross the link where Auto lets it take 1/20 s (quality.py's
 *   frame_budget), so a frame here gets 20/30 of Auto's bits: frames cross the same link in
 *   two thirds of the time and the flow window lets more of them through; JPEG 0.6.
 *
 * The controller's target is the link's budget for whatever the choice sends, so a choice
 * scales the bits a frame gets, never the budget upward (Smooth below it, to cross sooner).
 * A new aim goes to the encoder (a configure() in place, core/encoder.js) only once it moved by
 * RATE_STEP of what the encoder has, or the target reached its floor or ceiling: not on every
 * acknowledgement. The JPEG fallback keeps its quality per choice (no link governor here).
 *
 * Pure: time is an argument (ms, the page's performance.now()).
 */

import { JPEG_QUALITY } from "./encoder.js";
import { QUALITY_MODES } from "./payloads.js";

/**
 * Per choice: the share of the link's target bitrate the video encoder aims at, its frame rate,
 * the JPEG fallback's quality (0-1), and the least time between two captures that leave (ms; 0:
 * the capture's own pace).
 */
export const QUALITY_PROFILES = Object.freeze({
  auto: Object.freeze({ share: 1, framerate: 30, jpegQuality: JPEG_QUALITY, intervalMs: 0 }),
  sharp: Object.freeze({ share: 1, framerate: 10, jpegQuality: 0.9, intervalMs: 100 }),
  smooth: Object.freeze({ share: 20 / 30, framerate: 30, jpegQuality: 0.6, intervalMs: 0 }),
});

/**
 * The least move of the aim that reconfigures the encoder (a share of its bitrate). The
 * controller moves by x1.5, x1.25 and x0.7 (or more); its gentlest probe, x1.08, goes to the
 * encoder with the next one. Chromium applies a bitrate-only configure() without a keyframe
 * (OpenH264VideoEncoder::ChangeOptions sets the rate in place), but each is a flush of the
 * encoder's queue: a few a second at most.
 */
export const RATE_STEP = 0.1;

/**
 * Whether the encoder at `current` bits/s should take `wanted`: a move of RATE_STEP or more, or
 * any move when the target is at a bound (`atBound`: its floor or ceiling, where it stays).
 */
export function rateMoved(current, wanted, { atBound = false } = {}) {
  if (wanted === current) return false;
  return atBound || Math.abs(wanted - current) >= RATE_STEP * current;
}

export class ShareQuality {
  constructor() {
    this.mode = "auto";
    /** When the last capture left (ms), for Sharp's least interval. */
    this.lastSentAt = -Infinity;
  }

  /** The current choice's profile (its share of the target, frame rate, JPEG, interval). */
  get profile() {
    return QUALITY_PROFILES[this.mode];
  }

  /**
   * What the encoders aim at under the current choice when the link's target is `targetBps`:
   * {bitrate, framerate, jpegQuality, intervalMs}, what the encoders' setRate() takes.
   */
  aim(targetBps) {
    const { share, framerate, jpegQuality, intervalMs } = this.profile;
    return { bitrate: Math.round(targetBps * share), framerate, jpegQuality, intervalMs };
  }

  /**
   * The helper chose `mode`. True if that changes what the encoder aims at (the caller applies
   * it and sends a keyframe, so the choice shows at once); an unknown mode changes nothing.
   */
  choose(mode) {
    if (!QUALITY_MODES.includes(mode) || mode === this.mode) return false;
    this.mode = mode;
    return true;
  }

  /**
   * How long (ms) from `now` until the next capture may leave: 0 now. A keyframe owed goes at
   * once (a request, a new choice): it is rare, and what the helper waits for.
   */
  wait(now, { keyframe = false } = {}) {
    if (keyframe) return 0;
    return Math.max(0, this.lastSentAt + this.profile.intervalMs - now);
  }

  /** A capture left at `now`. */
  sent(now) {
    this.lastSentAt = now;
  }

  /** A new connection or console: the interval starts afresh (the choice stays, as in the app). */
  reset() {
    this.lastSentAt = -Infinity;
  }
}
