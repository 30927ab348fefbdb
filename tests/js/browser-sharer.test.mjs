// The browser sharer's pure parts: the flow window (the console's acknowledgements), the
// encoder's payload framing (what the console's media.js reads back), the state's browser flag
// and the helper's verified domain (as protocol/messages.py reads them), and the page's static
// guards (share.html under the CSP: no inline script; every id its scripts look up exists).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import {
  encodableCodecs,
  evenSize,
  fullScreenPayload,
  h264Codec,
  h264Tile,
  VIDEO_CODECS,
  VideoScreenEncoder,
} from "../../src/quickassist/service/console/core/encoder.js";
import { FlowWindow } from "../../src/quickassist/service/console/core/flow-window.js";
import { parseVideo, TileEncoding } from "../../src/quickassist/service/console/core/media.js";
import { parseServerMessage } from "../../src/quickassist/service/console/core/messages.js";

const CONSOLE = new URL("../../src/quickassist/service/console/", import.meta.url).pathname;

test("the flow window holds two frames, opens on a cumulative acknowledgement or a timeout", () => {
  const flow = new FlowWindow({ maxFrames: 2, ackTimeoutMs: 2000 });
  assert.ok(flow.open(0));
  flow.sent(5, 0);
  flow.sent(9, 10);
  assert.ok(!flow.open(20));
  assert.ok(!flow.drawn(4)); // older than anything in flight: nothing freed
  assert.ok(flow.drawn(9)); // cumulative: 5 and 9 retire together
  assert.ok(flow.open(30));
  flow.sent(12, 100);
  flow.sent(13, 100);
  assert.ok(!flow.open(2099));
  assert.ok(flow.open(2100)); // no acknowledgement came: the stream slows, never stalls
  flow.sent(14, 2100);
  flow.reset();
  assert.deepEqual(flow.inFlight, []);
});

test("an encoded picture is one full-screen tile the console reads back", () => {
  const unit = Uint8Array.of(0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f);
  const payload = fullScreenPayload(1920, 1080, TileEncoding.H264, h264Tile(unit, true));
  const video = parseVideo(payload);
  assert.equal(video.width, 1920);
  assert.equal(video.tiles.length, 1);
  const [tile] = video.tiles;
  assert.deepEqual([tile.x, tile.y, tile.width, tile.height, tile.encoding], [0, 0, 1920, 1080, TileEncoding.H264]);
  assert.deepEqual([...tile.data], [1, ...unit]);
  assert.equal(h264Tile(unit, false)[0], 0);
  assert.deepEqual(evenSize(1367, 769), { width: 1366, height: 768 });
  assert.equal(h264Codec(1280, 720), "avc1.42E01F");
  assert.equal(h264Codec(1920, 1080), "avc1.42E028");
  assert.equal(h264Codec(3840, 2160), "avc1.42E033");
});

test("a VP8 frame is one full-screen VP8 tile; each codec has its tile encoding", () => {
  const frame = Uint8Array.of(0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a);
  const [tile] = parseVideo(fullScreenPayload(1280, 720, VIDEO_CODECS.vp8.encoding, h264Tile(frame, true))).tiles;
  assert.equal(tile.encoding, TileEncoding.VP8);
  assert.deepEqual([...tile.data], [1, ...frame]);
  assert.deepEqual(Object.keys(VIDEO_CODECS), ["h264", "vp8"]); // H.264 preferred
  assert.equal(VIDEO_CODECS.h264.encoding, TileEncoding.H264);
  assert.throws(() => new VideoScreenEncoder({ codec: "av1", onPayload() {}, onError() {} }), /cannot encode av1/);
});

test("the page encodes VP8 where H.264 is refused, JPEG (no codec) where both are", async () => {
  const asked = [];
  globalThis.VideoEncoder = {
    isConfigSupported: async (config) => {
      asked.push(config);
      return { supported: config.codec === "vp8" };
    },
  };
  try {
    assert.deepEqual(await encodableCodecs(1920, 1080), ["vp8"]);
    const vp8 = asked.find((c) => c.codec === "vp8");
    assert.equal(vp8.latencyMode, "realtime");
    assert.equal(vp8.avc, undefined);
    assert.equal(asked.find((c) => c.codec.startsWith("avc1")).avc.format, "annexb");
    globalThis.VideoEncoder.isConfigSupported = async () => {
      throw new TypeError("no");
    };
    assert.deepEqual(await encodableCodecs(1920, 1080), []);
  } finally {
    delete globalThis.VideoEncoder;
  }
  assert.deepEqual(await encodableCodecs(1920, 1080), []);
});

test("the state says a browser sharer only when true; the verified domain is kept", () => {
  const base = '{"type":"state","phase":"joined","mode":null,"requested_mode":null,"paused":false,"helper_connected":true,"sharer_connected":true';
  assert.equal(parseServerMessage(`${base},"sharer_browser":true}`).sharer_browser, true);
  assert.equal(parseServerMessage(`${base}}`).sharer_browser, undefined);
  assert.throws(() => parseServerMessage(`${base},"sharer_browser":"yes"}`), /invalid value/);
  const asked = parseServerMessage(
    '{"type":"consent_request","mode":"view","helper":{"name":"Ada L.","organisation":"Contoso","verified_domain":"contoso.com"}}',
  );
  assert.deepEqual(asked.helper, { name: "Ada L.", organisation: "Contoso", verified_domain: "contoso.com" });
});

test("share.html has no inline script or style, and every id its scripts look up exists", () => {
  const html = readFileSync(join(CONSOLE, "share.html"), "utf8");
  for (const [, attrs] of html.matchAll(/<script\b([^>]*)>/g)) assert.match(attrs, /\bsrc=/);
  assert.doesNotMatch(html, /<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:/i);
  // Absolute paths: the page is also served at /s/CODE.
  for (const [, ref] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    if (ref !== "data:,") assert.match(ref, /^\//, ref);
  }
  const ids = new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  for (const name of readdirSync(join(CONSOLE, "share")).filter((n) => n.endsWith(".js"))) {
    for (const [, id] of readFileSync(join(CONSOLE, "share", name), "utf8").matchAll(/byId\("([^"]+)"\)/g)) {
      assert.ok(ids.has(id), `share/${name} looks up #${id}`);
    }
  }
  for (const name of readdirSync(join(CONSOLE, "share")).filter((n) => n.endsWith(".js"))) {
    const source = readFileSync(join(CONSOLE, "share", name), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert.doesNotMatch(source, /localStorage|document\.cookie/, `share/${name} must store nothing beyond the tab`);
  }
});
