// SecureConnection (core/secure-connection.js) against a sharer made of the same WebCrypto
// pieces (core/e2e.js), over a stand-in for the browser's WebSocket: when handshakes start,
// what waits for keys, what is refused, and that a reconnect's keys are bound to the first.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  commitment,
  deriveSecrets,
  E2E_VERSION,
  generateKeyPair,
  parseHandshake,
  SecureChannel,
  toBase64,
  transcript,
} from "../../src/quickassist/service/console/core/e2e.js";
import { decodeFrame, encodeFrame, FrameFlags, FrameKind } from "../../src/quickassist/service/console/core/frames.js";
import { SecureConnection } from "../../src/quickassist/service/console/core/secure-connection.js";

const SESSION = "s-1";
const text = (s) => new TextEncoder().encode(s);
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
/** Wait (WebCrypto is asynchronous) until `probe()` returns something, at most 5 s. */
async function until(probe) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("never happened");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

class StandInSocket extends EventTarget {
  static made = [];
  constructor() {
    super();
    this.readyState = 0;
    this.sent = [];
    StandInSocket.made.push(this);
  }
  send(data) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event("open"));
  }
  receive(data) {
    const event = new Event("message");
    event.data = data;
    this.dispatchEvent(event);
  }
  drop(code) {
    this.readyState = 3;
    const event = new Event("close");
    event.code = code;
    this.dispatchEvent(event);
  }
  binary() {
    return this.sent.filter((d) => typeof d !== "string").map((d) => decodeFrame(d));
  }
}

/** The sharer's end, from the same primitives the console uses (docs/protocol.md section 6). */
class ScriptedSharer {
  constructor() {
    this.resume = new Uint8Array(0);
    this.channel = null;
  }
  async onCommit(payload) {
    this.commit = parseHandshake(payload);
    this.pair = await generateKeyPair("X25519");
    this.publicRaw = new Uint8Array(await crypto.subtle.exportKey("raw", this.pair.publicKey));
    const offer = { t: "e2e_key", v: E2E_VERSION, curve: "X25519", key: toBase64(this.publicRaw) };
    return encodeFrame(FrameKind.CONTROL_E2E, text(JSON.stringify(offer)));
  }
  async onReveal(payload) {
    const reveal = parseHandshake(payload);
    assert.deepEqual([...(await commitment(reveal.key))], [...this.commit.commit], "reveal matches commit");
    const peer = await crypto.subtle.importKey("raw", reveal.key, { name: "X25519" }, false, []);
    const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: "X25519", public: peer }, this.pair.privateKey, 256));
    const script = transcript(SESSION, "X25519", this.commit.commit, this.publicRaw, reveal.key);
    const secrets = await deriveSecrets(shared, script, this.resume);
    this.resume = secrets.resume;
    this.check = secrets.check;
    this.channel = await SecureChannel.create(secrets, { helper: false });
  }
}

const state = (fields) =>
  JSON.stringify({ type: "state", phase: "joined", mode: null, requested_mode: null, paused: false, helper_connected: true, sharer_connected: true, ...fields });

async function secured() {
  StandInSocket.made = [];
  const conn = new SecureConnection("wss://h/ws/helper/s-1", SESSION, { connection: { WebSocketImpl: StandInSocket } });
  const events = [];
  for (const type of ["security", "insecure", "frame"]) conn.addEventListener(type, (e) => events.push([type, e.detail]));
  conn.connect();
  const ws = StandInSocket.made[0];
  ws.open();
  const sharer = new ScriptedSharer();
  return { conn, ws, sharer, events };
}

const clearTag = (f) => (f.header.flags & FrameFlags.ENCRYPTED ? null : parseHandshake(f.payload).t);

async function handshake(ws, sharer, since = 0) {
  const commit = await until(() => ws.binary().slice(since).find((f) => clearTag(f) === "e2e_commit"));
  ws.receive((await sharer.onCommit(commit.payload)).buffer);
  const reveal = await until(() => ws.binary().slice(since).find((f) => clearTag(f) === "e2e_reveal"));
  await sharer.onReveal(reveal.payload);
}

