/**
 * JSON payloads of the frame kinds cursor, input, chat, annotation, clipboard and control-e2e
 * (the twin of protocol/payloads.py; docs/protocol.md section 5).
 *
 * Builders return plain objects with the tag `t` first and fields in wire order;
 * `encodePayload` gives UTF-8 bytes. `parsePayload(kind, bytes)` validates what the sharer sends,
 * with the same limits as the Python side, and throws MessageError otherwise.
 */

import { MessageError } from "./errors.js";
import { FrameKind } from "./frames.js";

// Limits (as protocol/payloads.py) -----------------------------------------------------------
export const MAX_PAYLOAD_BYTES = Object.freeze({
  [FrameKind.CURSOR]: 512 * 1024,
  [FrameKind.INPUT]: 1024,
  [FrameKind.CHAT]: 64 * 1024,
  [FrameKind.ANNOTATION]: 512 * 1024,
  [FrameKind.CLIPBOARD]: 1024 * 1024,
  [FrameKind.CONTROL_E2E]: 64 * 1024,
});
export const MAX_COORDINATE = 0xffff;
export const MAX_CURSOR_SIZE = 512;
export const MAX_WHEEL_NOTCHES = 50;
export const MAX_KEY_CODE = 32;
export const MAX_KEY_TEXT = 32;
export const MAX_CHAT_TEXT = 16 * 1024;
export const MAX_ID = 64;
export const MAX_STROKE_POINTS = 10_000;
export const MAX_STROKE_WIDTH = 200;
export const MAX_MONITORS = 64;
export const MAX_NAME = 128;
export const MAX_DRAW_MS = 60_000;

const KIND_NAMES = {
  [FrameKind.CURSOR]: "cursor",
  [FrameKind.INPUT]: "input",
  [FrameKind.CHAT]: "chat",
  [FrameKind.ANNOTATION]: "annotation",
  [FrameKind.CLIPBOARD]: "clipboard",
  [FrameKind.CONTROL_E2E]: "control",
};
const COLOR = /^#[0-9a-f]{6}$/;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

// Builders: input (kind 3) --------------------------------------------------------------------
export const pointerMove = (x, y) => ({ t: "move", x, y });
export const pointerButton = (button, down, x, y) => ({ t: "button", button, down, x, y });
export const wheel = (dx, dy) => ({ t: "wheel", dx, dy });
export const keyEvent = (code, key, down) => ({ t: "key", code, key, down });
export const releaseAll = () => ({ t: "release_all" });

// Builders: chat (kind 4), annotation (kind 5), clipboard (kind 6), control-e2e (kind 7) ------
export const chatMessage = (id, text, sentAt) => ({ id, text, sent_at: sentAt });
export const stroke = (id, color, width, points, done) => ({
  t: "stroke",
  id,
  color,
  width,
  points: points.map(([x, y]) => [x, y]),
  done,
});
export const laser = (x, y) => ({ t: "laser", x, y });
export const laserOff = () => ({ t: "laser_off" });
export const clearAnnotations = () => ({ t: "clear" });
export const clipboardText = (text) => ({ text });
export const selectMonitor = (id) => ({ t: "select_monitor", id });
/** Ask for a keyframe; `video` names the codecs this console decodes ("h264"; none: tiles). */
export const refresh = (video = []) => ({ t: "refresh", video: [...video] });
export const MAX_VIDEO_CODECS = 8;
export const MAX_CODEC_NAME = 16;
/** Done with every video frame up to `seq` (drawn or discarded); `drawMs` from arrival. */
export const frameDrawn = (seq, drawMs) => ({ t: "drawn", seq, draw_ms: drawMs });
export const QUALITY_MODES = Object.freeze(["auto", "sharp", "smooth"]);
export const qualityChoice = (mode) => ({ t: "quality", mode });

/** Canonical bytes of a payload: compact UTF-8 JSON. */
export function encodePayload(value) {
  return utf8Encoder.encode(JSON.stringify(value));
}

// Parsing --------------------------------------------------------------------------------------

/** Read the JSON payload of a frame of `kind`; anything malformed throws MessageError. */
export function parsePayload(kind, data) {
  const reader = READERS[kind];
  if (!reader) throw new MessageError(`Frames of kind ${kind} do not carry a JSON payload.`);
  return reader(load(kind, data));
}

