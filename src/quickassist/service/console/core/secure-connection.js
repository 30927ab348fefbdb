/**
 * The relay connection with end-to-end encryption on top (docs/protocol.md section 6): what the
 * session sends is sealed for the sharer, what arrives is opened, and the relay in between only
 * ever routes ciphertext.
 *
 * A SecureConnection is an EventTarget with the events of Connection ("open", "control",
 * "reconnecting", "closed", "invalid"; "frame" carries the opened inner frame, in arrival order)
 * and two of its own:
 *   "security"  detail {check, resume}   a handshake completed: the six check digits to show
 *                                        (the first handshake's, the ones the two people
 *                                        compared, after every reconnect too), the resume
 *                                        secret to keep (for a page reload)
 *   "insecure"  detail {error, told}     the encryption failed: the service was told
 *                                        (`security_failure`, told=true) and ends the session;
 *                                        told=false: the socket was down, tell it another way
 *
 * The helper starts every handshake: when the sharer is connected and there are no keys (first
 * contact, either side back after a drop). Until keys are agreed, outgoing frames wait (a
 * bounded queue; the oldest go first when full) and incoming sealed frames are dropped. A clear
 * frame other than the handshake, or a sealed one that does not open, is refused; a few of
 * those and the session ends.
 */

import { FrameFlags, FrameKind } from "./frames.js";
import { securityFailure } from "./messages.js";
import { SealedConnection } from "./sealed-connection.js";
import { HandshakeFailed, isHandshake, SecureLink } from "./secure-link.js";

// Limits
const HANDSHAKE_PHASES = new Set(["joined", "consent", "active"]);
// Timeouts
/** The commit goes again this often until a key answers it (see sendCommit). */
export const COMMIT_REPEAT_MS = 1000;

export class SecureConnection extends SealedConnection {
  /**
   * @param {string} url  the helper's relay WebSocket URL
   * @param {string} sessionId
   * @param {{resume?: Uint8Array, check?: string, connection?: object, curve?: string}} [options]
   *   resume: the secret a handshake of this session left before a page reload;
   *   check: the digits compared at this session's first handshake, before a page reload;
   *   connection: options for Connection (seams for tests)
   */
  constructor(url, sessionId, { resume, check, connection = {}, curve } = {}) {
    super(url, new SecureLink(sessionId, { resume, check, curve }), connection);
    this.commitTimer = null;
    this.conn.addEventListener("open", (e) => this.onOpen(e.detail));
    this.conn.addEventListener("reconnecting", (e) => this.emit("reconnecting", e.detail));
  }

  close(code, reason) {
    clearTimeout(this.commitTimer);
    this.conn.close(code, reason);
  }

  /**
   * Send `payload` bytes as a frame of `kind`, sealed. Before keys are agreed it waits in a
   * bounded queue. Returns false when the socket is not open (nothing is queued then).
   */
  send(kind, payload) {
    if (!this.conn.isOpen || this.gaveUp) return false;
    if (!this.link.ready) {
      this.hold(kind, payload);
      return true;
    }
    this.sealAndSend(kind, payload);
    return true;
  }

  // Handshakes --------------------------------------------------------------------------------

  onOpen(detail) {
    // A new socket means the sharer dropped our keys (it saw us leave): agree new ones.
    if (detail.reconnected) this.link.reset();
    this.emit("open", detail);
  }

  onControl(message) {
    if (message.type === "peer_left" && message.role === "sharer") {
      this.link.reset();
    } else if (message.type === "peer_returned" && message.role === "sharer") {
      // Usually the state snapshot just before this one started the handshake already.
      if (!this.link.handshaking) {
        this.link.reset();
        this.startHandshake();
      }
    } else if (
      message.type === "state" &&
      message.sharer_connected &&
      HANDSHAKE_PHASES.has(message.phase) &&
      !this.link.ready &&
      !this.link.handshaking
    ) {
      this.startHandshake();
    }
    this.emit("control", message);
  }

  async startHandshake() {
    if (this.gaveUp) return;
    const commit = await this.link.start();
    if (commit) this.sendCommit(commit, this.link.generation);
  }

  /**
   * Send the commit, and again every COMMIT_REPEAT_MS until a key comes: the sharer's `state`
   * says "connected" from its join call on, before its WebSocket is attached, and the relay
   * drops frames for an absent peer. The sharer answers a repeat with the same key.
   */
  sendCommit(commit, generation) {
    clearTimeout(this.commitTimer);
    if (this.gaveUp || generation !== this.link.generation || this.link.ready) return;
    if (!this.link.handshaking) return;
    this.conn.sendBytes(commit);
    this.commitTimer = setTimeout(() => this.sendCommit(commit, generation), COMMIT_REPEAT_MS);
  }

  async onHandshake(payload) {
    let reveal;
    try {
      reveal = await this.link.onHandshake(payload);
    } catch (error) {
      if (error instanceof HandshakeFailed) this.fail(error);
      else throw error;
      return;
    }
    if (!reveal) return;
    clearTimeout(this.commitTimer);
    this.conn.sendBytes(reveal);
    this.emit("security", { check: this.link.check, resume: this.link.resume });
    this.sendHeld();
  }

  // Frames in ---------------------------------------------------------------------------------

  receive(frame) {
    if (this.gaveUp) return;
    if (!(frame.header.flags & FrameFlags.ENCRYPTED)) {
      if (frame.header.kind === FrameKind.CONTROL_E2E && isHandshake(frame.payload)) {
        this.onHandshake(frame.payload);
      } else {
        this.link.refuse(); // never clear: the relay (or a broken peer) sent it
        this.checkLink();
      }
      return;
    }
    if (!this.link.ready) return; // sealed with keys this side no longer has
    const opened = this.link.open(frame);
    const { size, receivedAt } = frame;
    this.incoming = this.incoming.then(async () => {
      const inner = await opened;
      if (inner) this.emit("frame", { ...inner, size, receivedAt });
      else this.checkLink();
    });
  }

  /** Give up: tell the service (it ends the session with security_error) and the page. */
  fail(error) {
    if (this.gaveUp) return;
    this.gaveUp = true;
    clearTimeout(this.commitTimer);
    this.held = [];
    this.link.reset();
    const told = this.conn.sendControl(securityFailure());
    this.emit("insecure", { error, told });
  }
}
