/**
 * The browser sharer's video encoder: captured VideoFrames in, video payloads (frame kind 1) out,
 * in the format the console already draws (docs/protocol.md section 5; core/media.js).
 *
 * - H.264 through WebCodecs `VideoEncoder` (constrained baseline, Annex B, no B-frames, realtime):
 *   each frame is one full-screen H.264 tile (encoding 5: a flags byte, then the access unit);
 *   keyframes carry SPS and PPS in band, which is what the console configures its decoder from.
 * - VP8 the same way (encoding 6: a flags byte, then the frame), where the browser cannot encode
 *   H.264 (Chromium builds without an H.264 encoder, some Firefox set-ups).
 * - JPEG (encoding 2), one full-screen tile, for a console that decodes neither (its `refresh`
 *   names no video codec) or a browser that encodes neither: every console draws it.
 *
 * The tile's size must be even (4:2:0): an odd captured width or height loses its last column
 * or row (a visibleRect crop, no copy). Every output is a keyframe-flagged or delta payload, in
 * the order of the calls.
 */

import { MediaError } from "./errors.js";
import { encodeVideo, H264_KEYFRAME, TileEncoding } from "./media.js";

/**
 * The sharer app's default ceiling (sharer/codecs/h264.py, bitrate.js's CEILING_BITRATE): what
 * `isConfigSupported` is asked at, and an encoder's rate when none is given (the page gives the
 * link's target: core/share-quality.js).
 */
export const DEFAULT_BITRATE = 6_000_000;
/** The frame rate the encoder's rate control plans for: what the page asks the capture for. */
export const DEFAULT_FRAMERATE = 30;
/** JPEG quality of the fallback: the app's default for photo-like tiles. */
export const JPEG_QUALITY = 0.7;
/** Constrained baseline, by level: 3.1 holds 1280x720, 4.0 1920x1080 (2048x1088), 5.1 4K. */
const LEVELS = [
  [1280 * 720, "avc1.42E01F"],
  [2048 * 1088, "avc1.42E028"],
  [4096 * 2304, "avc1.42E033"],
];

/** The H.264 codec string for a picture of `width` x `height`. */
export function h264Codec(width, height) {
  const pixels = width * height;
  for (const [most, codec] of LEVELS) if (pixels <= most) return codec;
  return LEVELS[LEVELS.length - 1][1];
}

/** The even size a tile of the captured picture has (4:2:0 needs even sides). */
export function evenSize(width, height) {
  return { width: width & ~1, height: height & ~1 };
}

/** A video payload of one full-screen tile. */
export function fullScreenPayload(width, height, encoding, data) {
  return encodeVideo({ width, height, tiles: [{ x: 0, y: 0, width, height, encoding, data }] });
}

/** A video tile's data (H.264 access unit or VP8 frame): flags byte (keyframe or not), the unit. */
export function h264Tile(unit, keyframe) {
  const data = new Uint8Array(unit.length + 1);
  data[0] = keyframe ? H264_KEYFRAME : 0;
  data.set(unit, 1);
  return data;
}

/**
 * The video codecs the page encodes, by the name a console's `refresh` gives them, in order of
 * preference: the tile encoding each goes in, what people read, and its WebCodecs settings.
 */
export const VIDEO_CODECS = Object.freeze({
  h264: Object.freeze({
    encoding: TileEncoding.H264,
    name: "H.264",
    config: (width, height) => ({ codec: h264Codec(width, height), avc: { format: "annexb" } }),
  }),
  vp8: Object.freeze({ encoding: TileEncoding.VP8, name: "VP8", config: () => ({ codec: "vp8" }) }),
});

/** Whether this browser encodes `codec` at `width` x `height` (resolves false, never rejects). */
export async function videoEncodeSupported(codec, width, height) {
  if (typeof VideoEncoder === "undefined" || !VIDEO_CODECS[codec]) return false;
  try {
    const answer = await VideoEncoder.isConfigSupported(videoConfig(codec, width, height, DEFAULT_BITRATE));
    return answer.supported === true;
  } catch {
    return false;
  }
}

/** The codecs of VIDEO_CODECS this browser encodes at `width` x `height`, preferred first. */
export async function encodableCodecs(width, height) {
  const names = Object.keys(VIDEO_CODECS);
  const supported = await Promise.all(names.map((name) => videoEncodeSupported(name, width, height)));
  return names.filter((_, i) => supported[i]);
}

function videoConfig(codec, width, height, bitrate, framerate = DEFAULT_FRAMERATE) {
  return {
    width,
    height,
    bitrate,
    framerate,
    latencyMode: "realtime",
    hardwareAcceleration: "no-preference",
    ...VIDEO_CODECS[codec].config(width, height),
  };
}

export class VideoScreenEncoder {
  /**
   * @param {{codec: "h264" | "vp8",
   *          onPayload: (payload: Uint8Array, info: {keyframe: boolean, timestampUs: number}) => void,
   *          onError: (error: MediaError) => void, bitrate?: number, framerate?: number}} options
   *   onPayload gets each video payload in order; onError once, after which the encoder is closed
   */
  constructor({ codec, onPayload, onError, bitrate = DEFAULT_BITRATE, framerate = DEFAULT_FRAMERATE }) {
    if (!VIDEO_CODECS[codec]) throw new MediaError(`The page cannot encode ${codec} video.`);
    this.codec = codec;
    this.onPayload = onPayload;
    this.onError = onError;
    /** What the encoder is (or will be) configured with: bits/s and frames/s. */
    this.bitrate = bitrate;
    this.framerate = framerate;
    this.encoder = null;
    this.size = null;
    /** Capture timestamps (us since the epoch) by the frame's own timestamp, until output. */
    this.captured = new Map();
  }

