// The console's protocol code against the same vectors as the Python side (tests/vectors/).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { displayCode, parseCode } from "../../src/quickassist/service/console/core/codes.js";
import { ProtocolError } from "../../src/quickassist/service/console/core/errors.js";
import { decodeFrame, encodeFrame, HEADER_SIZE, unwrapTimestampMs } from "../../src/quickassist/service/console/core/frames.js";
import { encodeVideo, parseVideo } from "../../src/quickassist/service/console/core/media.js";
import { encodeMessage, MAX_CONTROL_MESSAGE, parseClientMessage, parseServerMessage } from "../../src/quickassist/service/console/core/messages.js";
import { encodePayload, parsePayload } from "../../src/quickassist/service/console/core/payloads.js";

const load = (name) => JSON.parse(readFileSync(new URL(`../vectors/${name}.json`, import.meta.url), "utf8"));
const fromHex = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const toHex = (bytes) => Buffer.from(bytes).toString("hex");
const b64 = (bytes) => Buffer.from(bytes).toString("base64");

test("codes.json", () => {
  const v = load("codes");
  for (const c of v.valid) {
    assert.equal(parseCode(c.typed), c.value, c.name);
    assert.equal(displayCode(c.typed), c.display, c.name);
  }
  for (const c of v.invalid) {
    assert.throws(() => parseCode(c.typed), (e) => e.code === "invalid_code", c.name);
  }
});

test("frames.json", () => {
  const v = load("frames");
  assert.equal(v.header_size, HEADER_SIZE);
  for (const f of v.valid) {
    const payload = fromHex(f.payload_hex);
    const encoded = encodeFrame(f.kind, payload, { sequence: f.sequence, timestampMs: f.timestamp_ms, flags: f.flags });
    assert.equal(toHex(encoded), f.encoded_hex, f.name);
    const { header, payload: back } = decodeFrame(fromHex(f.encoded_hex), { maxPayload: v.max_payload });
    assert.equal(header.version, f.version, f.name);
    assert.equal(header.kind, f.kind, f.name);
    assert.equal(header.flags, f.flags, f.name);
    assert.equal(header.sequence, f.sequence, f.name);
    assert.equal(header.timestampMs, f.timestamp_ms, f.name);
    assert.equal(toHex(back), f.payload_hex, f.name);
  }
  for (const f of v.invalid) {
    assert.throws(() => decodeFrame(fromHex(f.hex), { maxPayload: v.max_payload }), (e) => e instanceof ProtocolError && e.code === f.error, f.name);
  }
  for (const u of v.unwrap) {
    assert.equal(unwrapTimestampMs(u.timestamp_ms, u.now_ms), u.epoch_ms, String(u.now_ms));
  }
});

test("messages.json", () => {
  const v = load("messages");
  assert.equal(v.max_bytes, MAX_CONTROL_MESSAGE);
  const parse = (m) => (m.direction === "server" ? parseServerMessage : parseClientMessage)(m.json);
  for (const m of v.valid) {
    assert.deepEqual(parse(m), m.fields, m.name);
    // The console writes client messages: byte for byte the canonical text. (Server messages
    // only need to read back: JS has no 30.0, so a float field would print as 30.)
    if (m.direction === "client") assert.equal(encodeMessage(m.fields), m.json, m.name);
    else assert.deepEqual(parseServerMessage(encodeMessage(m.fields)), m.fields, m.name);
  }
  for (const m of v.accepted) assert.deepEqual(parse(m), m.fields, m.name);
  for (const m of v.invalid) {
    assert.throws(() => parse(m), (e) => e instanceof ProtocolError && e.code === m.error, m.name);
  }
  const big = `{"type":"error","code":"x","message":"${"é".repeat(MAX_CONTROL_MESSAGE / 2)}"}`;
  assert.throws(() => parseServerMessage(big), /at most 16384 bytes/);
});

test("media.json", () => {
  const v = load("media");
  for (const m of v.valid) {
    const video = parseVideo(fromHex(m.hex));
    assert.equal(video.width, m.screen_width, m.name);
    assert.equal(video.height, m.screen_height, m.name);
    assert.deepEqual(
      video.tiles.map((t) => ({ x: t.x, y: t.y, w: t.width, h: t.height, encoding: t.encoding, data_base64: b64(t.data) })),
      m.tiles,
      m.name,
    );
    assert.equal(toHex(encodeVideo(video)), m.hex, m.name);
  }
  for (const m of v.invalid) {
    assert.throws(() => parseVideo(fromHex(m.hex)), ProtocolError, m.name);
  }
});

test("payloads.json", () => {
  const v = load("payloads");
  for (const p of v.valid) {
    const parsed = parsePayload(p.kind, fromHex(p.hex));
    const comparable = parsed.shape ? { ...parsed, shape: { ...parsed.shape, png: b64(parsed.shape.png) } } : parsed;
    assert.deepEqual(comparable, p.fields, p.name);
    // Canonical bytes: what the console would send is byte for byte what Python sends.
    assert.equal(toHex(encodePayload(comparable)), p.hex, p.name);
  }
  for (const p of v.invalid) {
    assert.throws(() => parsePayload(p.kind, fromHex(p.hex)), ProtocolError, p.name);
  }
});
