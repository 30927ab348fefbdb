// The browser sharer's answer to the helper's quality choice (core/share-quality.js): what each
// choice aims the encoder at, Sharp's least capture interval (time is an argument), and the
// video encoder configured again in place when the choice changes (a recording VideoEncoder).
import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULT_BITRATE, JPEG_QUALITY, JpegScreenEncoder, VideoScreenEncoder } from "../../src/quickassist/service/console/core/encoder.js";
import { QUALITY_MODES } from "../../src/quickassist/service/console/core/payloads.js";
import { QUALITY_PROFILES, ShareQuality } from "../../src/quickassist/service/console/core/share-quality.js";

const bitsPerFrame = ({ bitrate, framerate }) => bitrate / framerate;

test("each choice of the console's has a profile: Sharp more bits a frame, Smooth fewer, Auto the defaults", () => {
  assert.deepEqual(Object.keys(QUALITY_PROFILES).sort(), [...QUALITY_MODES].sort());
  const { auto, sharp, smooth } = QUALITY_PROFILES;
  assert.deepEqual(auto, { bitrate: DEFAULT_BITRATE, framerate: 30, jpegQuality: JPEG_QUALITY, intervalMs: 0 });
  // Sharp: the app's 10 captures a second, three times Auto's bits in each.
  assert.equal(sharp.intervalMs, 100);
  assert.equal(sharp.framerate, 1000 / sharp.intervalMs);
  assert.equal(bitsPerFrame(sharp), 3 * bitsPerFrame(auto));
  assert.ok(sharp.bitrate <= DEFAULT_BITRATE); // never more than the link budget of Auto
  // Smooth: every frame, each crossing in 20/30 of Auto's time (quality.py's frame budgets).
  assert.equal(smooth.intervalMs, 0);
  assert.equal(smooth.framerate, 30);
  assert.equal(smooth.bitrate, 4_000_000);
  assert.ok(smooth.jpegQuality < auto.jpegQuality && auto.jpegQuality < sharp.jpegQuality);
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
    const encoder = new VideoScreenEncoder({ codec: "h264", onPayload() {}, onError: (e) => errors.push(e), ...QUALITY_PROFILES.smooth });
    encoder.setRate(QUALITY_PROFILES.sharp); // not configured yet: the first configure takes it
    assert.equal(RecordingVideoEncoder.made.length, 0);
    const frame = { displayWidth: 1920, displayHeight: 1080, timestamp: 0 };
    encoder.encode(frame, { keyframe: true });
    const [inner] = RecordingVideoEncoder.made;
    assert.deepEqual(
      inner.configs.map((c) => [c.width, c.height, c.bitrate, c.framerate, c.latencyMode]),
      [[1920, 1080, DEFAULT_BITRATE, 10, "realtime"]],
    );
    encoder.setRate(QUALITY_PROFILES.smooth);
    encoder.setRate(QUALITY_PROFILES.smooth); // unchanged: not configured again
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
    encoder.setRate(QUALITY_PROFILES.auto);
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
  jpeg.setRate(QUALITY_PROFILES.sharp);
  assert.equal(jpeg.quality, 0.9);
  jpeg.setRate(QUALITY_PROFILES.smooth);
  assert.equal(jpeg.quality, 0.6);
});
