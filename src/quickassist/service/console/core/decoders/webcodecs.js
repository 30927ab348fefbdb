/**
 * Video stream tiles through WebCodecs `VideoDecoder` (docs/protocol.md section 5): H.264
 * (encoding 5, one Annex B access unit a tile) and VP8 (encoding 6, one frame a tile). One
 * stream, one VideoFrame out per tile, in order (no B-frames: decode order is display order).
 *
 * A keyframe tile (flags bit 0) configures the decoder: its codec family is the tile's encoding,
 * its codec string comes from the picture where the codec has one (H.264: profile and level of
 * the SPS), its size from the tile; so a keyframe of a new size or another codec starts a new
 * stream. Nothing is decoded before the first keyframe, and a delta of another codec than the
 * stream's is refused.
 *
 * Failures reject with MediaError and leave the decoder closed: a delta without its keyframe, a
 * decoder error (corrupt or unsupported data, or the browser reclaiming the decoder), or a
 * browser without WebCodecs. A closed `VideoDecoder` never decodes again: the next keyframe tile
 * makes a new one. The error keeps its cause (the browser's DOMException; for a delta with no
 * decoder, what closed the last one), so the viewer can tell a reclaimed decoder from bad data
 * (core/video-fallback.js); it falls back to tiles for a while, or just asks for a keyframe.
 */

import { MediaError } from "../errors.js";
import { H264_KEYFRAME, VIDEO_TILES } from "../media.js";

const NAL_SPS = 7;

/**
 * The codecs, by the name a `refresh` gives them: what people read, what `videoDecodeSupported`
 * asks for (H.264: constrained baseline, level 4.0, 1080p at 30 fps; VP8 has no profiles that
 * matter here), and the codec string of a stream from its keyframe.
 */
export const CODECS = Object.freeze({
  h264: Object.freeze({
    name: "H.264",
    probe: Object.freeze({ codec: "avc1.42E028", codedWidth: 1920, codedHeight: 1080 }),
    codecOf: (picture) => codecFromSps(picture),
  }),
  vp8: Object.freeze({
    name: "VP8",
    probe: Object.freeze({ codec: "vp8", codedWidth: 1920, codedHeight: 1080 }),
    codecOf: () => "vp8",
  }),
});

/**
 * A picture not out of the decoder this long after its tile went in counts as failed: painting
 * keeps frame order, so one picture that never comes would hold every later frame back (a
 * software decode of 1080p takes 2-7 ms here: PLATFORM-NOTES, "Video in the browser").
 */
export const DECODE_TIMEOUT_MS = 1000;

/** Whether this browser decodes `codec` ("h264", "vp8") through WebCodecs (never rejects). */
export async function videoDecodeSupported(codec) {
  if (typeof VideoDecoder === "undefined" || !CODECS[codec]) return false;
  try {
    const answer = await VideoDecoder.isConfigSupported(CODECS[codec].probe);
    return answer.supported === true;
  } catch {
    return false;
  }
}

/** The codecs of `CODECS` this browser decodes, in order of preference (H.264 first). */
export async function decodableCodecs() {
  const names = Object.keys(CODECS);
  const supported = await Promise.all(names.map((name) => videoDecodeSupported(name)));
  return names.filter((_, i) => supported[i]);
}

export class VideoTileDecoder {
  constructor() {
    this.decoder = null;
    this.config = null;
    /** The codec family of the stream ("h264", "vp8"), set by its keyframe. */
    this.codec = null;
    /** Pictures waiting to come out, in decode order: {timestamp, resolve, reject, timer}. */
    this.waiting = [];
    this.timestamp = 0;
    /** The MediaError that closed the last decoder, until a keyframe makes a new one. */
    this.closedBy = null;
  }

  /**
   * Decode one parsed video tile ({encoding, width, height, data}); resolves to a VideoFrame
   * (the caller draws and closes it). Call in payload order: decode order is the order of calls.
   */
  decode(tile) {
    const codec = VIDEO_TILES[tile.encoding]?.codec;
    if (!codec) return Promise.reject(new MediaError(`Tile encoding ${tile.encoding} is not a video stream.`));
    const name = CODECS[codec].name;
    const keyframe = (tile.data[0] & H264_KEYFRAME) !== 0;
    const picture = tile.data.subarray(1);
    const failed = (error) =>
      error instanceof MediaError
        ? error
        : new MediaError(`${name} decoding failed: ${error.message}`, { cause: error });
    try {
      if (keyframe) this.configure(codec, picture, tile);
      if (!this.decoder || this.codec !== codec) {
        const cause = this.closedBy ? { cause: this.closedBy } : undefined;
        throw new MediaError(`A ${name} delta arrived before its keyframe.`, cause);
      }
    } catch (error) {
      this.fail(failed(error));
      return Promise.reject(failed(error));
    }
    this.timestamp += 1;
    const timestamp = this.timestamp;
    const out = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new MediaError(`The ${name} decoder gave no picture for a tile.`)),
        DECODE_TIMEOUT_MS,
      );
      this.waiting.push({ timestamp, resolve, reject, timer });
    });
    try {
      // (The chunk copies the bytes: the payload's buffer may go.)
      this.decoder.decode(new EncodedVideoChunk({ type: keyframe ? "key" : "delta", timestamp, data: picture }));
    } catch (error) {
      // Refused at once (VP8: "marked as key but wasn't a key frame"): this tile's picture, and
      // every one waiting, is rejected through `out`, the one promise the caller holds.
      this.fail(failed(error));
    }
    return out;
  }

  configure(codec, picture, tile) {
    const config = {
      codec: CODECS[codec].codecOf(picture),
      codedWidth: tile.width,
      codedHeight: tile.height,
      optimizeForLatency: true,
    };
    if (this.decoder && this.decoder.state !== "closed" && sameConfig(config, this.config)) return;
    this.close();
    if (typeof VideoDecoder === "undefined") throw new MediaError("This browser has no WebCodecs video decoder.");
    this.decoder = new VideoDecoder({
      output: (frame) => this.output(frame),
      // (A reclaimed decoder says so here too: QuotaExceededError, "Codec reclaimed due to
      // inactivity.", with nothing waiting when it was idle.)
      error: (error) =>
        this.fail(new MediaError(`${CODECS[codec].name} decoding failed: ${error.message}`, { cause: error })),
    });
    this.decoder.configure(config);
    this.config = config;
    this.codec = codec;
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
      this.fail(new MediaError(`The ${CODECS[this.codec].name} decoder skipped a picture.`), skipped.concat(mine));
      return;
    }
    mine.resolve(frame);
  }

  /**
   * Reject everything waiting and close: the next tile must be a keyframe. With no decoder
   * open (a delta after a failure), what closed the last one stays the reason on record.
   */
  fail(error, also = []) {
    const waiting = also.concat(this.waiting);
    this.waiting = [];
    const reason = error instanceof MediaError ? error : new MediaError(String(error));
    for (const { reject, timer } of waiting) {
      clearTimeout(timer);
      reject(reason);
    }
    const closedBy = this.decoder ? reason : (this.closedBy ?? reason);
    this.close();
    this.closedBy = closedBy;
  }

  /** Close the decoder (a new session, a new stream): the next tile must be a keyframe. */
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
    this.codec = null;
    this.closedBy = null;
  }
}

/** Whether a parsed tile is a video stream tile (decoded here rather than as an image). */
export function isVideoTile(tile) {
  return tile.encoding in VIDEO_TILES;
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
