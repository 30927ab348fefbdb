// SharerConnection (core/sharer-connection.js), the browser sharer's relay connection, against
// the console's own SecureLink (the helper's end) over a stand-in for the browser's WebSocket:
// the key offer answers a commit, chat waits for keys while video is dropped, frames open after
// the reveal, a helper that leaves takes the keys with it, and a reveal that never comes ends
// the session with security_failure.
import assert from "node:assert/strict";
import { test } from "node:test";

import { decodeFrame, FrameFlags, FrameKind } from "../../src/quickassist/service/console/core/frames.js";
import { SecureLink } from "../../src/quickassist/service/console/core/secure-link.js";
import { SharerConnection } from "../../src/quickassist/service/console/core/sharer-connection.js";

const text = (s) => new TextEncoder().encode(s);

class FakeSocket extends EventTarget {
  static last = null;
  constructor() {
    super();
    this.readyState = 1;
    this.sent = [];
    FakeSocket.last = this;
    queueMicrotask(() => this.dispatchEvent(new Event("open")));
  }
  send(data) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  deliver(data) {
    const event = new Event("message");
    event.data = data instanceof Uint8Array ? data.slice().buffer : data;
    this.dispatchEvent(event);
  }
}

async function until(probe) {
  for (let i = 0; i < 500; i++) {
    const value = probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("never happened");
}

const binary = (socket) => socket.sent.filter((d) => typeof d !== "string").map((d) => decodeFrame(d));

test("a commit gets a key; chat waits for keys, video does not; frames open after the reveal", async () => {
  const conn = new SharerConnection("wss://x/ws/sharer/s?token=t", "s", { connection: { WebSocketImpl: FakeSocket } });
  const secured = new Promise((resolve) => conn.addEventListener("security", (e) => resolve(e.detail)));
  const frames = [];
  conn.addEventListener("frame", (e) => frames.push(e.detail));
  conn.connect();
  const socket = FakeSocket.last;
  await until(() => conn.isOpen);
  assert.equal(conn.send(FrameKind.VIDEO, Uint8Array.of(1)), null); // no keys: dropped
  assert.equal(conn.send(FrameKind.CHAT, text('{"id":"a","text":"early","sent_at":1}')), null); // held

  const helper = new SecureLink("s", { curve: "X25519" });
  socket.deliver(await helper.start());
  const offer = await until(() => binary(socket).find((f) => f.header.kind === FrameKind.CONTROL_E2E));
  assert.equal(offer.header.flags & FrameFlags.ENCRYPTED, 0); // the one clear frame it sends
  const reveal = await helper.onHandshake(offer.payload);
  socket.deliver(reveal);
  const { check } = await secured;
  assert.equal(check, helper.check);

  // The held chat left, sealed, once the keys came; it opens at the helper.
  const chat = await until(() => binary(socket).find((f) => f.header.kind === FrameKind.CHAT));
  assert.ok(chat.header.flags & FrameFlags.ENCRYPTED);
  assert.equal(new TextDecoder().decode((await helper.open(chat)).payload), '{"id":"a","text":"early","sent_at":1}');
  assert.ok(!binary(socket).some((f) => f.header.kind === FrameKind.VIDEO));
  assert.notEqual(conn.send(FrameKind.VIDEO, Uint8Array.of(2), { flags: FrameFlags.KEYFRAME }), null);

  socket.deliver(await helper.seal(FrameKind.CHAT, text('{"id":"h","text":"hi","sent_at":2}'), { sequence: 1 }));
  const opened = await until(() => frames[0]);
  assert.equal(opened.header.kind, FrameKind.CHAT);

  // The helper leaves: its keys go, and video waits for the next handshake.
  socket.deliver(JSON.stringify({ type: "peer_left", role: "helper", grace_seconds: 30 }));
  assert.ok(!conn.secured);
  assert.equal(conn.send(FrameKind.VIDEO, Uint8Array.of(3)), null);
  conn.close();
});

test("a reveal that never comes ends the session with security_failure", async () => {
  const conn = new SharerConnection("wss://x/ws/sharer/s?token=t", "s", {
    connection: { WebSocketImpl: FakeSocket },
    revealTimeoutMs: 50,
  });
  const insecure = new Promise((resolve) => conn.addEventListener("insecure", (e) => resolve(e.detail)));
  conn.connect();
  const socket = FakeSocket.last;
  await until(() => conn.isOpen);
  const helper = new SecureLink("s", { curve: "P-256" });
  socket.deliver(await helper.start());
  const { error } = await insecure;
  assert.match(error.message, /did not come in time/);
  assert.ok(socket.sent.includes('{"type":"security_failure"}'));
  conn.close();
});
