import assert from "node:assert/strict";
import { test } from "node:test";

import { Connection, retryDelay, shouldReconnect } from "../../src/quickassist/service/console/core/connection.js";
import { encodeFrame, FrameKind, HEADER_SIZE } from "../../src/quickassist/service/console/core/frames.js";

/** A stand-in for the browser's WebSocket (a platform API, not our code): the test drives it. */
class StandInSocket extends EventTarget {
  static made = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    StandInSocket.made.push(this);
  }
  send(data) {
    this.sent.push(data);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.closedWith = code;
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
  drop(code, reason = "") {
    this.readyState = 3;
    const event = new Event("close");
    event.code = code;
    event.reason = reason;
    this.dispatchEvent(event);
  }
}

function collect(conn) {
  const events = [];
  for (const type of ["open", "control", "frame", "invalid", "reconnecting", "closed"]) {
    conn.addEventListener(type, (e) => events.push([type, e.detail]));
  }
  return events;
}

test("final close codes are not retried; others are", () => {
  for (const code of [1000, 1009, 4400, 4401, 4403, 4404, 4409, 4410]) assert.equal(shouldReconnect(code), false, code);
  for (const code of [1001, 1006, 1011, 4000]) assert.equal(shouldReconnect(code), true, code);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map(retryDelay), [250, 500, 1000, 2000, 4000, 4000, 4000]);
});

test("messages and frames are parsed and dispatched; garbage is reported, not thrown", () => {
  StandInSocket.made = [];
  const conn = new Connection("wss://h/ws/helper/s", { WebSocketImpl: StandInSocket });
  const events = collect(conn);
  conn.connect();
  const ws = StandInSocket.made[0];
  assert.equal(ws.binaryType, "arraybuffer");
  assert.equal(conn.sendControl({ type: "end" }), false, "nothing is sent before open");
  ws.open();
  ws.receive('{"type":"control_answer","granted":true}');
  ws.receive(encodeFrame(FrameKind.CHAT, new Uint8Array([1, 2])).buffer);
  ws.receive("not json");
  ws.receive(new ArrayBuffer(3));
  assert.deepEqual(events.map(([t]) => t), ["open", "control", "frame", "invalid", "invalid"]);
  assert.deepEqual(events[1][1], { type: "control_answer", granted: true });
  assert.equal(events[2][1].header.kind, FrameKind.CHAT);
  assert.equal(events[2][1].size, HEADER_SIZE + 2);

  assert.equal(conn.sendControl({ type: "end" }), true);
  conn.sendFrame(FrameKind.INPUT, new Uint8Array([7]));
  conn.sendFrame(FrameKind.INPUT, new Uint8Array([8]));
  assert.equal(ws.sent[0], '{"type":"end"}');
  assert.deepEqual([ws.sent[1][2], ws.sent[2][2]], [0, 1], "sequence counts per frame");
});

test("a dropped socket is retried inside the grace period, then given up", () => {
  StandInSocket.made = [];
  let now = 1_000;
  const timers = [];
  const conn = new Connection("wss://h/ws/helper/s", {
    WebSocketImpl: StandInSocket,
    graceMs: 3_000,
    now: () => now,
    setTimer: (fn, ms) => timers.push([fn, ms]),
  });
  const runTimer = () => {
    const [fn, ms] = timers.shift();
    now += ms;
    fn();
  };
  const events = collect(conn);
  conn.connect();
  StandInSocket.made[0].open();
  StandInSocket.made[0].drop(1006);
  assert.deepEqual(events.at(-1)[0], "reconnecting");
  assert.equal(events.at(-1)[1].delayMs, 250);
  assert.equal(StandInSocket.made.length, 1, "not before the delay");
  runTimer();
  assert.equal(StandInSocket.made.length, 2, "a new socket after the delay");
  StandInSocket.made[1].open();
  assert.deepEqual(events.at(-1), ["open", { reconnected: true }]);

  // Dropped again; the service stays away past the grace period.
  StandInSocket.made[1].drop(1006);
  now += 3_500;
  runTimer();
  StandInSocket.made[2].drop(1006);
  assert.deepEqual(events.at(-1), ["closed", { code: 1006, reason: "" }]);
  assert.equal(StandInSocket.made.length, 3);
});

test("a final close ends it at once; close() stops retries", () => {
  StandInSocket.made = [];
  const conn = new Connection("wss://h/ws/helper/s", { WebSocketImpl: StandInSocket });
  const events = collect(conn);
  conn.connect();
  StandInSocket.made[0].open();
  StandInSocket.made[0].drop(4409, "This session was opened again somewhere else.");
  assert.deepEqual(events.at(-1), ["closed", { code: 4409, reason: "This session was opened again somewhere else." }]);

  const other = new Connection("wss://h/ws/helper/t", { WebSocketImpl: StandInSocket });
  const otherEvents = collect(other);
  other.connect();
  const ws = StandInSocket.made.at(-1);
  ws.open();
  other.close();
  assert.equal(ws.closedWith, 1000);
  ws.drop(1000);
  assert.deepEqual(otherEvents.map(([t]) => t), ["open"], "no events after close()");
});