test("no handshake before the sharer is there; then keys, digits, and held frames sealed", async () => {
  const { conn, ws, sharer, events } = await secured();
  ws.receive(state({ phase: "waiting", sharer_connected: false }));
  assert.equal(conn.send(FrameKind.CHAT, text('{"id":"a","text":"early","sent_at":1}')), true);
  await settle();
  assert.deepEqual(ws.binary(), [], "nothing leaves before keys, not even the chat");
  ws.receive(state({}));
  await handshake(ws, sharer);
  assert.deepEqual(events.map(([t]) => t), ["security"]);
  assert.equal(events[0][1].check, sharer.check);
  const sealed = await until(() => {
    const found = ws.binary().filter((f) => f.header.flags & FrameFlags.ENCRYPTED);
    return found.length ? found : null;
  });
  assert.equal(sealed.length, 1);
  const opened = await sharer.channel.open(sealed[0]);
  assert.equal(new TextDecoder().decode(opened.payload), '{"id":"a","text":"early","sent_at":1}');
  conn.close();
});

test("sealed frames from the sharer come out in order; clear ones are refused, three end it", async () => {
  const { conn, ws, sharer, events } = await secured();
  ws.receive(state({}));
  await handshake(ws, sharer);
  for (const n of [1, 2, 3]) ws.receive((await sharer.channel.seal(FrameKind.CHAT, text(`{"n":${n}}`))).buffer);
  await until(() => events.filter(([t]) => t === "frame").length === 3);
  const chats = events.filter(([t]) => t === "frame").map(([, f]) => new TextDecoder().decode(f.payload));
  assert.deepEqual(chats, ['{"n":1}', '{"n":2}', '{"n":3}']);
  for (let i = 0; i < 3; i++) ws.receive(encodeFrame(FrameKind.CHAT, text('{"n":9}')).buffer);
  await until(() => events.at(-1)[0] === "insecure");
  assert.equal(ws.sent.filter((d) => typeof d === "string").at(-1), '{"type":"security_failure"}');
  assert.equal(conn.send(FrameKind.CHAT, text("{}")), false, "nothing more is sent");
  conn.close();
});

test("the sharer coming back gets a new handshake bound to the first", async () => {
  const { conn, ws, sharer, events } = await secured();
  ws.receive(state({}));
  await handshake(ws, sharer);
  const first = sharer.check;
  ws.receive('{"type":"peer_left","role":"sharer","grace_seconds":30}');
  assert.equal(conn.send(FrameKind.INPUT, text('{"t":"release_all"}')), true);
  const before = ws.binary().length;
  await settle();
  assert.equal(ws.binary().length, before, "held while there are no keys");
  ws.receive(state({ sharer_connected: true }));
  ws.receive('{"type":"peer_returned","role":"sharer"}');
  await handshake(ws, sharer, before);
  // (A commit may be repeated while unanswered; a repeat is the same bytes.)
  const commits = ws.binary().slice(before).filter((f) => clearTag(f) === "e2e_commit");
  assert.equal(new Set(commits.map((f) => toBase64(f.payload))).size, 1, "one handshake, not one per message");
  const security = events.filter(([t]) => t === "security");
  assert.equal(security.length, 2);
  assert.notEqual(sharer.check, first, "new keys underneath");
  // The digits the two people compared stay on screen: the resume secret proves continuity.
  assert.deepEqual(security.map(([, d]) => d.check), [first, first]);
  const held = await until(() => {
    const found = ws.binary().slice(before).filter((f) => f.header.flags & FrameFlags.ENCRYPTED);
    return found.length ? found : null;
  });
  assert.equal(new TextDecoder().decode((await sharer.channel.open(held[0])).payload), '{"t":"release_all"}');
  conn.close();
});

test("after a page reload the digits compared before it are the ones shown", async () => {
  const { conn, ws, sharer, events } = await secured();
  ws.receive(state({}));
  await handshake(ws, sharer);
  const compared = sharer.check;
  const resume = events[0][1].resume;
  conn.close();
  // The reloaded page: a new SecureConnection from what the tab kept (resume secret and digits).
  StandInSocket.made = [];
  const again = new SecureConnection("wss://h/ws/helper/s-1", SESSION, {
    resume,
    check: compared,
    connection: { WebSocketImpl: StandInSocket },
  });
  const seen = [];
  again.addEventListener("security", (e) => seen.push(e.detail.check));
  again.connect();
  const ws2 = StandInSocket.made[0];
  ws2.open();
  ws2.receive(state({}));
  await handshake(ws2, sharer);
  assert.notEqual(sharer.check, compared);
  assert.deepEqual(seen, [compared]);
  again.close();
});
