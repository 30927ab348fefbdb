/**
 * The helper's relay WebSocket, with automatic reconnection inside the grace period.
 *
 * A Connection is an EventTarget; it parses what arrives and dispatches:
 *   "open"         detail {reconnected}      the socket is up (again)
 *   "control"      detail message            a parsed control message (messages.js)
 *   "frame"        detail {header, payload, size, receivedAt}   a parsed binary frame
 *   "invalid"      detail {error}            something unreadable arrived (dropped)
 *   "reconnecting" detail {attempt, delayMs, deadline}   the socket dropped; retrying
 *   "closed"       detail {code, reason}     gone for good (ended, refused, or grace over)
 *
 * Close codes that mean "do not come back" (docs/protocol.md section 4) end it at once; any other
 * drop is retried with a growing delay until `graceMs` after the drop, matching the service's
 * grace period, after which the session is over anyway.
 */

import { CloseCode, FINAL_CLOSE_CODES } from "./close-codes.js";
import { decodeFrame, encodeFrame } from "./frames.js";
import { encodeMessage, parseServerMessage } from "./messages.js";

// Timeouts
export const DEFAULT_GRACE_MS = 30_000;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 4_000;

/** Whether a close with `code` should be retried. */
export function shouldReconnect(code) {
  return !FINAL_CLOSE_CODES.has(code);
}

/** The delay before retry number `attempt` (1, 2, ...): doubling from 250 ms, capped at 4 s. */
export function retryDelay(attempt) {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

export class Connection extends EventTarget {
  /**
   * @param {string} url wss://host/ws/helper/{session_id}
   * @param {{graceMs?: number, WebSocketImpl?: typeof WebSocket, now?: () => number,
   *          setTimer?: Function, clearTimer?: Function}} [options]
   *   the socket class and the clock are seams: tests pass their own
   */
  constructor(
    url,
    {
      graceMs = DEFAULT_GRACE_MS,
      WebSocketImpl = globalThis.WebSocket,
      now = Date.now,
      setTimer = (fn, ms) => setTimeout(fn, ms),
      clearTimer = (id) => clearTimeout(id),
    } = {},
  ) {
    super();
    this.url = url;
    this.graceMs = graceMs;
    this.WebSocketImpl = WebSocketImpl;
    this.now = now;
    this.setTimer = setTimer;
    this.clearTimer = clearTimer;
    this.socket = null;
    this.sequence = 0;
    this.attempt = 0;
    this.droppedAt = null;
    this.retryTimer = null;
    this.closed = false;
    this.everOpened = false;
  }

  /** True while a socket is open and can send. */
  get isOpen() {
    return this.socket !== null && this.socket.readyState === 1;
  }

  connect() {
    if (this.closed) return;
    const socket = new this.WebSocketImpl(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.addEventListener("open", () => {
      if (socket !== this.socket) return;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.droppedAt = null;
      this.emit("open", { reconnected });
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.socket) return;
      this.receive(event.data);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.dropped(event.code, event.reason);
    });
  }

  /** Send a control message (text frame). Returns false when the socket is not open. */
  sendControl(message) {
    if (!this.isOpen) return false;
    this.socket.send(encodeMessage(message));
    return true;
  }

  /** Send a binary frame of `kind` with `payload` bytes. Returns false when not open. */
  sendFrame(kind, payload, { flags = 0, timestampMs = 0 } = {}) {
    if (!this.isOpen) return false;
    const frame = encodeFrame(kind, payload, { sequence: this.nextSequence(), timestampMs, flags });
    this.socket.send(frame);
    return true;
  }

  /** The sequence number for the next frame this side sends (per sender, wraps at 2**32). */
  nextSequence() {
    const sequence = this.sequence;
    this.sequence = (this.sequence + 1) % 2 ** 32;
    return sequence;
  }

  /** Send a whole binary message built elsewhere (a sealed frame). False when not open. */
  sendBytes(data) {
    if (!this.isOpen) return false;
    this.socket.send(data);
    return true;
  }

  /** Close for good (the helper left the page or the session is over). */
  close(code = CloseCode.NORMAL, reason = "") {
    this.closed = true;
    this.clearTimer(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(code, reason);
  }

  receive(data) {
    const receivedAt = this.now();
    if (typeof data === "string") {
      let message;
      try {
        message = parseServerMessage(data);
      } catch (error) {
        this.emit("invalid", { error });
        return;
      }
      this.emit("control", message);
      return;
    }
    let frame;
    try {
      frame = decodeFrame(new Uint8Array(data));
    } catch (error) {
      this.emit("invalid", { error });
      return;
    }
    this.emit("frame", { ...frame, size: data.byteLength, receivedAt });
  }

  dropped(code, reason) {
    if (this.closed) return;
    const now = this.now();
    if (this.droppedAt === null) this.droppedAt = now;
    const deadline = this.droppedAt + this.graceMs;
    if (!shouldReconnect(code) || now >= deadline) {
      this.closed = true;
      this.emit("closed", { code, reason });
      return;
    }
    this.attempt += 1;
    const delayMs = Math.min(retryDelay(this.attempt), Math.max(0, deadline - now));
    this.emit("reconnecting", { attempt: this.attempt, delayMs, deadline, code });
    this.retryTimer = this.setTimer(() => this.connect(), delayMs);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
