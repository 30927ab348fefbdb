/**
 * Mouse and keyboard -> input payloads (docs/protocol.md section 5, kind 3).
 *
 * Pure parts (coordinate mapping, wheel notches, key combinations, move coalescing) are
 * exported on their own so they can be tested without a browser. `PointerInput` and
 * `KeyboardInput` attach those to a DOM element; both call `send(payload)` only while their
 * `enabled()` predicate says so (the session is active, in full control, not paused).
 */

import {
  keyEvent,
  MAX_KEY_TEXT,
  MAX_WHEEL_NOTCHES,
  pointerButton,
  pointerMove,
  releaseAll,
  wheel,
} from "./payloads.js";

/**
 * Map a point in CSS pixels (clientX/Y) over `rect` (the canvas' bounding box) to integer
 * remote monitor pixels, clamped to the monitor.
 */
export function clientToRemote(clientX, clientY, rect, remoteWidth, remoteHeight) {
  const fx = rect.width > 0 ? (clientX - rect.left) / rect.width : 0;
  const fy = rect.height > 0 ? (clientY - rect.top) / rect.height : 0;
  const clamp = (v, max) => Math.min(max - 1, Math.max(0, Math.floor(v)));
  return { x: clamp(fx * remoteWidth, remoteWidth), y: clamp(fy * remoteHeight, remoteHeight) };
}

// One wheel notch in each WheelEvent.deltaMode: Chromium and Firefox report 100 px (or 3 lines)
// per notch on Linux and Windows; a page scroll counts as one notch.
const NOTCH = { 0: 100, 1: 3, 2: 1 };

/** Turns WheelEvent deltas into whole notches, keeping the remainder (touchpads send small bits). */
export class WheelAccumulator {
  constructor() {
    this.x = 0;
    this.y = 0;
  }

  /** Add one event's deltas; returns the whole notches now due ({dx, dy}, maybe zero). */
  add(deltaX, deltaY, deltaMode = 0) {
    const unit = NOTCH[deltaMode] ?? NOTCH[0];
    this.x += deltaX / unit;
    this.y += deltaY / unit;
    // `+ 0` turns -0 into 0.
    const take = (v) => Math.max(-MAX_WHEEL_NOTCHES, Math.min(MAX_WHEEL_NOTCHES, Math.trunc(v))) + 0;
    const dx = take(this.x);
    const dy = take(this.y);
    this.x -= dx;
    this.y -= dy;
    return { dx, dy };
  }

  reset() {
    this.x = 0;
    this.y = 0;
  }
}

/**
 * Key combinations the browser or the helper's own OS keeps for itself, sent as a sequence:
 * the keys go down in order and come up in reverse.
 */
export const COMBINATIONS = Object.freeze({
  "ctrl-alt-del": {
    label: "Ctrl+Alt+Del",
    keys: [["ControlLeft", "Control"], ["AltLeft", "Alt"], ["Delete", "Delete"]],
  },
  windows: { label: "Windows key", keys: [["MetaLeft", "Meta"]] },
  "alt-tab": { label: "Alt+Tab", keys: [["AltLeft", "Alt"], ["Tab", "Tab"]] },
  "ctrl-esc": { label: "Ctrl+Esc", keys: [["ControlLeft", "Control"], ["Escape", "Escape"]] },
  "alt-f4": { label: "Alt+F4", keys: [["AltLeft", "Alt"], ["F4", "F4"]] },
  "print-screen": { label: "Print Screen", keys: [["PrintScreen", "PrintScreen"]] },
});

/** The key events of a named combination. */
export function combinationEvents(name) {
  const combo = COMBINATIONS[name];
  if (!combo) throw new RangeError(`Unknown key combination "${name}".`);
  const downs = combo.keys.map(([code, key]) => keyEvent(code, key, true));
  const ups = [...combo.keys].reverse().map(([code, key]) => keyEvent(code, key, false));
  return [...downs, ...ups];
}

/** The input payload of a KeyboardEvent. `key` is cut to the wire limit (code points). */
export function keyPayload(event, down) {
  const key = [...(event.key ?? "")].slice(0, MAX_KEY_TEXT).join("") || "Unidentified";
  return keyEvent(event.code || "Unidentified", key, down);
}

/**
 * True when the held keys (KeyboardEvent.code values) make the helper's "give the keyboard
 * back" chord: Ctrl + left Alt + Shift. Left Alt only: AltGr (AltRight, which Windows pairs
 * with a ControlLeft) plus Shift types characters on many layouts and must reach the sharer.
 */
export function isReleaseChord(held) {
  const any = (...codes) => codes.some((c) => held.has(c));
  return (
    any("ControlLeft", "ControlRight") &&
    held.has("AltLeft") &&
    !held.has("AltRight") &&
    any("ShiftLeft", "ShiftRight")
  );
}

/**
 * Keeps only the latest pointer position and sends it at most once per animation frame, and only
 * when it changed: a 1000 Hz mouse must not become 1000 frames a second on the wire.
 */
