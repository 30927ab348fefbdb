// Static guards on the console's files: what the CSP forbids, and HTML injection sinks.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { formatCountdown } from "../../src/quickassist/service/console/ui/code-panel.js";

const CONSOLE = new URL("../../src/quickassist/service/console/", import.meta.url).pathname;

function files(dir, ext) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return files(path, ext);
    return path.endsWith(ext) ? [path] : [];
  });
}

test("index.html has no inline script, style or event handler (CSP: script-src/style-src 'self')", () => {
  const html = readFileSync(join(CONSOLE, "index.html"), "utf8");
  for (const [, attrs] of html.matchAll(/<script\b([^>]*)>/g)) {
    assert.match(attrs, /\bsrc=/, "every script is a file");
  }
  assert.doesNotMatch(html, /<style\b/i);
  assert.doesNotMatch(html, /\sstyle\s*=/i);
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
  assert.doesNotMatch(html, /javascript:/i);
});

test("no script writes HTML: text goes in with textContent", () => {
  for (const path of files(CONSOLE, ".js")) {
    // Comments may name the sinks (to warn against them); code may not.
    const source = readFileSync(path, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    for (const sink of ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"]) {
      assert.ok(!source.includes(sink), `${path} uses ${sink}`);
    }
    assert.doesNotMatch(source, /setAttribute\(\s*["']style["']/, `${path} sets a style attribute`);
  }
});

test("every id the scripts look up exists in index.html", () => {
  const html = readFileSync(join(CONSOLE, "index.html"), "utf8");
  const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  for (const path of files(join(CONSOLE, "ui"), ".js")) {
    for (const [, id] of readFileSync(path, "utf8").matchAll(/byId\("([^"]+)"\)/g)) {
      assert.ok(ids.has(id), `${path} looks up #${id}`);
    }
  }
});

test("the countdown reads minutes and seconds", () => {
  assert.equal(formatCountdown(600), "10:00");
  assert.equal(formatCountdown(599.2), "10:00");
  assert.equal(formatCountdown(65), "1:05");
  assert.equal(formatCountdown(0.4), "0:01");
  assert.equal(formatCountdown(-3), "0:00");
});
