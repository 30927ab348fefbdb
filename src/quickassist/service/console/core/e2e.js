/**
 * End-to-end encryption between this console and the sharer app, with WebCrypto
 * (the twin of protocol/e2e.py; docs/protocol.md section 6). The relay only ever routes
 * ciphertext: it holds no key.
 *
 * Handshake, in clear control-e2e frames (the only clear ones):
 *   helper -> sharer  {"t":"e2e_commit","v":1,"curve":C,"commit":b64(SHA-256(L || H))}
 *   sharer -> helper  {"t":"e2e_key","v":1,"curve":C,"key":b64(S)}
 *   helper -> sharer  {"t":"e2e_reveal","v":1,"key":b64(H)}
 * then HKDF-SHA256 over the ECDH secret and the previous handshake's resume secret R (empty the
 * first time; salt = SHA-256 of the length-prefixed transcript) gives one AES-256-GCM key per
 * direction ("h2s", "s2h"), the 6-digit check string ("check") and the next R ("resume"). R ties
 * every reconnect's handshake to the first one, whose digits the people compared.
 *
 * Sealed frame payload (version 2): AES-GCM(nonce = 4 zero bytes || counter (8 bytes, big-endian),
 * inner payload, additional data = the 10-byte clear header): the inner payload and a 16-byte
 * tag. The counter is the header's 32-bit sequence extended across its wraps: the sender's only
 * goes up (a sequence that does not move forward is taken in the next wrap), the receiver takes
 * the one nearest the newest it accepted. The kind is authenticated in the header.
 *
 *     E2EError (a ProtocolError)
 *     ├── HandshakeFailed    bad key, bad commitment, bad message
 *     └── FrameRejected      forged, replayed, too old or mislabelled frame
 */

import { ProtocolError } from "./errors.js";
import { FrameFlags, encodeHeader } from "./frames.js";

export const E2E_VERSION = 2;
/** Best first: X25519 where this browser has it, P-256 everywhere else. */
export const CURVES = Object.freeze(["X25519", "P-256"]);
export const REPLAY_WINDOW = 64;
export const HANDSHAKE_TAGS = Object.freeze(["e2e_commit", "e2e_key", "e2e_reveal"]);
const COMMIT_LABEL = new TextEncoder().encode("quickassist e2e commit v2");
const TRANSCRIPT_LABEL = new TextEncoder().encode("quickassist e2e v2");
const PUBLIC_SIZES = { X25519: 32, "P-256": 65 };
const TAG_BYTES = 16;
/** Bytes a sealed payload adds: the GCM tag (the counter is the header's sequence). */
export const OVERHEAD = TAG_BYTES;
const SEQUENCE_SPAN = 2n ** 32n;

export class E2EError extends ProtocolError {
  get code() {
    return "security_error";
  }
}

export class HandshakeFailed extends E2EError {
  get code() {
    return "handshake_failed";
  }
}

export class FrameRejected extends E2EError {
  get code() {
    return "frame_rejected";
  }
}

const subtle = () => globalThis.crypto.subtle;
const encoder = new TextEncoder();

function algorithm(curve) {
  return curve === "X25519" ? { name: "X25519" } : { name: "ECDH", namedCurve: "P-256" };
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function toBase64(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text, bad) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) throw bad;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    throw bad;
  }
}

// Keys ---------------------------------------------------------------------------------------

/** The best curve this browser supports: X25519 if it can make a key, else P-256. */
export async function pickCurve() {
  try {
    await subtle().generateKey(algorithm("X25519"), false, ["deriveBits"]);
    return "X25519";
  } catch {
    return "P-256";
  }
}

/** A fresh ephemeral key pair; the private key cannot be exported. */
export async function generateKeyPair(curve) {
  return subtle().generateKey(algorithm(curve), false, ["deriveBits"]);
}

/** A fixed key pair from a private JWK (only the tests need this: they replay the vectors). */
export async function importKeyPair(curve, jwk) {
  const privateKey = await subtle().importKey("jwk", jwk, algorithm(curve), false, ["deriveBits"]);
  const { d: _d, ...pub } = jwk;
  const publicKey = await subtle().importKey("jwk", { ...pub, key_ops: [] }, algorithm(curve), true, []);
  return { privateKey, publicKey };
}

async function exportPublic(publicKey) {
  return new Uint8Array(await subtle().exportKey("raw", publicKey));
}

async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

/** SHA-256 over the commit label and the helper's public key. */
export function commitment(helperPublic) {
  return sha256(concat(COMMIT_LABEL, helperPublic));
}

/** Every handshake value, each prefixed by its 4-byte big-endian length. */
export function transcript(sessionId, curve, commit, sharerPublic, helperPublic) {
  const parts = [TRANSCRIPT_LABEL, encoder.encode(sessionId), encoder.encode(curve), commit, sharerPublic, helperPublic];
  return concat(
    ...parts.flatMap((part) => {
      const length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, part.length);
      return [length, part];
    }),
  );
}

