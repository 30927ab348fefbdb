/**
 * The browser sharer's relay connection with end-to-end encryption on top: the sharer's twin of
 * secure-connection.js, on the same Connection (reconnects within the grace period) and the
 * same sealed-frame code (e2e.js through sharer-link.js).
 *
 * Events, as SecureConnection's ("open", "control", "frame" with opened inner frames in arrival
 * order, "reconnecting", "closed", "invalid") and:
 *   "security"  detail {check}   keys agreed (again); `check` the digits first compared
 *   "insecure"  detail {error}   the encryption failed; the service was told (security_failure)
 *
 * The helper starts every handshake; this side answers. Keys are dropped when the connection
 * drops and when the helper leaves or returns (it will start a new handshake). Until keys are
 * agreed, video is dropped (a keyframe follows the keys) and other frames wait in a small
 * bounded queue.
 */

import { FrameFlags, FrameKind } from "./frames.js";
import { securityFailure } from "./messages.js";
import { SealedConnection } from "./sealed-connection.js";
import { HandshakeFailed, isHandshake, SharerLink } from "./sharer-link.js";

// Limits
/** Frames a missing key makes worthless: the next keyframe replaces them. */
const DROPPED_WITHOUT_KEYS = new Set([FrameKind.VIDEO, FrameKind.CURSOR]);
// Timeouts
/** From this side's key offer to the helper's reveal, as the app (sharer/controller.py). */
export const REVEAL_TIMEOUT_MS = 10_000;

export class SharerConnection extends SealedConnection {
  /**
   * @param {string} url wss://host/ws/sharer/{id}?token=...
   * @param {string} sessionId
   * @param {{resume?: Uint8Array, check?: string, connection?: object, revealTimeoutMs?: number}} [options]
   *   connection: options for Connection (seams for tests)
   */
  constructor(url, sessionId, { resume, check, connection = {}, revealTimeoutMs = REVEAL_TIMEOUT_MS } = {}) {
    super(url, new SharerLink(sessionId, { resume, check }), connection);
    this.revealTimeoutMs = revealTimeoutMs;
    this.revealTimer = null;
    this.conn.addEventListener("open", (e) => {
      this.forget(); // a new socket: the helper starts a new handshake
      this.emit("open", e.detail);
    });
    this.conn.addEventListener("reconnecting", (e) => {
      this.forget();
      this.emit("reconnecting", e.detail);
    });
  }

  close(code, reason) {
    clearTimeout(this.revealTimer);
    this.conn.close(code, reason);
  }

  /** Drop the keys and any handshake in progress (its timeout with it). */
  forget() {
    clearTimeout(this.revealTimer);
    this.link.reset();
  }

  /**
   * Send `payload` as a sealed frame of `kind`. Returns the frame's sequence number, or null when
   * nothing left (socket down, or video without keys).
   */
  send(kind, payload, { flags = FrameFlags.NONE, timestampMs = 0 } = {}) {
    if (!this.conn.isOpen || this.gaveUp) return null;
    if (!this.link.ready) {
      if (DROPPED_WITHOUT_KEYS.has(kind)) return null;
      this.hold(kind, payload, { flags, timestampMs });
      return null;
    }
    return this.sealAndSend(kind, payload, { flags, timestampMs });
  }

  onControl(message) {
    if ((message.type === "peer_left" || message.type === "peer_returned") && message.role === "helper") {
      this.forget(); // the helper has no keys now: it starts a new handshake
    }
    this.emit("control", message);
  }

  receive(frame) {
    if (this.gaveUp) return;
    if (!(frame.header.flags & FrameFlags.ENCRYPTED)) {
      if (frame.header.kind === FrameKind.CONTROL_E2E && isHandshake(frame.payload)) {
        this.incoming = this.incoming.then(() => this.onHandshake(frame.payload));
      } else {
        this.link.refuse(); // never clear: the relay (or a broken peer) sent it
        this.checkLink();
      }
      return;
    }
    // In order with handshakes: a frame right after the reveal opens with the new keys.
    this.incoming = this.incoming.then(async () => {
      if (!this.link.ready) return; // sealed with keys this side no longer has
      const inner = await this.link.open(frame);
      if (inner) this.emit("frame", { ...inner, size: frame.size, receivedAt: frame.receivedAt });
      else this.checkLink();
    });
  }

  async onHandshake(payload) {
    const wasReady = this.link.ready;
    let reply;
    try {
      reply = await this.link.onHandshake(payload);
    } catch (error) {
      if (error instanceof HandshakeFailed) this.fail(error);
      else throw error;
      return;
    }
    if (reply) {
      this.conn.sendBytes(reply);
      // A handshake that does not finish ends the session, as a failed one does.
      clearTimeout(this.revealTimer);
      this.revealTimer = setTimeout(() => {
        if (!this.link.ready) this.fail(new HandshakeFailed("The helper's key did not come in time."));
      }, this.revealTimeoutMs);
    }
    if (this.link.ready && !wasReady) {
      clearTimeout(this.revealTimer);
      this.emit("security", { check: this.link.check, resume: this.link.resume });
      this.sendHeld();
    }
  }

  fail(error) {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.held = [];
    this.forget();
    this.conn.sendControl(securityFailure());
    this.emit("insecure", { error });
  }
}
