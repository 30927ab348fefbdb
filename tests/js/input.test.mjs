import assert from "node:assert/strict";
import { test } from "node:test";

import { clientToRemote, combinationEvents, isReleaseChord, keyPayload, MoveCoalescer, WheelAccumulator } from "../../src/quickassist/service/console/core/input.js";

test("client points map to monitor pixels through the canvas rectangle", () => {
  const rect = { left: 100, top: 50, width: 960, height: 540 };
  assert.deepEqual(clientToRemote(100, 50, rect, 1920, 1080), { x: 0, y: 0 });
  assert.deepEqual(clientToRemote(580, 320, rect, 1920, 1080), { x: 960, y: 540 });
  assert.deepEqual(clientToRemote(1060, 590, rect, 1920, 1080), { x: 1919, y: 1079 });
  assert.deepEqual(clientToRemote(0, 0, rect, 1920, 1080), { x: 0, y: 0 });
  // actual size: one CSS pixel is one remote pixel
  assert.deepEqual(clientToRemote(110.7, 60.2, { left: 0, top: 0, width: 800, height: 600 }, 800, 600), { x: 110, y: 60 });
});

test("wheel deltas become whole notches and keep the remainder", () => {
  const w = new WheelAccumulator();
  assert.deepEqual(w.add(0, 100), { dx: 0, dy: 1 });
  assert.deepEqual(w.add(0, 40), { dx: 0, dy: 0 });
  assert.deepEqual(w.add(0, 70), { dx: 0, dy: 1 });
  assert.deepEqual(w.add(-300, 0), { dx: -3, dy: 0 });
  assert.deepEqual(w.add(0, -3, 1), { dx: 0, dy: 0 }, "-1 notch minus the 0.1 carried");
  w.reset();
  assert.deepEqual(w.add(0, -3, 1), { dx: 0, dy: -1 });
  assert.deepEqual(w.add(0, 1e6), { dx: 0, dy: 50 });
});

test("combinations press in order and release in reverse", () => {
  const events = combinationEvents("ctrl-alt-del").map((e) => `${e.code}${e.down ? "+" : "-"}`);
  assert.deepEqual(events, ["ControlLeft+", "AltLeft+", "Delete+", "Delete-", "AltLeft-", "ControlLeft-"]);
  assert.deepEqual(combinationEvents("windows").map((e) => [e.code, e.key, e.down]), [["MetaLeft", "Meta", true], ["MetaLeft", "Meta", false]]);
  assert.throws(() => combinationEvents("nope"), RangeError);
});

test("key payloads carry code and key", () => {
  assert.deepEqual(keyPayload({ code: "KeyQ", key: "a" }, true), { t: "key", code: "KeyQ", key: "a", down: true });
  assert.equal(keyPayload({ code: "", key: "x".repeat(40) }, false).key.length, 32);
  assert.equal(keyPayload({ code: "", key: "" }, false).code, "Unidentified");
});

test("release chord is Ctrl + left Alt + Shift, never AltGr + Shift", () => {
  const chord = (...codes) => isReleaseChord(new Set(codes));
  assert.ok(chord("ControlLeft", "AltLeft", "ShiftLeft"));
  assert.ok(chord("ShiftRight", "ControlRight", "AltLeft"));
  assert.ok(!chord("ControlLeft", "AltLeft"));
  assert.ok(!chord("ControlLeft", "AltRight", "ShiftLeft"), "AltGr (as Windows sends it) + Shift");
  assert.ok(!chord("ControlLeft", "AltLeft", "AltRight", "ShiftLeft"));
});

test("moves are coalesced to one per frame and only when changed", () => {
  const sent = [];
  const frames = [];
  const c = new MoveCoalescer((p) => sent.push(p), (cb) => frames.push(cb));
  c.move(1, 1);
  c.move(2, 2);
  c.move(3, 3);
  assert.equal(frames.length, 1);
  frames.shift()();
  assert.deepEqual(sent, [{ t: "move", x: 3, y: 3 }]);
  c.move(3, 3);
  frames.shift()();
  assert.equal(sent.length, 1, "unchanged position is not resent");
  c.move(4, 5);
  c.flush();
  assert.deepEqual(sent.at(-1), { t: "move", x: 4, y: 5 });
  frames.shift()();
  assert.equal(sent.length, 2, "flushed move is not sent again by the frame callback");
});
