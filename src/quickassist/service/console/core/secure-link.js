/**
 * The helper's end of the end-to-end encryption for one session (the console's twin of
 * protocol/secure_link.py): the handshake in progress, the channel (keys and counters), the resume
 * secret that binds every reconnect's handshake to the first, and the count of refused frames.
 * No I/O: the session feeds it payloads and sends what it returns.
 *
 * The helper starts every handshake (a fresh key pair each time); until one completes nothing
 * but handshake messages may travel in the clear, in either direction.
 */

import {
  FrameRejected,
  HandshakeFailed,
  HelperHandshake,
  isHandshake,
  parseHandshake,
  SecureChannel,
} from "./e2e.js";
import { FrameKind, encodeFrame } from "./frames.js";
import { MAX_REJECTIONS, SealedLink } from "./sealed-link.js";

export { FrameRejected, HandshakeFailed, isHandshake, MAX_REJECTIONS };

export class SecureLink extends SealedLink {
  /**
   * @param {string} sessionId
   * @param {{resume?: Uint8Array, check?: string, curve?: string, maxRejections?: number}} [options]
   *   resume: the secret an earlier handshake of this session left (after a page reload);
   *   check: the digits compared at that session's first handshake (after a page reload)
   */
  constructor(
    sessionId,
    { resume = new Uint8Array(0), check = null, curve, maxRejections = MAX_REJECTIONS } = {},
  ) {
    super({ maxRejections });
    this.sessionId = sessionId;
    this.resume = resume;
    this.curve = curve;
    this.handshake = null;
    /**
     * The digits the two people compared: the session's first handshake's, kept for the whole
     * session (docs/security.md). Every later handshake is bound to the first by the resume
     * secret, so its own digits prove nothing a person could check again. The sharer keeps the
     * same ones (protocol/secure_link.py).
     */
    this.check = check;
    // Bumped by reset() and start(): an answer to an abandoned handshake is ignored.
    this.generation = 0;
    this.starting = false;
  }

  /** A handshake was started and has not completed. */
  get handshaking() {
    return this.handshake !== null || this.starting;
  }

  /** Forget the keys (a side dropped: the next connection starts a new handshake). */
  reset() {
    this.generation += 1;
    this.handshake = null;
    this.channel = null;
    this.starting = false;
  }

  /** A fresh handshake: the clear control-e2e frame carrying the commitment. */
  async start() {
    this.reset();
    const generation = this.generation;
    this.starting = true;
    const handshake = await HelperHandshake.create(this.sessionId, {
      curve: this.curve,
      resume: this.resume,
    });
    if (generation !== this.generation) return null; // reset meanwhile
    this.starting = false;
    this.handshake = handshake;
    return encodeFrame(FrameKind.CONTROL_E2E, handshake.commitMessage());
  }

  /**
   * A clear handshake payload from the sharer. For its key offer: adopts the new keys and
   * returns the clear reveal frame to send. Returns null for anything to ignore (an answer to
   * a handshake this side gave up). Throws HandshakeFailed when the handshake cannot go on.
   */
  async onHandshake(payload) {
    const message = parseHandshake(payload);
    if (message.t !== "e2e_key") {
      throw new HandshakeFailed("The other side sent an unexpected handshake message.");
    }
    const handshake = this.handshake;
    // The commit is repeated until a key comes, so the sharer may answer twice: one answer only.
    if (handshake === null || handshake.answered) return null;
    handshake.answered = true;
    const generation = this.generation;
    const { reveal, secrets } = await handshake.onKey(payload);
    const channel = await SecureChannel.create(secrets, { helper: true });
    if (generation !== this.generation) return null;
    this.handshake = null;
    this.channel = channel;
    this.check ??= secrets.check;
    this.resume = secrets.resume;
    return encodeFrame(FrameKind.CONTROL_E2E, reveal);
  }

  /** Sealing before keys is a bug of the caller here (the connection holds frames until then). */
  noKeys() {
    return new Error("SecureLink.seal before the handshake completed");
  }
}