function load(kind, data) {
  const what = KIND_NAMES[kind];
  const limit = MAX_PAYLOAD_BYTES[kind];
  if (data.length > limit) throw new MessageError(`A ${what} payload may be at most ${limit} bytes.`);
  let obj;
  try {
    obj = JSON.parse(utf8Decoder.decode(data));
  } catch {
    throw new MessageError(`A ${what} payload must be UTF-8 JSON.`);
  }
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new MessageError(`A ${what} payload must be a JSON object.`);
  }
  return new Fields(obj, what);
}

/** Characters as Python counts them (code points, not UTF-16 units). */
const codePoints = (s) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** Typed access to a JSON object's fields; every failure is a MessageError sentence. */
class Fields {
  constructor(obj, what) {
    this.obj = obj;
    this.what = what;
  }

  get(name) {
    if (!Object.hasOwn(this.obj, name)) {
      throw new MessageError(`The ${this.what} payload needs a "${name}" field.`);
    }
    return this.obj[name];
  }

  bad(name, expected) {
    return new MessageError(`The field "${name}" of the ${this.what} payload must be ${expected}.`);
  }

  integer(name, low, high) {
    const v = this.get(name);
    if (!Number.isInteger(v) || v < low || v > high) {
      throw this.bad(name, `an integer from ${low} to ${high}`);
    }
    return v;
  }

  number(name, low, high) {
    const v = this.get(name);
    if (typeof v !== "number" || !Number.isFinite(v) || v < low || v > high) {
      throw this.bad(name, `a number from ${low} to ${high}`);
    }
    return v;
  }

  boolean(name) {
    const v = this.get(name);
    if (typeof v !== "boolean") throw this.bad(name, "true or false");
    return v;
  }

  text(name, maxLength, { allowEmpty = true } = {}) {
    const v = this.get(name);
    if (typeof v !== "string" || codePoints(v) > maxLength || (!v && !allowEmpty)) {
      throw this.bad(name, `a string of at most ${maxLength} characters`);
    }
    return v;
  }

  tag() {
    return this.text("t", 32);
  }

  nested(name) {
    const v = this.get(name);
    if (v === null) return null;
    if (typeof v !== "object" || Array.isArray(v)) throw this.bad(name, "an object or null");
    return new Fields(v, this.what);
  }

  array(name, maxItems) {
    const v = this.get(name);
    if (!Array.isArray(v) || v.length > maxItems) {
      throw this.bad(name, `a list of at most ${maxItems} items`);
    }
    return v;
  }
}

