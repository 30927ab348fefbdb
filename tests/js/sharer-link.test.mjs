// The browser sharer's end of the encryption (core/sharer-link.js) against the Python side's
// vectors (tests/vectors/e2e.json, from protocol/e2e.py): from the sharer's fixed key it must
// answer the vectors' commit with the same key message, accept the same reveal, derive the same
// secrets and seal the sharer's frames byte for byte; and against the console's own helper side
// (core/secure-link.js): repeats, reconnects bound by the resume secret, a wrong reveal refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  FrameRejected,
  HandshakeFailed,
  importKeyPair,
  parseHandshake,
} from "../../src/quickassist/service/console/core/e2e.js";
import { decodeFrame, FrameFlags, FrameKind } from "../../src/quickassist/service/console/core/frames.js";
import { MAX_REJECTIONS, SealedLink } from "../../src/quickassist/service/console/core/sealed-link.js";
import { SecureLink } from "../../src/quickassist/service/console/core/secure-link.js";
import { SharerHandshake, SharerLink } from "../../src/quickassist/service/console/core/sharer-link.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/e2e.json", import.meta.url), "utf8"));
const fromHex = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes) => Buffer.from(bytes).toString("hex");
const text = (s) => new TextEncoder().encode(s);
const decodeText = (bytes) => new TextDecoder().decode(bytes);

for (const v of vectors.curves) {
  test(`${v.curve}: the sharer's key, secrets and sealed frames match Python`, async () => {
    const commit = parseHandshake(text(v.commit_message));
    const keyPair = await importKeyPair(v.curve, v.sharer_jwk);
    const sharer = await SharerHandshake.create(v.session_id, commit, { keyPair });
    assert.equal(decodeText(sharer.offerMessage()), v.key_message);
    const secrets = await sharer.onReveal(parseHandshake(text(v.reveal_message)));
    assert.equal(toHex(secrets.h2s), v.h2s_key_hex);
    assert.equal(toHex(secrets.s2h), v.s2h_key_hex);
    assert.equal(secrets.check, v.check);
    assert.equal(toHex(secrets.resume), v.resume_hex);
    // As a reconnect runs it: bound to the first handshake's resume secret.
    const again = await SharerHandshake.create(v.session_id, commit, {
      keyPair: await importKeyPair(v.curve, v.sharer_jwk),
      resume: secrets.resume,
    });
    const resumed = await again.onReveal(parseHandshake(text(v.reveal_message)));
    assert.equal(toHex(resumed.s2h), v.resumed.s2h_key_hex);
    assert.equal(resumed.check, v.resumed.check);
  });

  test(`${v.curve}: a reveal that is not the committed key is refused`, async () => {
    const commit = parseHandshake(text(v.commit_message));
    const sharer = await SharerHandshake.create(v.session_id, commit, {
      keyPair: await importKeyPair(v.curve, v.sharer_jwk),
    });
    const other = v.curve === "X25519" ? vectors.curves[1] : vectors.curves[0];
    await assert.rejects(sharer.onReveal(parseHandshake(text(other.reveal_message))), HandshakeFailed);
  });
}

/** Run the console's helper link against the browser sharer's link, as the relay would. */
async function handshake(helper, sharer) {
  const commit = await helper.start();
  const offer = await sharer.onHandshake(decodeFrame(commit).payload);
  assert.ok(offer);
  // The helper repeats its commit until a key comes: the same answer, not a new key.
  assert.equal(toHex(await sharer.onHandshake(decodeFrame(commit).payload)), toHex(offer));
  const reveal = await helper.onHandshake(decodeFrame(offer).payload);
  assert.equal(await sharer.onHandshake(decodeFrame(reveal).payload), null);
  assert.ok(helper.ready && sharer.ready);
  // A late copy of the commit that completed changes nothing.
  assert.equal(await sharer.onHandshake(decodeFrame(commit).payload), null);
  assert.ok(sharer.ready);
}

test("the console and the browser sharer agree, frames open both ways, reconnects stay bound", async () => {
  const helper = new SecureLink("session-1", { curve: "X25519" });
  const sharer = new SharerLink("session-1");
  await handshake(helper, sharer);
  assert.equal(sharer.check, helper.check);
  assert.match(sharer.check, /^\d{3} \d{3}$/);
  const video = await sharer.seal(FrameKind.VIDEO, Uint8Array.of(1, 2, 3), { sequence: 1, flags: FrameFlags.KEYFRAME });
  const opened = await helper.open(decodeFrame(video));
  assert.deepEqual([...opened.payload], [1, 2, 3]);
  const chat = await helper.seal(FrameKind.CHAT, text('{"id":"a","text":"hi","sent_at":1}'), { sequence: 1 });
  assert.equal(decodeText((await sharer.open(decodeFrame(chat))).payload), '{"id":"a","text":"hi","sent_at":1}');

  // Both sides drop their keys on a reconnect: the new handshake mixes in the resume secret.
  const firstCheck = sharer.check;
  helper.reset();
  sharer.reset();
  assert.ok(!sharer.ready);
  await handshake(helper, sharer);
  assert.equal(sharer.check, firstCheck); // the digits the people compared stay
  // A side that lost the resume secret (a middleman's fresh link) gets keys that do not match.
  const stranger = new SharerLink("session-1");
  const commit = await helper.start();
  const offer = await stranger.onHandshake(decodeFrame(commit).payload);
  const reveal = await helper.onHandshake(decodeFrame(offer).payload);
  await stranger.onHandshake(decodeFrame(reveal).payload);
  const sealed = await stranger.seal(FrameKind.CHAT, text("x"), { sequence: 2 });
  assert.equal(await helper.open(decodeFrame(sealed)), null);
  assert.equal(helper.rejections, 1);
});

test("a forged frame is refused and counted; three end the link", async () => {
  const helper = new SecureLink("s", { curve: "P-256" });
  const sharer = new SharerLink("s");
  await handshake(helper, sharer);
  const sealed = await helper.seal(FrameKind.ANNOTATION, text('{"t":"clear"}'), { sequence: 1 });
  const forged = sealed.slice();
  forged[forged.length - 1] ^= 1;
  assert.equal(await sharer.open(decodeFrame(forged)), null);
  sharer.refuse();
  assert.ok(!sharer.failed);
  sharer.refuse();
  assert.ok(sharer.failed);
  await assert.rejects(sharer.onHandshake(text(vectors.curves[0].key_message)), HandshakeFailed);
});

test("both ends share their sealed-link code, and each keeps its own error for sealing without keys", async () => {
  const helper = new SecureLink("s1");
  const sharer = new SharerLink("s1", { maxRejections: 2 });
  assert.ok(helper instanceof SealedLink && sharer instanceof SealedLink);
  // The sharer's connection drops video on this; the helper's never seals without keys.
  assert.throws(() => sharer.seal(FrameKind.CHAT, text("x")), FrameRejected);
  assert.throws(
    () => helper.seal(FrameKind.CHAT, text("x")),
    (error) => !(error instanceof FrameRejected) && /SecureLink\.seal before the handshake/.test(error.message),
  );
  assert.equal(await sharer.open(Uint8Array.of(1, 2, 3)), null); // no keys: nothing opened
  assert.equal(helper.maxRejections, MAX_REJECTIONS);
  sharer.refuse();
  assert.ok(!sharer.failed);
  sharer.refuse();
  assert.ok(sharer.failed && !sharer.ready);
});
