/**
 * The binary frame: a fixed 20-byte little-endian header, then an opaque payload
 * (the twin of protocol/frames.py; docs/protocol.md section 5).
 *
 *     offset size field
 *     0      1    version      (FRAME_VERSION)
 *     1      1    kind         (FrameKind)
 *     2      1    flags        (FrameFlags)
 *     3      1    reserved     (0)
 *     4      4    sequence     per-sender counter, wraps at 2**32
 *     8      8    timestamp    capture time, microseconds since the Unix epoch (0 if none)
 *     16     4    length       payload length in bytes
 *
 * Timestamps are returned as Numbers (exact up to 2**53 us, i.e. until the year 2255); a larger
 * value comes back as a BigInt so nothing is silently rounded.
 */

import { FrameError, OversizedFrame, TruncatedFrame } from "./errors.js";

export const FRAME_VERSION = 1;
export const HEADER_SIZE = 20;
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
const U32 = 2 ** 32;

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("A frame must be an ArrayBuffer or a Uint8Array.");
}

/**
 * Header plus payload, ready for one binary WebSocket message.
 * @param {number} kind a FrameKind
 * @param {Uint8Array} payload
 * @param {{sequence?: number, timestampUs?: number|bigint, flags?: number, maxPayload?: number}} [options]
 * @returns {Uint8Array}
 */
export function encodeFrame(kind, payload, options = {}) {
  const { sequence = 0, timestampUs = 0, flags = FrameFlags.NONE } = options;
  const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
  const body = asBytes(payload);
  if (body.length > maxPayload) {
    throw new OversizedFrame(
      `A frame payload may be at most ${maxPayload} bytes; this one is ${body.length}.`,
    );
  }
  const out = new Uint8Array(HEADER_SIZE + body.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, FRAME_VERSION);
  view.setUint8(1, kind);
  view.setUint8(2, flags);
  view.setUint8(3, 0);
  view.setUint32(4, ((sequence % U32) + U32) % U32, true);
  view.setBigUint64(8, BigInt(timestampUs), true);
  view.setUint32(16, body.length, true);
  out.set(body, HEADER_SIZE);
  return out;
}

/**
 * Read the header at the start of `data` (the payload may follow). Checks version, kind and flags.
 * @returns {{version: number, kind: number, flags: number, sequence: number,
 *            timestampUs: number|bigint, length: number}}
 */
export function parseHeaderOnly(data) {
  const bytes = asBytes(data);
  if (bytes.length < HEADER_SIZE) {
    throw new TruncatedFrame(
      `A frame must start with a ${HEADER_SIZE}-byte header; got ${bytes.length} bytes.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const version = view.getUint8(0);
  const kind = view.getUint8(1);
  const flags = view.getUint8(2);
  if (version !== FRAME_VERSION) {
    throw new FrameError(
      `Frame version ${version} is not supported (this side speaks ${FRAME_VERSION}). ` +
        "Update the app.",
    );
  }
  if (!KNOWN_KINDS.has(kind)) throw new FrameError(`Unknown frame kind ${kind}.`);
  if (flags & ~KNOWN_FLAGS) {
    throw new FrameError(`Unknown frame flags 0x${flags.toString(16)}.`);
  }
  const big = view.getBigUint64(8, true);
  const timestampUs = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  return {
    version,
    kind,
    flags,
    sequence: view.getUint32(4, true),
    timestampUs,
    length: view.getUint32(16, true),
  };
}

/**
 * Validate a whole binary message (sizes included) and return its header only.
 */
export function parseHeader(data, { maxPayload = DEFAULT_MAX_PAYLOAD } = {}) {
  const bytes = asBytes(data);
  const header = parseHeaderOnly(bytes);
  if (header.length > maxPayload) {
    throw new OversizedFrame(
      `A frame payload may be at most ${maxPayload} bytes; this one says ${header.length}.`,
    );
  }
  const actual = bytes.length - HEADER_SIZE;
  if (actual < header.length) {
    throw new TruncatedFrame(
      `The frame announces ${header.length} payload bytes but carries ${actual}.`,
    );
  }
  if (actual > header.length) {
    throw new FrameError(
      `The frame announces ${header.length} payload bytes but carries ${actual}.`,
    );
  }
  return header;
}

/**
 * Parse one whole binary message: exactly a header and the payload it announces.
 * The payload is a view into `data`, not a copy.
 * @returns {{header: ReturnType<typeof parseHeaderOnly>, payload: Uint8Array}}
 */
export function decodeFrame(data, options = {}) {
  const bytes = asBytes(data);
  const header = parseHeader(bytes, options);
  return { header, payload: bytes.subarray(HEADER_SIZE) };
}
