// The console's end-to-end encryption (core/e2e.js) against the Python side's vectors
// (tests/vectors/e2e.json, from protocol/e2e.py): same commitment, transcript, keys, check string
// and byte-identical sealed frames, for both curves. Node 20's WebCrypto has X25519 and P-256.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  commitment,
  FrameRejected,
  HandshakeFailed,
  HelperHandshake,
  importKeyPair,
  isHandshake,
  nonce,
  parseHandshake,
  pickCurve,
  SecureChannel,
  transcript,
} from "../../src/quickassist/service/console/core/e2e.js";
import { decodeFrame, FrameFlags, HEADER_SIZE } from "../../src/quickassist/service/console/core/frames.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/e2e.json", import.meta.url), "utf8"));
const fromHex = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes) => Buffer.from(bytes).toString("hex");
const text = (s) => new TextEncoder().encode(s);
const decodeText = (bytes) => new TextDecoder().decode(bytes);

async function handshakeFor(v) {
  const keyPair = await importKeyPair(v.curve, v.helper_jwk);
  const helper = await HelperHandshake.create(v.session_id, { curve: v.curve, keyPair });
  return helper;
}

for (const v of vectors.curves) {
  test(`${v.curve}: commitment, transcript, keys and check string match Python`, async () => {
    const helper = await handshakeFor(v);
    assert.equal(toHex(helper.publicRaw), v.helper_public_hex);
    assert.equal(toHex(await commitment(helper.publicRaw)), v.commit_hex);
    assert.equal(decodeText(helper.commitMessage()), v.commit_message);
    const script = transcript(v.session_id, v.curve, fromHex(v.commit_hex), fromHex(v.sharer_public_hex), fromHex(v.helper_public_hex));
    assert.equal(toHex(script), v.transcript_hex);
    const { reveal, secrets } = await helper.onKey(text(v.key_message));
    assert.equal(decodeText(reveal), v.reveal_message);
    assert.equal(toHex(secrets.h2s), v.h2s_key_hex);
    assert.equal(toHex(secrets.s2h), v.s2h_key_hex);
    assert.equal(secrets.check, v.check);
    assert.equal(toHex(secrets.resume), v.resume_hex);
    // The same handshake run as a reconnect: bound to the first one's resume secret.
    const again = await HelperHandshake.create(v.session_id, {
      curve: v.curve,
      keyPair: await importKeyPair(v.curve, v.helper_jwk),
      resume: secrets.resume,
    });
    const resumed = (await again.onKey(text(v.key_message))).secrets;
    assert.equal(toHex(resumed.h2s), v.resumed.h2s_key_hex);
    assert.equal(toHex(resumed.s2h), v.resumed.s2h_key_hex);
    assert.equal(resumed.check, v.resumed.check);
    assert.equal(toHex(resumed.resume), v.resumed.resume_hex);
  });

  test(`${v.curve}: sealed frames are byte-identical and open both ways`, async () => {
    const secrets = { h2s: fromHex(v.h2s_key_hex), s2h: fromHex(v.s2h_key_hex), check: v.check };
    const helper = await SecureChannel.create(secrets, { helper: true });
    const sharer = await SecureChannel.create(secrets, { helper: false });
    for (const f of v.frames) {
      assert.equal(toHex(nonce(f.counter)), f.nonce_hex);
      const payload = fromHex(f.payload_hex);
      const options = { sequence: f.sequence, timestampMs: f.timestamp_ms, flags: f.flags };
      const sender = f.direction === "h2s" ? helper : sharer;
      const receiver = f.direction === "h2s" ? sharer : helper;
      const sealed = await sender.seal(f.kind, payload, options);
      assert.equal(toHex(sealed), f.sealed_hex, `${f.direction} kind ${f.kind}`);
      assert.equal(toHex(sealed.subarray(0, HEADER_SIZE)), f.aad_hex);
      const opened = await receiver.open(decodeFrame(fromHex(f.sealed_hex)));
      assert.equal(toHex(opened.payload), f.payload_hex);
      assert.equal(opened.header.kind, f.kind);
      assert.equal(opened.header.flags, f.flags);
    }
  });

  test(`${v.curve}: a reveal that is not the committed key is refused by the vectors' sharer`, async () => {
    // The console is the helper; what it must refuse is a key message that is not a key.
    const helper = await handshakeFor(v);
    await assert.rejects(helper.onKey(text(v.reveal_message)), HandshakeFailed);
    const wrongCurve = v.curve === "X25519" ? vectors.curves[1] : vectors.curves[0];
    await assert.rejects(helper.onKey(text(wrongCurve.key_message)), HandshakeFailed);
  });
}

test("tampered, replayed, too old and mislabelled frames are rejected and counted", async () => {
  const v = vectors.curves[0];
  const secrets = { h2s: fromHex(v.h2s_key_hex), s2h: fromHex(v.s2h_key_hex), check: v.check };
  const sharer = await SecureChannel.create(secrets, { helper: false });
  const helper = await SecureChannel.create(secrets, { helper: true });
  const sealed = fromHex(v.frames.find((f) => f.direction === "s2h").sealed_hex);
  for (let byte = 0; byte < sealed.length; byte += 1) {
    const bad = sealed.slice();
    bad[byte] ^= 0x01;
    let frame;
    try {
      frame = decodeFrame(bad);
    } catch {
      continue; // the header no longer parses
    }
    await assert.rejects(helper.open(frame), FrameRejected, `byte ${byte}`);
  }
  await helper.open(decodeFrame(sealed));
  await assert.rejects(helper.open(decodeFrame(sealed)), /twice/);
  // A window of 64: once counter 66 is seen, 3 (63 behind) is inside and 2 (64 behind) is not.
  const frames = [];
  for (let i = 0; i < 66; i += 1) frames.push(await sharer.seal(1, Uint8Array.of(i)));
  const fresh = await SecureChannel.create(secrets, { helper: true });
  await fresh.open(decodeFrame(frames[65]));
  await fresh.open(decodeFrame(frames[2]));
  await assert.rejects(fresh.open(decodeFrame(frames[1])), /late/);
  // Relabelling the clear kind breaks the tag.
  const relabel = frames[10].slice();
  relabel[1] = 3 | (FrameFlags.ENCRYPTED << 4);
  await assert.rejects(fresh.open(decodeFrame(relabel)), FrameRejected);
  assert.equal(fresh.rejected, 2);
  // Concurrent copies of one frame: exactly one is accepted.
  const results = await Promise.allSettled([fresh.open(decodeFrame(frames[20])), fresh.open(decodeFrame(frames[20]))]);
  assert.deepEqual(results.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
});

test("a fresh handshake has fresh keys, and the best curve here is X25519", async () => {
  assert.equal(await pickCurve(), "X25519");
  const one = await HelperHandshake.create("s", { curve: "X25519" });
  const two = await HelperHandshake.create("s", { curve: "X25519" });
  assert.notEqual(toHex(one.publicRaw), toHex(two.publicRaw));
  assert.ok(isHandshake(one.commitMessage()));
  assert.ok(!isHandshake(text('{"t":"refresh"}')));
  assert.throws(() => parseHandshake(text('{"t":"e2e_key","v":1,"curve":"X25519","key":"AAAA"}')), HandshakeFailed);
  assert.throws(() => parseHandshake(text('{"t":"e2e_commit","v":2}')), HandshakeFailed);
});