  /** Frames waiting inside the encoder: the caller drops captures while this is not 0. */
  get busy() {
    return this.encoder !== null && this.encoder.encodeQueueSize > 0;
  }

  /**
   * Encode one captured frame (the caller still closes it). `capturedAtUs`: when it was taken,
   * microseconds since the epoch, carried to the frame header for the console's latency figure.
   */
  encode(frame, { keyframe = false, capturedAtUs = 0 } = {}) {
    const size = evenSize(frame.displayWidth, frame.displayHeight);
    if (size.width === 0 || size.height === 0) return;
    let newStream = false;
    if (!this.encoder || this.encoder.state === "closed" || this.size.width !== size.width || this.size.height !== size.height) {
      this.configure(size);
      newStream = true;
    }
    const source =
      size.width === frame.displayWidth && size.height === frame.displayHeight
        ? frame
        : new VideoFrame(frame, { visibleRect: { x: 0, y: 0, width: size.width, height: size.height } });
    try {
      this.captured.set(source.timestamp, capturedAtUs);
      this.encoder.encode(source, { keyFrame: keyframe || newStream });
    } catch (error) {
      this.fail(error);
    } finally {
      if (source !== frame) source.close();
    }
  }

  configure(size) {
    this.close();
    if (typeof VideoEncoder === "undefined") throw new MediaError("This browser has no WebCodecs video encoder.");
    this.size = size;
    this.encoder = new VideoEncoder({
      output: (chunk) => this.output(chunk),
      error: (error) => this.fail(error),
    });
    this.encoder.configure(videoConfig(this.codec, size.width, size.height, this.bitrate, this.framerate));
  }

  /**
   * Aim at `bitrate` bits/s and `framerate` frames/s from the next frame on (the helper's
   * quality choice). A configured encoder is configured again in place: WebCodecs queues the
   * new configuration behind the frames already given, and the stream goes on at the same size.
   */
  setRate({ bitrate, framerate }) {
    if (bitrate === this.bitrate && framerate === this.framerate) return;
    this.bitrate = bitrate;
    this.framerate = framerate;
    if (this.encoder?.state !== "configured") return; // the next configure() takes them
    try {
      this.encoder.configure(videoConfig(this.codec, this.size.width, this.size.height, bitrate, framerate));
    } catch (error) {
      this.fail(error);
    }
  }

  output(chunk) {
    const unit = new Uint8Array(chunk.byteLength);
    chunk.copyTo(unit);
    const keyframe = chunk.type === "key";
    const capturedAtUs = this.captured.get(chunk.timestamp) ?? 0;
    this.captured.delete(chunk.timestamp);
    const { width, height } = this.size;
    const payload = fullScreenPayload(width, height, VIDEO_CODECS[this.codec].encoding, h264Tile(unit, keyframe));
    this.onPayload(payload, { keyframe, timestampUs: capturedAtUs });
  }

  fail(error) {
    this.close();
    const name = VIDEO_CODECS[this.codec].name;
    this.onError(error instanceof MediaError ? error : new MediaError(`${name} encoding failed: ${error.message}`));
  }

  close() {
    if (this.encoder && this.encoder.state !== "closed") {
      try {
        this.encoder.close();
      } catch {
        // closed by an error already
      }
    }
    this.encoder = null;
    this.captured.clear();
  }
}

/**
 * The fallback: each frame as one full-screen JPEG tile (a keyframe every time: JPEG frames
 * stand alone). Drawn through an OffscreenCanvas, off the page's layout.
 */
export class JpegScreenEncoder {
  constructor({ onPayload, onError, quality = JPEG_QUALITY }) {
    this.onPayload = onPayload;
    this.onError = onError;
    this.quality = quality;
    this.canvas = null;
    this.pending = 0;
  }

  get busy() {
    return this.pending > 0;
  }

  /** The quality (0-1) from the next frame on; bitrate and frame rate mean nothing to JPEG. */
  setRate({ jpegQuality }) {
    this.quality = jpegQuality;
  }

  encode(frame, { capturedAtUs = 0 } = {}) {
    const { width, height } = evenSize(frame.displayWidth, frame.displayHeight);
    if (width === 0 || height === 0) return;
    if (!this.canvas || this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas = new OffscreenCanvas(width, height);
    }
    this.canvas.getContext("2d").drawImage(frame, 0, 0);
    this.pending += 1;
    this.canvas
      .convertToBlob({ type: "image/jpeg", quality: this.quality })
      .then(async (blob) => {
        const data = new Uint8Array(await blob.arrayBuffer());
        this.onPayload(fullScreenPayload(width, height, TileEncoding.JPEG, data), { keyframe: true, timestampUs: capturedAtUs });
      })
      .catch((error) => this.onError(new MediaError(`JPEG encoding failed: ${error.message}`)))
      .finally(() => {
        this.pending -= 1;
      });
  }

  close() {
    this.canvas = null;
  }
}
