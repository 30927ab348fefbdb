import assert from "node:assert/strict";
import { test } from "node:test";

import { MessageError } from "../../src/quickassist/service/console/core/errors.js";
import { FrameKind } from "../../src/quickassist/service/console/core/frames.js";
import * as p from "../../src/quickassist/service/console/core/payloads.js";

const text = (bytes) => new TextDecoder().decode(bytes);
const bytes = (s) => new TextEncoder().encode(s);

test("input builders encode tag first in wire order", () => {
  assert.equal(text(p.encodePayload(p.pointerMove(3, 4))), '{"t":"move","x":3,"y":4}');
  assert.equal(text(p.encodePayload(p.pointerButton(2, true, 5, 6))), '{"t":"button","button":2,"down":true,"x":5,"y":6}');
  assert.equal(text(p.encodePayload(p.wheel(0, -2))), '{"t":"wheel","dx":0,"dy":-2}');
  assert.equal(text(p.encodePayload(p.keyEvent("KeyA", "a", false))), '{"t":"key","code":"KeyA","key":"a","down":false}');
  assert.equal(text(p.encodePayload(p.releaseAll())), '{"t":"release_all"}');
});

test("other builders", () => {
  assert.equal(text(p.encodePayload(p.chatMessage("c1", "<b>hi</b>", 5))), '{"id":"c1","text":"<b>hi</b>","sent_at":5}');
  assert.equal(text(p.encodePayload(p.stroke("s1", "#ff0000", 4, [[1, 2], [3.5, 4]], false))), '{"t":"stroke","id":"s1","color":"#ff0000","width":4,"points":[[1,2],[3.5,4]],"done":false}');
  assert.equal(text(p.encodePayload(p.laser(1, 2))), '{"t":"laser","x":1,"y":2}');
  assert.equal(text(p.encodePayload(p.selectMonitor(2))), '{"t":"select_monitor","id":2}');
  assert.equal(text(p.encodePayload(p.refresh())), '{"t":"refresh","video":[]}');
  assert.equal(text(p.encodePayload(p.refresh(["h264"]))), '{"t":"refresh","video":["h264"]}');
  // An older console's refresh, without the codecs: tiles only.
  assert.deepEqual(p.parsePayload(FrameKind.CONTROL_E2E, bytes('{"t":"refresh"}')), { t: "refresh", video: [] });
});

test("what the sharer sends parses", () => {
  const monitors = '{"t":"monitors","monitors":[{"id":0,"x":0,"y":0,"width":1920,"height":1080,"primary":true,"name":"A"},{"id":1,"x":1920,"y":0,"width":1280,"height":1024,"primary":false,"name":"B"}],"current":1}';
  assert.equal(p.parsePayload(FrameKind.CONTROL_E2E, bytes(monitors)).monitors[1].width, 1280);
  assert.deepEqual(p.parsePayload(FrameKind.CHAT, bytes('{"id":"x","text":"<i>a</i>","sent_at":1}')), { id: "x", text: "<i>a</i>", sent_at: 1 });
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]).toString("base64");
  const cursor = p.parsePayload(FrameKind.CURSOR, bytes(`{"x":5,"y":-1,"visible":true,"shape":{"png":"${png}","hotspot_x":1,"hotspot_y":2,"width":16,"height":16}}`));
  assert.equal(cursor.shape.png.length, 9);
  assert.equal(cursor.shape.hotspot_y, 2);
  assert.equal(p.parsePayload(FrameKind.CURSOR, bytes('{"x":5,"y":6,"visible":false,"shape":null}')).shape, null);
});

test("malformed payloads are refused with a sentence", () => {
  const cases = [
    [FrameKind.CHAT, "nope"],
    [FrameKind.CHAT, "[]"],
    [FrameKind.CHAT, '{"id":"","text":"a","sent_at":1}'],
    [FrameKind.CHAT, '{"id":"a","text":"a"}'],
    [FrameKind.INPUT, '{"t":"move","x":-1,"y":0}'],
    [FrameKind.INPUT, '{"t":"move","x":1.5,"y":0}'],
    [FrameKind.INPUT, '{"t":"wheel","dx":0,"dy":51}'],
    [FrameKind.INPUT, '{"t":"button","button":3,"down":true,"x":0,"y":0}'],
    [FrameKind.INPUT, `{"t":"key","code":"${"K".repeat(33)}","key":"a","down":true}`],
    [FrameKind.ANNOTATION, '{"t":"stroke","id":"s","color":"#FF0000","width":2,"points":[],"done":true}'],
    [FrameKind.ANNOTATION, '{"t":"stroke","id":"s","color":"#ff0000","width":2,"points":[[1]],"done":true}'],
    [FrameKind.CONTROL_E2E, '{"t":"monitors","monitors":[{"id":0,"x":0,"y":0,"width":1,"height":1,"primary":true,"name":"A"}],"current":3}'],
    [FrameKind.CURSOR, '{"x":0,"y":0,"visible":true,"shape":{"png":"aGVsbG8=","hotspot_x":0,"hotspot_y":0,"width":1,"height":1}}'],
    [FrameKind.CURSOR, '{"x":0,"y":0,"visible":true,"shape":{"png":"!!","hotspot_x":0,"hotspot_y":0,"width":1,"height":1}}'],
  ];
  for (const [kind, raw] of cases) {
    assert.throws(() => p.parsePayload(kind, bytes(raw)), (e) => e instanceof MessageError && e.message.endsWith("."), raw);
  }
  assert.throws(() => p.parsePayload(FrameKind.INPUT, new Uint8Array(1025)), /at most 1024 bytes/);
  assert.throws(() => p.parsePayload(FrameKind.CHAT, Uint8Array.from([0xff])), /UTF-8 JSON/);
});

test("key text limit counts code points like Python", () => {
  const emoji = "😀".repeat(32); // 64 UTF-16 units, 32 code points
  assert.equal(p.parsePayload(FrameKind.INPUT, bytes(`{"t":"key","code":"KeyA","key":"${emoji}","down":true}`)).key, emoji);
});
