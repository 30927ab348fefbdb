/**
 * The sharer's end of the end-to-end encryption, for the browser sharer (/share): the twin of
 * protocol/secure_link.py, built on the console's e2e.js (one implementation of the handshake's
 * arithmetic and of sealed frames in the browser; docs/protocol.md section 6).
 *
 * The helper starts every handshake with a commit; this side answers each new commit with a
 * fresh key pair (so keys are renewed on every reconnect), checks the reveal against the
 * commitment, and derives the same secrets as the helper. A repeated commit (the helper sends
 * it every second until a key comes) gets the same answer; a late copy of the commit that just
 * completed changes nothing. No I/O: the page's connection feeds it payloads and sends what it
 * returns.
 */

import {
  commitment,
  deriveSecrets,
  E2E_VERSION,
  FrameRejected,
  generateKeyPair,
  HandshakeFailed,
  isHandshake,
  parseHandshake,
  SecureChannel,
  toBase64,
  transcript,
} from "./e2e.js";
import { FrameKind, encodeFrame } from "./frames.js";
import { MAX_REJECTIONS, SealedLink } from "./sealed-link.js";

export { FrameRejected, HandshakeFailed, isHandshake, MAX_REJECTIONS };

const subtle = () => globalThis.crypto.subtle;
const UNUSABLE = "The other side sent an unusable encryption key.";

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** The ECDH secret of `privateKey` with the peer's raw public key (P-256: the x coordinate). */
async function sharedSecret(curve, privateKey, peerRaw) {
  try {
    if (curve === "P-256" && peerRaw[0] !== 4) throw new Error("compressed");
    const algorithm = curve === "X25519" ? { name: "X25519" } : { name: "ECDH", namedCurve: "P-256" };
    const peer = await subtle().importKey("raw", peerRaw, algorithm, false, []);
    const bits = await subtle().deriveBits({ name: algorithm.name, public: peer }, privateKey, 256);
    const shared = new Uint8Array(bits);
    // X25519 with a low-order point gives all zeros: refused, as cryptography does.
    if (shared.every((b) => b === 0)) throw new Error("low order");
    return shared;
  } catch {
    throw new HandshakeFailed(UNUSABLE);
  }
}

export class SharerHandshake {
  /**
   * The answer to one commit: a fresh key pair (or a given one, for the vectors).
   * @param {string} sessionId
   * @param {{curve: string, commit: Uint8Array}} commit the parsed commit message
   * @param {{keyPair?: CryptoKeyPair, resume?: Uint8Array}} [options]
   */
  static async create(sessionId, commit, { keyPair, resume = new Uint8Array(0) } = {}) {
    const pair = keyPair ?? (await generateKeyPair(commit.curve));
    const publicRaw = new Uint8Array(await subtle().exportKey("raw", pair.publicKey));
    return new SharerHandshake(sessionId, commit, pair.privateKey, publicRaw, resume);
  }

  constructor(sessionId, commit, privateKey, publicRaw, resume) {
    this.sessionId = sessionId;
    this.commit = commit;
    this.privateKey = privateKey;
    this.publicRaw = publicRaw;
    this.resume = resume;
  }

  /** The key offer, the one message this side sends in the clear. */
  offerMessage() {
    const offer = { t: "e2e_key", v: E2E_VERSION, curve: this.commit.curve, key: toBase64(this.publicRaw) };
    return new TextEncoder().encode(JSON.stringify(offer));
  }

  /**
   * The helper's reveal: checked against its commitment, then the session's secrets
   * `{h2s, s2h, check, resume}`. Throws HandshakeFailed.
   */
  async onReveal(reveal) {
    if (!sameBytes(await commitment(reveal.key), this.commit.commit)) {
      throw new HandshakeFailed("The helper's key does not match what it committed to.");
    }
    const curve = this.commit.curve;
    const shared = await sharedSecret(curve, this.privateKey, reveal.key);
    const script = transcript(this.sessionId, curve, this.commit.commit, this.publicRaw, reveal.key);
    this.privateKey = null; // used once
    return deriveSecrets(shared, script, this.resume);
  }
}

export class SharerLink extends SealedLink {
  /**
   * @param {string} sessionId
   * @param {{resume?: Uint8Array, check?: string, maxRejections?: number}} [options]
   *   resume, check: what an earlier handshake of this session left (a reload of the tab)
   */
  constructor(sessionId, { resume = new Uint8Array(0), check = null, maxRejections = MAX_REJECTIONS } = {}) {
    super({ maxRejections });
    this.sessionId = sessionId;
    this.resume = resume;
    this.handshake = null;
    this.offer = null;
    this.completed = null; // the commit bytes of the handshake that gave the current keys
    /** The digits the two people compared: the first handshake's, kept for the session. */
    this.check = check;
    // Bumped by reset() and by every new commit: an abandoned handshake's result is dropped.
    this.generation = 0;
  }

  get handshaking() {
    return this.handshake !== null;
  }

  /** Forget the keys (the connection dropped, or the helper left or came back). */
  reset() {
    this.generation += 1;
    this.handshake = null;
    this.channel = null;
  }

  /**
   * One clear handshake payload from the helper. Returns the clear frame to send back (the key
   * offer answering a commit), or null. Resolves `{secured: true}` in `this.ready` once the
   * reveal checked out. Throws HandshakeFailed when the handshake cannot succeed.
   */
  async onHandshake(payload) {
    const message = parseHandshake(payload);
    if (message.t === "e2e_commit") {
      if (this.handshake && sameBytes(message.commit, this.handshake.commit.commit)) return this.offer;
      if (this.ready && this.completed && sameBytes(message.commit, this.completed)) return null;
      this.reset();
      const generation = this.generation;
      const handshake = await SharerHandshake.create(this.sessionId, message, { resume: this.resume });
      if (generation !== this.generation) return null; // another commit or a reset meanwhile
      this.handshake = handshake;
      this.offer = encodeFrame(FrameKind.CONTROL_E2E, handshake.offerMessage());
      return this.offer;
    }
    if (message.t === "e2e_reveal") {
      const pending = this.handshake;
      if (pending === null) return null; // its handshake was abandoned: the helper starts anew
      this.handshake = null;
      const generation = this.generation;
      const secrets = await pending.onReveal(message);
      const channel = await SecureChannel.create(secrets, { helper: false });
      if (generation !== this.generation) return null;
      this.channel = channel;
      this.completed = pending.commit.commit;
      this.resume = secrets.resume;
      this.check ??= secrets.check;
      return null;
    }
    throw new HandshakeFailed("The other side sent a sharer's key to the sharer.");
  }

  /** Sealing without keys is refused as a frame is (keys go whenever the helper drops). */
  noKeys() {
    return new FrameRejected("There is no key to encrypt with yet.");
  }
}
