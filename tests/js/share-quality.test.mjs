// The browser sharer's answer to the helper's quality choice (core/share-quality.js): what share
// of the link's target each choice aims the encoder at, when a new aim is worth a reconfigure,
// Sharp's least capture interval (time is an argument), and the video encoder configured again
// in place when the aim changes (a recording VideoEncoder).
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_BITRATE, JPEG_QUALITY, JpegScreenEncoder, VideoScreenEncoder } from "../../src/quickassist/service/console/core/encoder.js";
import { QUALITY_MODES } from "../../src/quickassist/service/console/core/payloads.js";
import { QUALITY_PROFILES, RATE_STEP, rateMoved, ShareQuality } from "../../src/quickassist/service/console/core/share-quality.js";

const bitsPerFrame = ({ bitrate, framerate }) => bitrate / framerate;

/** The aim under `mode` for a link target of `target` bits/s. */
function aimOf(mode, target) {
  const quality = new ShareQuality();
  quality.choose(mode);
  return quality.aim(target);
}

test("each choice of the console's takes its share of the link's target: Sharp more bits a frame, Smooth fewer", () => {
  assert.deepEqual(Object.keys(QUALITY_PROFILES).sort(), [...QUALITY_MODES].sort());
  for (const target of [250_000, 1_000_000, DEFAULT_BITRATE]) {
    const [auto, sharp, smooth] = ["auto", "sharp", "smooth"].map((mode) => aimOf(mode, target));
    assert.deepEqual(auto, { bitrate: target, framerate: 30, jpegQuality: JPEG_QUALITY, intervalMs: 0 });
    // Sharp: the app's 10 captures a second, three times Auto's bits in each, the same budget.
    assert.equal(sharp.intervalMs, 100);
    assert.equal(sharp.framerate, 1000 / sharp.intervalMs);
    assert.equal(bitsPerFrame(sharp), 3 * bitsPerFrame(auto));
    assert.ok(sharp.bitrate <= target); // never more than the link's budget
    // Smooth: every frame, each crossing in 20/30 of Auto's time (quality.py's frame budgets).
    assert.equal(smooth.intervalMs, 0);
    assert.equal(smooth.framerate, 30);
    assert.equal(smooth.bitrate, Math.round((target * 20) / 30));
    assert.ok(smooth.jpegQuality < auto.jpegQuality && auto.jpegQuality < sharp.jpegQuality);
  }
  assert.equal(aimOf("smooth", DEFAULT_BITRATE).bitrate, 4_000_000); // at the ceiling, as before
});

test("a new aim reconfigures the encoder only once it moved by a meaningful step, or reached a bound", () => {
  assert.equal(RATE_STEP, 0.1);
  assert.equal(rateMoved(1_000_000, 1_000_000), false);
  assert.equal(rateMoved(1_000_000, 1_080_000), false); // the controller's gentlest probe
  assert.equal(rateMoved(1_000_000, 1_166_400), true); // ... the second one goes
  assert.equal(rateMoved(1_000_000, 1_100_000), true);
  assert.equal(rateMoved(1_000_000, 700_000), true); // a backoff always goes
  assert.equal(rateMoved(5_600_000, 6_000_000), false);
  assert.equal(rateMoved(5_600_000, 6_000_000, { atBound: true }), true); // the ceiling, exactly
  assert.equal(rateMoved(6_000_000, 6_000_000, { atBound: true }), false);
});

test("a choice changes the aim once; the same choice again or an unknown one changes nothing", () => {
  const quality = new ShareQuality();
  assert.equal(quality.mode, "auto");
  assert.equal(quality.profile, QUALITY_PROFILES.auto);
  assert.equal(quality.choose("auto"), false);
  assert.equal(quality.choose("smooth"), true);
  assert.equal(quality.profile, QUALITY_PROFILES.smooth);
  assert.equal(quality.choose("smooth"), false);
  assert.equal(quality.choose("max"), false);
  assert.equal(quality.mode, "smooth");
  assert.equal(quality.choose("sharp"), true);
  assert.equal(quality.profile.framerate, 10);
});

