/**
 * H.264 tiles (video tile encoding 5, docs/protocol.md section 5) through WebCodecs
 * `VideoDecoder`: one stream, one access unit (Annex B) per tile, one VideoFrame out per tile,
 * in order (the sharer sends no B-frames, so decode order is display order).
 *
 * A keyframe tile (flags bit 0) carries SPS and PPS: the decoder is configured from them
 * (profile and level give the codec string, the tile its size), so a keyframe of a new size
 * starts a new stream. Nothing is decoded before the first keyframe.
 *
 * Failures reject with MediaError and leave the decoder closed: a delta without a keyframe, a
 * decoder error (corrupt or unsupported data), or a browser that has no H.264 at all. The
 * display reports them; the viewer then falls back to tiles and asks for a keyframe.
 */

import { MediaError } from "../errors.js";
import { H264_KEYFRAME } from "../media.js";

/** What `h264Supported` asks for: constrained baseline, level 4.0 (1080p at 30 fps). */
export const PROBE_CONFIG = Object.freeze({ codec: "avc1.42E028", codedWidth: 1920, codedHeight: 1080 });
const NAL_SPS = 7;
/**
 * A picture not out of the decoder this long after its tile went in counts as failed: painting
 * keeps frame order, so one picture that never comes would hold every later frame back (a
 * software decode of 1080p takes 2-7 ms here: PLATFORM-NOTES, "Video in the browser").
 */
export const DECODE_TIMEOUT_MS = 1000;

/** Whether this browser decodes H.264 through WebCodecs (resolves false, never rejects). */
export async function h264Supported() {
  if (typeof VideoDecoder === "undefined") return false;
  try {
    const answer = await VideoDecoder.isConfigSupported(PROBE_CONFIG);
    return answer.supported === true;
  } catch {
    return false;
  }
}

export class H264Decoder {
  constructor() {
    this.decoder = null;
    this.config = null;
    /** Pictures waiting to come out, in decode order: {timestamp, resolve, reject, timer}. */
    this.waiting = [];
    this.timestamp = 0;
  }

  /**
   * Decode one parsed H.264 tile ({width, height, data}); resolves to a VideoFrame (the caller
   * draws and closes it). Call in payload order: decode order is the order of calls.
   */
  decode(tile) {
    const keyframe = (tile.data[0] & H264_KEYFRAME) !== 0;
    const unit = tile.data.subarray(1);
    try {
      if (keyframe) this.configure(unit, tile);
      if (!this.decoder) throw new MediaError("An H.264 delta arrived before its keyframe.");
      this.timestamp += 1;
      const timestamp = this.timestamp;
      const picture = new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => this.fail(new MediaError("The H.264 decoder gave no picture for a tile.")),
          DECODE_TIMEOUT_MS,
        );
        this.waiting.push({ timestamp, resolve, reject, timer });
      });
      // (The chunk copies the bytes: the payload's buffer may go.)
      this.decoder.decode(
        new EncodedVideoChunk({ type: keyframe ? "key" : "delta", timestamp: this.timestamp, data: unit }),
      );
      return picture;
    } catch (error) {
      this.fail(error);
      return Promise.reject(error instanceof MediaError ? error : new MediaError(`H.264 decoding failed: ${error.message}`));
    }
  }

  configure(unit, tile) {
    const codec = codecFromSps(unit);
    const config = { codec, codedWidth: tile.width, codedHeight: tile.height, optimizeForLatency: true };
    if (this.decoder && this.decoder.state !== "closed" && sameConfig(config, this.config)) return;
    this.close();
    if (typeof VideoDecoder === "undefined") throw new MediaError("This browser has no WebCodecs video decoder.");
    this.decoder = new VideoDecoder({
      output: (frame) => this.output(frame),
      error: (error) => this.fail(new MediaError(`H.264 decoding failed: ${error.message}`)),
    });
    this.decoder.configure(config);
    this.config = config;
  }

  /** A picture came out: it belongs to the tile of its timestamp; tiles before it gave none. */
  output(frame) {
    const index = this.waiting.findIndex((w) => w.timestamp === frame.timestamp);
    if (index < 0) {
      frame.close();
      return;
    }
    const skipped = this.waiting.splice(0, index + 1);
    const mine = skipped.pop();
    clearTimeout(mine.timer);
    if (skipped.length) {
      frame.close();
      this.fail(new MediaError("The H.264 decoder skipped a picture."), skipped.concat(mine));
      return;
    }
    mine.resolve(frame);
  }

  /** Reject everything waiting and close: the next tile must be a keyframe. */
  fail(error, also = []) {
    const waiting = also.concat(this.waiting);
    this.waiting = [];
    const reason = error instanceof MediaError ? error : new MediaError(String(error));
    for (const { reject, timer } of waiting) {
      clearTimeout(timer);
      reject(reason);
    }
    this.close();
  }

  close() {
    if (this.decoder && this.decoder.state !== "closed") {
      try {
        this.decoder.close();
      } catch {
        // already closed by an error
      }
    }
    this.decoder = null;
    this.config = null;
  }
}

/** "avc1.PPCCLL" from the first SPS of an Annex B access unit (profile, constraints, level). */
export function codecFromSps(unit) {
  for (let i = 0; i + 3 < unit.length; i++) {
    // A start code (00 00 01, maybe after another 00) then the NAL header.
    if (unit[i] === 0 && unit[i + 1] === 0 && unit[i + 2] === 1) {
      if ((unit[i + 3] & 0x1f) === NAL_SPS) {
        if (i + 6 >= unit.length) break;
        const hex = (b) => b.toString(16).padStart(2, "0");
        return `avc1.${hex(unit[i + 4])}${hex(unit[i + 5])}${hex(unit[i + 6])}`;
      }
      i += 2;
    }
  }
  throw new MediaError("An H.264 keyframe without its sequence parameter set.");
}

function sameConfig(a, b) {
  return b && a.codec === b.codec && a.codedWidth === b.codedWidth && a.codedHeight === b.codedHeight;
}