function decodeBase64(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new MessageError('The cursor "png" must be base64.');
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function readCursor(f) {
  const x = f.integer("x", -MAX_COORDINATE, MAX_COORDINATE);
  const y = f.integer("y", -MAX_COORDINATE, MAX_COORDINATE);
  const visible = f.boolean("visible");
  const s = f.nested("shape");
  let shape = null;
  if (s !== null) {
    const png = decodeBase64(s.text("png", MAX_PAYLOAD_BYTES[FrameKind.CURSOR], { allowEmpty: false }));
    if (png.length < 8 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) {
      throw new MessageError('The cursor "png" must be a PNG image.');
    }
    const width = s.integer("width", 1, MAX_CURSOR_SIZE);
    const height = s.integer("height", 1, MAX_CURSOR_SIZE);
    shape = {
      png,
      hotspot_x: s.integer("hotspot_x", 0, width - 1),
      hotspot_y: s.integer("hotspot_y", 0, height - 1),
      width,
      height,
    };
  }
  return { x, y, visible, shape };
}

function readInput(f) {
  const t = f.tag();
  if (t === "move") {
    return pointerMove(f.integer("x", 0, MAX_COORDINATE), f.integer("y", 0, MAX_COORDINATE));
  }
  if (t === "button") {
    return pointerButton(
      f.integer("button", 0, 2),
      f.boolean("down"),
      f.integer("x", 0, MAX_COORDINATE),
      f.integer("y", 0, MAX_COORDINATE),
    );
  }
  if (t === "wheel") {
    return wheel(
      f.integer("dx", -MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES),
      f.integer("dy", -MAX_WHEEL_NOTCHES, MAX_WHEEL_NOTCHES),
    );
  }
  if (t === "key") {
    return keyEvent(f.text("code", MAX_KEY_CODE), f.text("key", MAX_KEY_TEXT), f.boolean("down"));
  }
  if (t === "release_all") return releaseAll();
  throw new MessageError(`Unknown input event "${t}".`);
}

function readChat(f) {
  return chatMessage(
    f.text("id", MAX_ID, { allowEmpty: false }),
    f.text("text", MAX_CHAT_TEXT),
    f.integer("sent_at", 0, Number.MAX_SAFE_INTEGER),
  );
}

function pointCoordinate(v) {
  if (typeof v !== "number" || !Number.isFinite(v) || v < -MAX_COORDINATE || v > MAX_COORDINATE) {
    throw new MessageError("Stroke points must be numbers within the screen's range.");
  }
  return v;
}

function readAnnotation(f) {
  const t = f.tag();
  if (t === "stroke") {
    const color = f.text("color", 7);
    if (!COLOR.test(color)) {
      throw new MessageError('The stroke "color" must look like "#rrggbb" (lower case).');
    }
    const points = f.array("points", MAX_STROKE_POINTS).map((raw) => {
      if (!Array.isArray(raw) || raw.length !== 2) {
        throw new MessageError("Each stroke point must be a pair [x, y].");
      }
      return [pointCoordinate(raw[0]), pointCoordinate(raw[1])];
    });
    return stroke(
      f.text("id", MAX_ID, { allowEmpty: false }),
      color,
      f.number("width", 0.5, MAX_STROKE_WIDTH),
      points,
      f.boolean("done"),
    );
  }
  if (t === "laser") {
    return laser(
      f.number("x", -MAX_COORDINATE, MAX_COORDINATE),
      f.number("y", -MAX_COORDINATE, MAX_COORDINATE),
    );
  }
  if (t === "laser_off") return laserOff();
  if (t === "clear") return clearAnnotations();
  throw new MessageError(`Unknown annotation "${t}".`);
}

function readClipboard(f) {
  return clipboardText(f.text("text", MAX_PAYLOAD_BYTES[FrameKind.CLIPBOARD]));
}

function readControl(f) {
  const t = f.tag();
  if (t === "monitors") {
    const monitors = f.array("monitors", MAX_MONITORS).map((raw) => {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        throw new MessageError("Each monitor must be a JSON object.");
      }
      const m = new Fields(raw, "monitor");
      return {
        id: m.integer("id", 0, 0xffff),
        x: m.integer("x", -MAX_COORDINATE, MAX_COORDINATE),
        y: m.integer("y", -MAX_COORDINATE, MAX_COORDINATE),
        width: m.integer("width", 1, MAX_COORDINATE),
        height: m.integer("height", 1, MAX_COORDINATE),
        primary: m.boolean("primary"),
        name: m.text("name", MAX_NAME),
      };
    });
    const current = f.integer("current", 0, 0xffff);
    if (monitors.length && !monitors.some((m) => m.id === current)) {
      throw new MessageError('The "current" monitor must be one of the listed monitors.');
    }
    return { t: "monitors", monitors, current };
  }
  if (t === "select_monitor") return selectMonitor(f.integer("id", 0, 0xffff));
  if (t === "refresh") {
    if (!("video" in f.obj)) return refresh();
    const codecs = f.array("video", MAX_VIDEO_CODECS);
    if (!codecs.every((c) => typeof c === "string" && c.length > 0 && c.length <= MAX_CODEC_NAME)) {
      throw new MessageError(`Each video codec must be a name of 1 to ${MAX_CODEC_NAME} characters.`);
    }
    return refresh(codecs);
  }
  if (t === "drawn") return frameDrawn(f.integer("seq", 0, 2 ** 32 - 1), f.integer("draw_ms", 0, MAX_DRAW_MS));
  if (t === "quality") {
    const mode = f.text("mode", 16);
    if (!QUALITY_MODES.includes(mode)) {
      throw new MessageError(`The quality must be one of ${QUALITY_MODES.join(", ")}.`);
    }
    return qualityChoice(mode);
  }
  throw new MessageError(`Unknown control "${t}".`);
}

const READERS = {
  [FrameKind.CURSOR]: readCursor,
  [FrameKind.INPUT]: readInput,
  [FrameKind.CHAT]: readChat,
  [FrameKind.ANNOTATION]: readAnnotation,
  [FrameKind.CLIPBOARD]: readClipboard,
  [FrameKind.CONTROL_E2E]: readControl,
};
