import assert from "node:assert/strict";
import { test } from "node:test";

import { MessageError } from "../../src/quickassist/service/console/core/errors.js";
import { chooseMode, encodeMessage, endSession, parseClientMessage, parseServerMessage, requestControl } from "../../src/quickassist/service/console/core/messages.js";

test("client messages encode compactly with type first", () => {
  assert.equal(encodeMessage(chooseMode("control")), '{"type":"choose_mode","mode":"control"}');
  assert.equal(encodeMessage(requestControl()), '{"type":"request_control"}');
  assert.equal(encodeMessage(endSession()), '{"type":"end"}');
  assert.deepEqual(parseClientMessage(encodeMessage(chooseMode("view"))), { type: "choose_mode", mode: "view" });
});

test("state snapshots parse, with null modes", () => {
  const text = '{"type":"state","phase":"joined","mode":null,"requested_mode":null,"paused":false,"helper_connected":true,"sharer_connected":true,"extra":1}';
  assert.deepEqual(parseServerMessage(text), {
    type: "state",
    phase: "joined",
    mode: null,
    requested_mode: null,
    paused: false,
    helper_connected: true,
    sharer_connected: true,
  });
});

test("other server messages parse", () => {
  assert.deepEqual(parseServerMessage('{"type":"ended","reason":"declined","message":"No."}'), { type: "ended", reason: "declined", message: "No." });
  assert.deepEqual(parseServerMessage('{"type":"control_answer","granted":true}'), { type: "control_answer", granted: true });
  assert.deepEqual(parseServerMessage('{"type":"peer_left","role":"sharer","grace_seconds":30}'), { type: "peer_left", role: "sharer", grace_seconds: 30 });
  assert.deepEqual(parseServerMessage('{"type":"consent_request","mode":"view","helper":{"name":"Ada L.","organisation":"Org"}}').helper, { name: "Ada L.", organisation: "Org" });
});

test("malformed messages are refused with a sentence", () => {
  const bad = [
    "not json",
    "[1]",
    '{"type":1}',
    '{"type":"nope"}',
    '{"type":"ended","reason":"declined"}',
    '{"type":"ended","reason":"bored","message":"x"}',
    '{"type":"control_answer","granted":1}',
    '{"type":"peer_left","role":"sharer","grace_seconds":true}',
    '{"type":"consent_request","mode":null,"helper":{"name":"A","organisation":"B"}}',
    '{"type":"consent_request","mode":"view","helper":{"name":1,"organisation":"B"}}',
    '{"type":"state","phase":"active","mode":"all","requested_mode":null,"paused":false,"helper_connected":true,"sharer_connected":true}',
    `{"type":"error","code":"x","message":"${"é".repeat(9000)}"}`,
  ];
  for (const text of bad) {
    assert.throws(() => parseServerMessage(text), (err) => err instanceof MessageError && err.code === "malformed_message" && err.message.endsWith("."), text);
  }
});