test("Sharp lets a capture leave every 100 ms, a keyframe at once; Auto and Smooth at the capture's pace", () => {
  const quality = new ShareQuality();
  quality.sent(1000);
  assert.equal(quality.wait(1001), 0); // Auto: no interval of its own
  quality.choose("sharp");
  assert.equal(quality.wait(1001), 99);
  assert.equal(quality.wait(1040), 60);
  assert.equal(quality.wait(1040, { keyframe: true }), 0);
  assert.equal(quality.wait(1100), 0);
  quality.sent(1100);
  assert.equal(quality.wait(1133), 67);
  quality.reset(); // a new connection: nothing sent on it yet
  assert.equal(quality.wait(1133), 0);
  assert.equal(quality.mode, "sharp"); // the choice stays
  quality.sent(1133);
  quality.choose("smooth");
  assert.equal(quality.wait(1134), 0);
});

/** A WebCodecs VideoEncoder that records its configurations (node has none). */
class RecordingVideoEncoder {
  static made = [];
  constructor({ output, error }) {
    this.output = output;
    this.error = error;
    this.state = "unconfigured";
    this.configs = [];
    this.encoded = [];
    this.encodeQueueSize = 0;
    RecordingVideoEncoder.made.push(this);
  }
  configure(config) {
    if (this.state === "closed") throw new DOMException("closed", "InvalidStateError");
    this.configs.push(config);
    this.state = "configured";
  }
  encode(frame, options) {
    this.encoded.push(options);
  }
  close() {
    this.state = "closed";
  }
}

test("the video encoder is configured again in place with the new rate, at the same size", () => {
  globalThis.VideoEncoder = RecordingVideoEncoder;
  RecordingVideoEncoder.made = [];
  try {
    const errors = [];
    const encoder = new VideoScreenEncoder({ codec: "h264", onPayload() {}, onError: (e) => errors.push(e), ...aimOf("smooth", DEFAULT_BITRATE) });
    encoder.setRate(aimOf("sharp", DEFAULT_BITRATE)); // not configured yet: the first configure takes it
    assert.equal(RecordingVideoEncoder.made.length, 0);
    const frame = { displayWidth: 1920, displayHeight: 1080, timestamp: 0 };
    encoder.encode(frame, { keyframe: true });
    const [inner] = RecordingVideoEncoder.made;
    assert.deepEqual(
      inner.configs.map((c) => [c.width, c.height, c.bitrate, c.framerate, c.latencyMode]),
      [[1920, 1080, DEFAULT_BITRATE, 10, "realtime"]],
    );
    encoder.setRate(aimOf("smooth", DEFAULT_BITRATE));
    encoder.setRate(aimOf("smooth", DEFAULT_BITRATE)); // unchanged: not configured again
    assert.equal(RecordingVideoEncoder.made.length, 1); // the same encoder, the same stream
    assert.deepEqual(
      inner.configs.map((c) => [c.width, c.height, c.bitrate, c.framerate, c.codec]),
      [
        [1920, 1080, DEFAULT_BITRATE, 10, "avc1.42E028"],
        [1920, 1080, 4_000_000, 30, "avc1.42E028"],
      ],
    );
    assert.deepEqual([encoder.bitrate, encoder.framerate], [4_000_000, 30]);
    inner.configure = () => {
      // A configuration the browser refuses: the encoder's one error, and it closes.
      throw new TypeError("bad config");
    };
    encoder.setRate(aimOf("auto", DEFAULT_BITRATE));
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /H\.264 encoding failed: bad config/);
    assert.equal(encoder.encoder, null);
  } finally {
    delete globalThis.VideoEncoder;
  }
});

test("the JPEG fallback takes the choice's quality from its next frame", () => {
  const jpeg = new JpegScreenEncoder({ onPayload() {}, onError() {} });
  assert.equal(jpeg.quality, JPEG_QUALITY);
  jpeg.setRate(aimOf("sharp", 1_000_000));
  assert.equal(jpeg.quality, 0.9);
  jpeg.setRate(aimOf("smooth", 1_000_000));
  assert.equal(jpeg.quality, 0.6);
});