export class MoveCoalescer {
  /** @param {(p: object) => void} send  @param {(cb: () => void) => any} requestFrame */
  constructor(send, requestFrame = globalThis.requestAnimationFrame?.bind(globalThis)) {
    this.send = send;
    this.requestFrame = requestFrame;
    this.pending = null;
    this.last = null;
    this.scheduled = false;
  }

  move(x, y) {
    this.pending = { x, y };
    if (!this.scheduled) {
      this.scheduled = true;
      this.requestFrame(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Send the pending position now (before a button event, so the click lands where it should). */
  flush() {
    const p = this.pending;
    this.pending = null;
    if (p && (!this.last || p.x !== this.last.x || p.y !== this.last.y)) {
      this.last = p;
      this.send(pointerMove(p.x, p.y));
    }
  }

  /** Forget the last sent position (after a reconnect, the sharer may have moved). */
  reset() {
    this.pending = null;
    this.last = null;
  }
}

/** Pointer and wheel events on `element` -> input payloads over the remote canvas. */
export class PointerInput {
  /**
   * @param {{element: HTMLElement, canvas: HTMLCanvasElement, send: (p: object) => void,
   *          enabled: () => boolean, requestFrame?: (cb: () => void) => any}} options
   */
  constructor({ element, canvas, send, enabled, requestFrame }) {
    this.element = element;
    this.canvas = canvas;
    this.send = send;
    this.enabled = enabled;
    this.moves = new MoveCoalescer(send, requestFrame);
    this.wheel = new WheelAccumulator();
    this.buttons = new Set();
    this.handlers = {
      pointermove: (e) => this.onMove(e),
      pointerdown: (e) => this.onButton(e, true),
      pointerup: (e) => this.onButton(e, false),
      pointercancel: () => this.cancel(),
      wheel: (e) => this.onWheel(e),
      contextmenu: (e) => this.enabled() && e.preventDefault(),
    };
  }

  attach() {
    for (const [type, fn] of Object.entries(this.handlers)) {
      this.element.addEventListener(type, fn, { passive: false });
    }
  }

  detach() {
    for (const [type, fn] of Object.entries(this.handlers)) this.element.removeEventListener(type, fn);
  }

  remote(e) {
    const rect = this.canvas.getBoundingClientRect();
    return clientToRemote(e.clientX, e.clientY, rect, this.canvas.width, this.canvas.height);
  }

  onMove(e) {
    if (!this.enabled()) return;
    const { x, y } = this.remote(e);
    this.moves.move(x, y);
  }

  onButton(e, down) {
    if (!this.enabled() || e.button < 0 || e.button > 2) return;
    e.preventDefault();
    const { x, y } = this.remote(e);
    this.moves.move(x, y);
    this.moves.flush();
    if (down) {
      this.buttons.add(e.button);
      this.element.setPointerCapture?.(e.pointerId);
    } else {
      if (!this.buttons.has(e.button)) return;
      this.buttons.delete(e.button);
    }
    this.send(pointerButton(e.button, down, x, y));
  }

  onWheel(e) {
    if (!this.enabled()) return;
    e.preventDefault();
    const { dx, dy } = this.wheel.add(e.deltaX, e.deltaY, e.deltaMode);
    if (dx || dy) {
      this.moves.flush();
      this.send(wheel(dx, dy));
    }
  }

  /** Forget held buttons (the caller sends release_all). */
  cancel() {
    this.buttons.clear();
    this.wheel.reset();
  }
}

/** Keyboard events on `element` -> key payloads; everything is captured (preventDefault). */
export class KeyboardInput {
  /**
   * @param {{element: HTMLElement, send: (p: object) => void, enabled: () => boolean,
   *          onReleaseChord?: () => void}} options
   */
  constructor({ element, send, enabled, onReleaseChord = () => {} }) {
    this.element = element;
    this.send = send;
    this.enabled = enabled;
    this.onReleaseChord = onReleaseChord;
    /** Codes of the keys held down in the viewer now. */
    this.held = new Set();
    this.handlers = {
      keydown: (e) => this.onKey(e, true),
      keyup: (e) => this.onKey(e, false),
      blur: () => this.held.clear(),
    };
  }

  attach() {
    for (const [type, fn] of Object.entries(this.handlers)) this.element.addEventListener(type, fn);
  }

  detach() {
    for (const [type, fn] of Object.entries(this.handlers)) this.element.removeEventListener(type, fn);
  }

  onKey(e, down) {
    if (!this.enabled() || e.isComposing) return;
    e.preventDefault();
    e.stopPropagation();
    if (down) this.held.add(e.code);
    else this.held.delete(e.code);
    if (down && isReleaseChord(this.held)) {
      this.held.clear();
      this.send(releaseAll());
      this.onReleaseChord();
      return;
    }
    this.send(keyPayload(e, down));
  }
}

export { releaseAll };
