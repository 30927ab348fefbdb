import assert from "node:assert/strict";
import { test } from "node:test";

import { helperSocketUrl, useSessionNode } from "../../src/quickassist/service/console/core/api.js";

const page = { protocol: "https:", host: "help.example.org" };

test("one node: the relay socket is on the page's origin at /ws/helper/ID", () => {
  useSessionNode("");
  assert.equal(helperSocketUrl("abc", page), "wss://help.example.org/ws/helper/abc");
});

test("many nodes: the relay socket goes through the pinned node's path", () => {
  useSessionNode("/nodes/n2");
  assert.equal(helperSocketUrl("abc", page), "wss://help.example.org/nodes/n2/ws/helper/abc");
  useSessionNode(undefined); // an older service (or a saved session) without a relay path
  assert.equal(helperSocketUrl("a b", page), "wss://help.example.org/ws/helper/a%20b");
});
