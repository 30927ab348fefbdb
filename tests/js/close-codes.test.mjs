// The console's close codes against tests/vectors/close_codes.json (made from protocol/close_codes.py).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import {
  CLOSE_SENTENCES,
  CloseCode,
  FINAL_CLOSE_CODES,
  closeSentence,
} from "../../src/quickassist/service/console/core/close-codes.js";
import { shouldReconnect } from "../../src/quickassist/service/console/core/connection.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/close_codes.json", import.meta.url), "utf8"));

test("the same codes under the same names as the Python enum", () => {
  assert.deepEqual(
    Object.entries(CloseCode),
    vectors.codes.map((c) => [c.name, c.code]),
  );
});

test("the same final set: a drift in either table fails here", () => {
  assert.deepEqual(
    [...FINAL_CLOSE_CODES].sort(),
    vectors.codes.filter((c) => c.final).map((c) => c.code).sort(),
  );
  for (const c of vectors.codes) assert.equal(shouldReconnect(c.code), !c.final, c.name);
});

test("the same default sentence for every code, and none for codes that are not ours", () => {
  assert.equal(Object.keys(CLOSE_SENTENCES).length, vectors.codes.length);
  for (const c of vectors.codes) assert.equal(closeSentence(c.code), c.sentence, c.name);
  for (const code of [1006, 1011, 4000, undefined, "toString"]) assert.equal(closeSentence(code), null, code);
  assert.equal(shouldReconnect(1006), true);
});