/** 123456 -> "123 456". */
export function formatCheck(number) {
  const digits = String(number).padStart(6, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/** Raw direction keys, check string and next resume secret from the ECDH secret and transcript. */
export async function deriveSecrets(shared, transcriptBytes, resume = new Uint8Array(0)) {
  const salt = await sha256(transcriptBytes);
  const ikm = await subtle().importKey("raw", concat(shared, resume), "HKDF", false, ["deriveBits"]);
  const hkdf = async (info, bytes) =>
    new Uint8Array(
      await subtle().deriveBits({ name: "HKDF", hash: "SHA-256", salt, info: encoder.encode(info) }, ikm, bytes * 8),
    );
  const check = new DataView((await hkdf("check", 4)).buffer).getUint32(0) % 1_000_000;
  return {
    h2s: await hkdf("h2s", 32),
    s2h: await hkdf("s2h", 32),
    check: formatCheck(check),
    resume: await hkdf("resume", 32),
  };
}

// Handshake messages --------------------------------------------------------------------------

/** Whether a clear control-e2e payload is a handshake message (it may still be malformed). */
export function isHandshake(payload) {
  try {
    return HANDSHAKE_TAGS.includes(JSON.parse(new TextDecoder().decode(payload))?.t);
  } catch {
    return false;
  }
}

/** A checked handshake message: {t, curve?, commit?, key?} with byte fields as Uint8Arrays. */
export function parseHandshake(payload) {
  const bad = new HandshakeFailed("The other side sent a malformed encryption handshake.");
  let data;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    throw bad;
  }
  if (!data || typeof data !== "object" || data.v !== E2E_VERSION) throw bad;
  if (data.t === "e2e_reveal") return { t: data.t, key: fromBase64(data.key, bad) };
  if (!CURVES.includes(data.curve)) throw bad;
  if (data.t === "e2e_commit") {
    const commit = fromBase64(data.commit, bad);
    if (commit.length !== 32) throw bad;
    return { t: data.t, curve: data.curve, commit };
  }
  if (data.t === "e2e_key") {
    const key = fromBase64(data.key, bad);
    if (key.length !== PUBLIC_SIZES[data.curve]) throw bad;
    return { t: data.t, curve: data.curve, key };
  }
  throw bad;
}

function encodeJson(object) {
  return encoder.encode(JSON.stringify(object));
}

// The helper's side of the handshake -----------------------------------------------------------

export class HelperHandshake {
  /**
   * A handshake with a fresh key pair (or a given one, for the vectors).
   * @param {string} sessionId
   * @param {{curve?: string, keyPair?: CryptoKeyPair, resume?: Uint8Array}} [options]
   *   resume: the secret the session's previous handshake left (none the first time)
   */
  static async create(sessionId, { curve, keyPair, resume = new Uint8Array(0) } = {}) {
    const chosen = curve ?? (await pickCurve());
    const pair = keyPair ?? (await generateKeyPair(chosen));
    const publicRaw = await exportPublic(pair.publicKey);
    return new HelperHandshake(sessionId, chosen, pair.privateKey, publicRaw, await commitment(publicRaw), resume);
  }

  constructor(sessionId, curve, privateKey, publicRaw, commit, resume) {
    this.resume = resume;
    this.sessionId = sessionId;
    this.curve = curve;
    this.privateKey = privateKey;
    this.publicRaw = publicRaw;
    this.commit = commit;
  }

  /** The first message: the commitment. */
  commitMessage() {
    return encodeJson({ t: "e2e_commit", v: E2E_VERSION, curve: this.curve, commit: toBase64(this.commit) });
  }

  /**
   * The sharer's key arrived: the reveal to send and the session's secrets.
   * @returns {Promise<{reveal: Uint8Array,
   *                    secrets: {h2s: Uint8Array, s2h: Uint8Array, check: string, resume: Uint8Array}}>}
   */
  async onKey(payload) {
    const offer = parseHandshake(payload);
    if (offer.t !== "e2e_key") throw new HandshakeFailed("The other side sent an unexpected handshake message.");
    if (offer.curve !== this.curve) throw new HandshakeFailed("The other side answered with a different curve.");
    let shared;
    try {
      if (this.curve === "P-256" && offer.key[0] !== 4) throw new Error("compressed");
      const peer = await subtle().importKey("raw", offer.key, algorithm(this.curve), false, []);
      const name = this.curve === "X25519" ? "X25519" : "ECDH";
      shared = new Uint8Array(await subtle().deriveBits({ name, public: peer }, this.privateKey, 256));
    } catch {
      throw new HandshakeFailed("The other side sent an unusable encryption key.");
    }
    if (shared.every((b) => b === 0)) throw new HandshakeFailed("The other side sent an unusable encryption key.");
    const script = transcript(this.sessionId, this.curve, this.commit, offer.key, this.publicRaw);
    const secrets = await deriveSecrets(shared, script, this.resume);
    const reveal = encodeJson({ t: "e2e_reveal", v: E2E_VERSION, key: toBase64(this.publicRaw) });
    this.privateKey = null; // used once
    return { reveal, secrets };
  }
}

// Sealed frames --------------------------------------------------------------------------------

/**
 * The header as it goes on the wire: the additional data of every sealed frame (the payload's
 * length, the message's less the header, is authenticated by GCM itself).
 */
export const headerBytes = encodeHeader;

export function nonce(counter) {
  const out = new Uint8Array(12);
  new DataView(out.buffer).setBigUint64(4, BigInt(counter));
  return out;
}

async function aesKey(raw) {
  return subtle().importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** Both directions for the helper's side of a secured session. Keys are not extractable. */
export class SecureChannel {
  /** @param {{h2s: Uint8Array, s2h: Uint8Array, check: string}} secrets */
  static async create(secrets, { helper = true, window = REPLAY_WINDOW } = {}) {
    const send = await aesKey(helper ? secrets.h2s : secrets.s2h);
    const receive = await aesKey(helper ? secrets.s2h : secrets.h2s);
    return new SecureChannel(send, receive, secrets.check, window);
  }

  constructor(sendKey, receiveKey, check, window) {
    this.sendKey = sendKey;
    this.receiveKey = receiveKey;
    this.check = check;
    this.window = BigInt(window);
    this.counter = 0n;
    this.highest = 0n;
    this.seen = 0n; // bit i: counter `highest - i` was accepted
    this.rejected = 0;
  }

  /**
   * The whole binary message for `payload` of `kind`: clear header (ENCRYPTED set), sealed body.
   * The counter is taken before the first await, so no two calls ever share one.
   */
  async seal(kind, payload, { sequence, timestampMs = 0, flags = 0 } = {}) {
    let counter = this.counter + 1n;
    if (sequence !== undefined) {
      counter += (((BigInt(sequence) - counter) % SEQUENCE_SPAN) + SEQUENCE_SPAN) % SEQUENCE_SPAN;
    }
    if (counter >= 2n ** 64n) throw new FrameRejected("This connection's encryption counter is exhausted.");
    this.counter = counter;
    const header = headerBytes({
      kind,
      flags: flags | FrameFlags.ENCRYPTED,
      sequence: Number(counter % SEQUENCE_SPAN),
      timestampMs,
    });
    const sealed = new Uint8Array(
      await subtle().encrypt({ name: "AES-GCM", iv: nonce(counter), additionalData: header }, this.sendKey, payload),
    );
    return concat(header, sealed);
  }

  /**
   * The inner frame `{header, payload}` (ENCRYPTED cleared) of a decoded frame, or FrameRejected
   * (counted in `rejected`).
   */
  async open({ header, payload }) {
    try {
      return await this.openOnce(header, payload);
    } catch (error) {
      this.rejected += 1;
      if (error instanceof FrameRejected) throw error;
      throw new FrameRejected("A frame was changed on its way.");
    }
  }

  async openOnce(header, payload) {
    if (!(header.flags & FrameFlags.ENCRYPTED)) throw new FrameRejected("A frame arrived unencrypted.");
    if (payload.length < OVERHEAD) throw new FrameRejected("An encrypted frame is too short.");
    const counter = this.extend(header.sequence);
    if (counter === 0n || !this.fresh(counter)) throw new FrameRejected("A frame arrived twice or too late.");
    const body = new Uint8Array(
      await subtle().decrypt(
        { name: "AES-GCM", iv: nonce(counter), additionalData: headerBytes(header) },
        this.receiveKey,
        payload,
      ),
    );
    // Again after the await: two copies decrypting at once must not both pass.
    if (!this.fresh(counter)) throw new FrameRejected("A frame arrived twice or too late.");
    this.mark(counter);
    return { header: { ...header, flags: header.flags & ~FrameFlags.ENCRYPTED }, payload: body };
  }

  /** The counter a 32-bit sequence stands for: the one nearest the newest accepted (never 0). */
  extend(sequence) {
    const base = this.highest - (this.highest % SEQUENCE_SPAN) + BigInt(sequence);
    let best = 0n;
    for (const candidate of [base - SEQUENCE_SPAN, base, base + SEQUENCE_SPAN]) {
      if (candidate <= 0n) continue;
      const distance = (c) => (c > this.highest ? c - this.highest : this.highest - c);
      if (best === 0n || distance(candidate) < distance(best)) best = candidate;
    }
    return best;
  }

  fresh(counter) {
    if (counter > this.highest) return true;
    const behind = this.highest - counter;
    return behind < this.window && ((this.seen >> behind) & 1n) === 0n;
  }

  mark(counter) {
    const mask = (1n << this.window) - 1n;
    if (counter > this.highest) {
      // (A jump past the window forgets it all: shifting by it would exceed BigInt's size.)
      const shift = counter - this.highest < this.window ? counter - this.highest : this.window;
      this.seen = ((this.seen << shift) | 1n) & mask;
      this.highest = counter;
    } else {
      this.seen |= 1n << (this.highest - counter);
    }
  }
}
