/**
 * The video payload (frame kind 1): changed screen tiles of the shared monitor
 * (the twin of protocol/media.py; docs/protocol.md section 5).
 *
 *     var screen_width, var screen_height
 *     then tiles to the payload's end: { var x, var y, var w, var h, u8 encoding,
 *                                        var length, bytes[length] }
 *
 * `var`: an unsigned LEB128 varint (7 bits a byte, low group first, high bit set on all but the
 * last byte), in its shortest form, at most 4 bytes. No tile count: tiles run to the end.
 *
 * COPY (a scroll): u16 source_x, u16 source_y; the w x h pixels there, as the canvas has them when
 * this tile is reached, move to (x, y). H264 (motion): u8 flags (bit 0: keyframe), then one
 * H.264 access unit (Annex B), the next picture of the one stream, drawn scaled into w x h (coded
 * at w x h, even sizes, or smaller when the sharer's CPU is short; a new size only at a keyframe).
 * VP8 (the browser sharer without H.264 encode): the same with one VP8 frame.
 * Tiles apply in payload order.
 *
 * `parseVideo` checks structure only (sizes, bounds, counts) and never decodes images; tile
 * data are views into the payload, not copies. Errors are FrameError, as on the Python side.
 */

import { FrameError, TruncatedFrame } from "./errors.js";

export const MAX_DIMENSION = 0xffff;
export const MAX_TILES = 0xffff;
export const MAX_VARINT_BYTES = 4;
export const SOLID_SIZE = 4;
export const COPY_SIZE = 4;
/** Bit 0 of an H.264 (or VP8) tile's flags byte: a keyframe (H.264: an IDR with SPS and PPS). */
export const H264_KEYFRAME = 0x01;

/** PALETTE: a colour table and DEFLATE-packed indices (palette.js decodes it). */
export const TileEncoding = Object.freeze({ SOLID: 0, PNG: 1, JPEG: 2, PALETTE: 3, COPY: 4, H264: 5, VP8: 6 });
/**
 * The video stream tiles (a flags byte, then one picture, even sizes): the WebCodecs codec
 * family each is decoded with (decoders/webcodecs.js), and how errors name them.
 */
export const VIDEO_TILES = Object.freeze({
  [TileEncoding.H264]: Object.freeze({ codec: "h264", what: "An H.264 tile", picture: "an access unit" }),
  [TileEncoding.VP8]: Object.freeze({ codec: "vp8", what: "A VP8 tile", picture: "a frame" }),
});
/** MIME type per image encoding, for `new Blob([data], {type})`. */
export const TILE_MIME = Object.freeze({ 1: "image/png", 2: "image/jpeg" });

/**
 * Read a whole video payload.
 * @param {Uint8Array} data
 * @returns {{width: number, height: number,
 *            tiles: {x: number, y: number, width: number, height: number,
 *                    encoding: number, data: Uint8Array}[]}}
 */
export function parseVideo(data) {
  const reader = { data, offset: 0 };
  const width = readVarint(reader, "the screen width");
  const height = readVarint(reader, "the screen height");
  checkScreen(width, height);
  const tiles = [];
  while (reader.offset < data.length) {
    const index = tiles.length;
    if (index === MAX_TILES) throw new FrameError(`A video payload may hold at most ${MAX_TILES} tiles.`);
    const where = `the head of tile ${index}`;
    const x = readVarint(reader, where);
    const y = readVarint(reader, where);
    const w = readVarint(reader, where);
    const h = readVarint(reader, where);
    if (reader.offset >= data.length) throw new TruncatedFrame(`The video payload ends inside ${where}.`);
    const encoding = data[reader.offset];
    reader.offset += 1;
    const length = readVarint(reader, where);
    const offset = reader.offset;
    if (data.length - offset < length) {
      throw new TruncatedFrame(`The video payload ends inside the data of tile ${index}.`);
    }
    if (!Object.values(TileEncoding).includes(encoding)) {
      throw new FrameError(`Tile ${index} has an unknown encoding ${encoding}.`);
    }
    const tile = { x, y, width: w, height: h, encoding, data: data.subarray(offset, offset + length) };
    checkTile(tile, width, height);
    if (encoding === TileEncoding.COPY) tile.source = copySource(tile.data);
    tiles.push(tile);
    reader.offset = offset + length;
  }
  return { width, height, tiles };
}

