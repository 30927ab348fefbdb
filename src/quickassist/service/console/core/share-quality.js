/**
 * The helper's quality choice (Auto, Sharp, Smooth) for the browser sharer: what the page's
 * encoder aims at, and how often a capture may leave. The browser's twin of sharer/quality.py's
 * PROFILES, as far as a browser encoder allows.
 *
 * The app keeps its JPEG quality in a range per choice and caps Sharp at 10 captures a second;
 * its H.264 rate follows the link (sharer/bitrate.py). The page has one full-screen encoder and
 * no link estimate (see flow-window.js), so each choice is a fixed setting:
 *
 * - "auto": the encoder's defaults (DEFAULT_BITRATE at 30 frames a second, JPEG_QUALITY);
 * - "sharp": the app's Sharp: at most 10 captures a second, so at the same bitrate each frame
 *   gets three times the bits (text and photos crisp), JPEG 0.9;
 * - "smooth": the app's Smooth: 30 frames a second with smaller frames. The app's Smooth lets a
 *   frame take 1/30 s to cross the link where Auto lets it take 1/20 s (quality.py's
 *   frame_budget), so a frame here gets 20/30 of Auto's bits: frames cross the same link in
 *   two thirds of the time and the flow window lets more of them through; JPEG 0.6.
 *
 * Pure: time is an argument (ms, the page's performance.now()).
 */

import { DEFAULT_BITRATE, JPEG_QUALITY } from "./encoder.js";
import { QUALITY_MODES } from "./payloads.js";

/**
 * Per choice: the video encoder's bitrate (bits/s) and frame rate, the JPEG fallback's quality
 * (0-1), and the least time between two captures that leave (ms; 0: the capture's own pace).
 */
export const QUALITY_PROFILES = Object.freeze({
  auto: Object.freeze({ bitrate: DEFAULT_BITRATE, framerate: 30, jpegQuality: JPEG_QUALITY, intervalMs: 0 }),
  sharp: Object.freeze({ bitrate: DEFAULT_BITRATE, framerate: 10, jpegQuality: 0.9, intervalMs: 100 }),
  smooth: Object.freeze({ bitrate: Math.round((DEFAULT_BITRATE * 20) / 30), framerate: 30, jpegQuality: 0.6, intervalMs: 0 }),
});

export class ShareQuality {
  constructor() {
    this.mode = "auto";
    /** When the last capture left (ms), for Sharp's least interval. */
    this.lastSentAt = -Infinity;
  }

  /** What the encoders aim at under the current choice. */
  get profile() {
    return QUALITY_PROFILES[this.mode];
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
