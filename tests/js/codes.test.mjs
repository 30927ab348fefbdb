import assert from "node:assert/strict";
import { test } from "node:test";

import { ALPHABET, displayCode, isValidCode, normalize, parseCode } from "../../src/quickassist/service/console/core/codes.js";
import { InvalidCode } from "../../src/quickassist/service/console/core/errors.js";

test("alphabet has 30 symbols without look-alikes", () => {
  assert.equal(ALPHABET.length, 30);
  for (const c of "01OILU") assert.ok(!ALPHABET.includes(c), c);
});

test("normalize drops spaces and dashes and upper-cases", () => {
  assert.equal(normalize(" abc-234 "), "ABC234");
  assert.equal(normalize("ab\tc\u2013234"), "ABC234");
});

test("parse and display", () => {
  assert.equal(parseCode("abc 234"), "ABC234");
  assert.equal(displayCode("abc234"), "ABC-234");
  assert.ok(isValidCode("XYZ-789"));
});

test("invalid codes are refused with a sentence", () => {
  for (const bad of ["ABC23", "ABC2345", "ABO234", "ABC-23I", ""]) {
    assert.equal(isValidCode(bad), false, bad);
    assert.throws(() => parseCode(bad), (err) => err instanceof InvalidCode && err.code === "invalid_code" && /6 letters/.test(err.message));
  }
});