/** The varint at `reader.offset` (moved past it); only the shortest form is accepted. */
function readVarint(reader, where) {
  let value = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (reader.offset + i >= reader.data.length) throw new TruncatedFrame(`The video payload ends inside ${where}.`);
    const byte = reader.data[reader.offset + i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (!(byte & 0x80)) {
      if (byte === 0 && i) throw new FrameError(`A number in ${where} is not in its shortest form.`);
      reader.offset += i + 1;
      return value;
    }
  }
  throw new FrameError(`A number in ${where} is longer than ${MAX_VARINT_BYTES} bytes.`);
}

/** The bytes of `value` as a varint. */
function varint(value) {
  if (!(Number.isInteger(value) && value >= 0 && value < 2 ** (7 * MAX_VARINT_BYTES))) {
    throw new FrameError(`A video payload cannot carry the number ${value}.`);
  }
  const out = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/** The bytes of a video payload (used by tests and tools; the console only receives video). */
export function encodeVideo({ width, height, tiles }) {
  checkScreen(width, height);
  if (tiles.length > MAX_TILES) throw new FrameError(`A video payload may hold at most ${MAX_TILES} tiles.`);
  tiles.forEach((tile) => checkTile(tile, width, height));
  const heads = tiles.map((t) => [...varint(t.x), ...varint(t.y), ...varint(t.width), ...varint(t.height), t.encoding, ...varint(t.data.length)]);
  const screen = [...varint(width), ...varint(height)];
  const size = tiles.reduce((n, t, i) => n + heads[i].length + t.data.length, screen.length);
  const out = new Uint8Array(size);
  out.set(screen);
  let offset = screen.length;
  tiles.forEach((t, i) => {
    out.set(heads[i], offset);
    out.set(t.data, offset + heads[i].length);
    offset += heads[i].length + t.data.length;
  });
  return out;
}

function checkScreen(width, height) {
  if (!(width > 0 && width <= MAX_DIMENSION && height > 0 && height <= MAX_DIMENSION)) {
    throw new FrameError(`A video payload cannot describe a ${width}x${height} screen.`);
  }
}

function checkTile(tile, screenWidth, screenHeight) {
  if (tile.width <= 0 || tile.height <= 0 || tile.x < 0 || tile.y < 0) {
    throw new FrameError("A tile must be a non-empty rectangle.");
  }
  if (tile.x + tile.width > screenWidth || tile.y + tile.height > screenHeight) {
    throw new FrameError(
      `The tile ${tile.width}x${tile.height} at (${tile.x}, ${tile.y}) lies outside the ` +
        `${screenWidth}x${screenHeight} screen.`,
    );
  }
  if (tile.encoding === TileEncoding.SOLID && tile.data.length !== SOLID_SIZE) {
    throw new FrameError(`A solid tile carries ${SOLID_SIZE} bytes (R, G, B, A).`);
  }
  if (tile.encoding === TileEncoding.COPY) {
    if (tile.data.length !== COPY_SIZE) {
      throw new FrameError(`A copy tile carries ${COPY_SIZE} bytes (source x, source y).`);
    }
    const { x, y } = copySource(tile.data);
    if (x + tile.width > screenWidth || y + tile.height > screenHeight) {
      throw new FrameError(
        `The copy source ${tile.width}x${tile.height} at (${x}, ${y}) lies outside the ` +
          `${screenWidth}x${screenHeight} screen.`,
      );
    }
  }
  const video = VIDEO_TILES[tile.encoding];
  if (video) {
    if (tile.width % 2 || tile.height % 2) throw new FrameError(`${video.what} has an even width and height.`);
    if (tile.data.length < 2 || tile.data[0] & ~H264_KEYFRAME) {
      throw new FrameError(`${video.what} is a flags byte (0 or 1) and ${video.picture}.`);
    }
  }
  if (tile.encoding !== TileEncoding.SOLID && tile.data.length === 0) {
    throw new FrameError("An image tile cannot be empty.");
  }
  // A palette tile: its count, that many RGB triples, then at least one byte of DEFLATE.
  if (tile.encoding === TileEncoding.PALETTE && tile.data.length < 2 + 3 * tile.data[0]) {
    throw new FrameError("A palette tile ends inside its palette.");
  }
}

/** The source corner of a COPY tile's 4 bytes. */
function copySource(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { x: view.getUint16(0, true), y: view.getUint16(2, true) };
}
