/**
 * The binary frame: a fixed 10-byte little-endian header, then an opaque payload
 * (the twin of protocol/frames.py; docs/protocol.md section 5).
 *
 *     offset size field
 *     0      1    version      (FRAME_VERSION, 2)
 *     1      1    kind | flags << 4   (FrameKind in the low 4 bits, FrameFlags in the high 4)
 *     2      4    sequence     per-sender counter, wraps at 2**32
 *     6      4    timestamp    capture time, milliseconds since the Unix epoch mod 2**32 (0: none)
 *
 * Every frame is one whole WebSocket message: the payload is the rest of it, its length is not
 * written again. The timestamp wraps every 49.7 days; `unwrapTimestampMs` reads it as the instant
 * nearest this machine's clock (it only feeds the latency guide).
 */

import { FrameError, OversizedFrame, TruncatedFrame } from "./errors.js";

export const FRAME_VERSION = 2;
export const HEADER_SIZE = 10;
/** Default payload limit, as protocol/frames.py: 4 MiB. */
export const DEFAULT_MAX_PAYLOAD = 4 * 1024 * 1024;

export const FrameKind = Object.freeze({
  VIDEO: 1,
  CURSOR: 2,
  INPUT: 3,
  CHAT: 4,
  ANNOTATION: 5,
  CLIPBOARD: 6,
  CONTROL_E2E: 7,
});

export const FrameFlags = Object.freeze({ NONE: 0, KEYFRAME: 1, ENCRYPTED: 2 });

const KNOWN_KINDS = new Set(Object.values(FrameKind));
const KNOWN_FLAGS = FrameFlags.KEYFRAME | FrameFlags.ENCRYPTED;
const KIND_BITS = 0x0f;
const FLAGS_SHIFT = 4;
const U32 = 2 ** 32;

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("A frame must be an ArrayBuffer or a Uint8Array.");
}

/** The header's timestamp for a capture at `epochMs` (milliseconds since the epoch). */
export function wrapTimestampMs(epochMs) {
  return ((Math.floor(epochMs) % U32) + U32) % U32;
}

/**
 * The instant (ms since the epoch) a header's timestamp names: of those it can name, the one
 * nearest `nowMs`, this machine's clock. 0 stays 0 (no timestamp).
 */
export function unwrapTimestampMs(timestampMs, nowMs) {
  if (!timestampMs) return 0;
  const now = Math.floor(nowMs);
  return now + ((((timestampMs - now + U32 / 2) % U32) + U32) % U32) - U32 / 2;
}

/**
 * The 10 header bytes for `{kind, flags, sequence, timestampMs}`: what goes on the wire, and the
 * additional data of every sealed frame (e2e.js).
 * @returns {Uint8Array}
 */
export function encodeHeader({ kind, flags = FrameFlags.NONE, sequence = 0, timestampMs = 0 }) {
  if (!KNOWN_KINDS.has(kind)) throw new FrameError(`Unknown frame kind ${kind}.`);
  if (flags & ~KNOWN_FLAGS) throw new FrameError(`Unknown frame flags 0x${flags.toString(16)}.`);
  if (!(Number.isInteger(timestampMs) && timestampMs >= 0 && timestampMs < U32)) {
    throw new FrameError("A frame timestamp must fit in 32 bits (wrapTimestampMs).");
  }
  const out = new Uint8Array(HEADER_SIZE);
  const view = new DataView(out.buffer);
  view.setUint8(0, FRAME_VERSION);
  view.setUint8(1, kind | (flags << FLAGS_SHIFT));
  view.setUint32(2, ((sequence % U32) + U32) % U32, true);
  view.setUint32(6, timestampMs, true);
  return out;
}

/**
 * Header plus payload, ready for one binary WebSocket message.
 * @param {number} kind a FrameKind
 * @param {Uint8Array} payload
 * @param {{sequence?: number, timestampMs?: number, flags?: number, maxPayload?: number}} [options]
 * @returns {Uint8Array}
 */
export function encodeFrame(kind, payload, options = {}) {
  const { sequence = 0, timestampMs = 0, flags = FrameFlags.NONE } = options;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const body = asBytes(payload);
  if (body.length > maxPayload) {
    throw new OversizedFrame(
      `A frame payload may be at most ${maxPayload} bytes; this one is ${body.length}.`,
    );
  }
  const out = new Uint8Array(HEADER_SIZE + body.length);
  out.set(encodeHeader({ kind, flags, sequence, timestampMs }));
  out.set(body, HEADER_SIZE);
  return out;
}

/**
 * Read the header at the start of `data` (the payload may follow). Checks version, kind and flags.
 * @returns {{version: number, kind: number, flags: number, sequence: number, timestampMs: number}}
 */
export function parseHeaderOnly(data) {
  const bytes = asBytes(data);
  if (bytes.length < 1) throw new TruncatedFrame("A frame cannot be empty.");
  const version = bytes[0];
  if (version !== FRAME_VERSION) {
    throw new FrameError(
      `Frame version ${version} is not supported (this side speaks ${FRAME_VERSION}). ` +
        "Update the app.",
    );
  }
  if (bytes.length < HEADER_SIZE) {
    throw new TruncatedFrame(
      `A frame must start with a ${HEADER_SIZE}-byte header; got ${bytes.length} bytes.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const kind = view.getUint8(1) & KIND_BITS;
  const flags = view.getUint8(1) >> FLAGS_SHIFT;
  if (!KNOWN_KINDS.has(kind)) throw new FrameError(`Unknown frame kind ${kind}.`);
  if (flags & ~KNOWN_FLAGS) {
    throw new FrameError(`Unknown frame flags 0x${flags.toString(16)}.`);
  }
  return {
    version,
    kind,
    flags,
    sequence: view.getUint32(2, true),
    timestampMs: view.getUint32(6, true),
  };
}

/**
 * Validate a whole binary message (its size included) and return its header only.
 */
export function parseHeader(data, { maxPayload = DEFAULT_MAX_PAYLOAD } = {}) {
  const bytes = asBytes(data);
  const header = parseHeaderOnly(bytes);
  const length = bytes.length - HEADER_SIZE;
  if (length > maxPayload) {
    throw new OversizedFrame(
      `A frame payload may be at most ${maxPayload} bytes; this one has ${length}.`,
    );
  }
  return header;
}

/**
 * Parse one whole binary message: the header, and the rest as the payload.
 * The payload is a view into `data`, not a copy.
 * @returns {{header: ReturnType<typeof parseHeaderOnly>, payload: Uint8Array}}
 */
export function decodeFrame(data, options = {}) {
  const bytes = asBytes(data);
  const header = parseHeader(bytes, options);
  return { header, payload: bytes.subarray(HEADER_SIZE) };
}
