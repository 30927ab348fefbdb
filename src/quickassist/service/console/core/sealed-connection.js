/**
 * What both ends' relay connections with end-to-end encryption share (the helper's
 * SecureConnection, the browser sharer's SharerConnection): the Connection underneath (one
 * WebSocket, reconnects within the grace period), the link that seals and opens, the bounded
 * queue of frames waiting for keys, sending in the order frames were given, and the events
 * passed through. Each end adds its side of the handshake and its rules for what arrives.
 */

import { Connection } from "./connection.js";

// Limits
/** Frames held while a handshake runs (a few ms normally; input typed meanwhile survives). */
export const MAX_HELD = 64;

export class SealedConnection extends EventTarget {
  /**
   * @param {string} url  the relay WebSocket URL
   * @param {import("./sealed-link.js").SealedLink} link  this end's link (keys, refusals)
   * @param {object} connection  options for Connection (seams for tests)
   */
  constructor(url, link, connection = {}) {
    super();
    this.conn = new Connection(url, connection);
    this.link = link;
    /** Frames waiting for keys, oldest first: [kind, payload, options]. */
    this.held = [];
    this.outgoing = Promise.resolve();
    this.incoming = Promise.resolve();
    this.gaveUp = false;
    this.conn.addEventListener("control", (e) => this.onControl(e.detail));
    this.conn.addEventListener("frame", (e) => this.receive(e.detail));
    for (const type of ["closed", "invalid"]) {
      this.conn.addEventListener(type, (e) => this.emit(type, e.detail));
    }
  }

  get isOpen() {
    return this.conn.isOpen;
  }

  /** Keys are agreed with the other end. */
  get secured() {
    return this.link.ready;
  }

  connect() {
    this.conn.connect();
  }

  sendControl(message) {
    return this.conn.sendControl(message);
  }

  /** Keep a frame until keys are agreed; when full, the oldest goes. */
  hold(kind, payload, options = {}) {
    if (this.held.length >= MAX_HELD) this.held.shift();
    this.held.push([kind, payload, options]);
  }

  /** Keys are agreed: what was held goes now, in its order. */
  sendHeld() {
    const held = this.held;
    this.held = [];
    for (const [kind, payload, options] of held) this.sealAndSend(kind, payload, options);
  }

  /** Seal and send `payload` as a frame of `kind`; returns its sequence number. */
  sealAndSend(kind, payload, options = {}) {
    const sequence = this.conn.nextSequence();
    // Sealing runs in parallel; sending keeps the order frames were given in (key down before
    // key up), and the counters were taken in that order too.
    const sealed = this.link.seal(kind, payload, { ...options, sequence });
    this.outgoing = this.outgoing.then(async () => {
      try {
        this.conn.sendBytes(await sealed);
      } catch (error) {
        console.warn("quickassist: a frame could not be sealed:", error);
      }
    });
    return sequence;
  }

  /** Too many refused frames: give up (`fail`, each end's own). */
  checkLink() {
    if (this.link.failed) {
      this.fail(new Error("Frames that were changed, replayed or unencrypted arrived."));
    }
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
