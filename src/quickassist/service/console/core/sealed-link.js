/**
 * What both ends of the end-to-end encryption keep once keys are agreed: the channel that seals
 * and opens frames (e2e.js), and the count of refused frames that ends a session. The helper's
 * SecureLink (secure-link.js) and the browser sharer's SharerLink (sharer-link.js) extend it
 * with their own side of the handshake, which is where they differ.
 */

import { FrameRejected } from "./e2e.js";

/** Refused frames that end a session: one can be a glitch, three is someone at work. */
export const MAX_REJECTIONS = 3;

export class SealedLink {
  /** @param {{maxRejections?: number}} [options] */
  constructor({ maxRejections = MAX_REJECTIONS } = {}) {
    this.maxRejections = maxRejections;
    /** The keys and counters of the last completed handshake; null while there are none. */
    this.channel = null;
    /** Frames refused over the whole session (a new handshake does not reset it). */
    this.rejections = 0;
  }

  /** Keys are agreed: frames can be sealed and opened. */
  get ready() {
    return this.channel !== null;
  }

  /** Too many refused frames: the session must end. */
  get failed() {
    return this.rejections >= this.maxRejections;
  }

  /** What `seal` throws without keys; each end says it its own way (callers rely on the type). */
  noKeys() {
    return new Error("seal before the handshake completed");
  }

  /** The whole binary message for `payload` of `kind`, sealed (ENCRYPTED in its clear header). */
  seal(kind, payload, options) {
    if (!this.channel) throw this.noKeys();
    return this.channel.seal(kind, payload, options);
  }

  /** The inner frame of a sealed one, or null when refused (counted) or keys are gone. */
  async open(frame) {
    const channel = this.channel;
    if (!channel) return null;
    try {
      return await channel.open(frame);
    } catch (error) {
      if (!(error instanceof FrameRejected)) throw error;
      this.rejections += 1;
      return null;
    }
  }

  /** A frame that broke the rules (clear where ciphertext belongs): count it. */
  refuse() {
    this.rejections += 1;
  }
}
