/**
 * The video payload (frame kind 1): changed screen tiles of the shared monitor
 * (the twin of protocol/media.py; docs/protocol.md section 5).
 *
 *     u16 screen_width, u16 screen_height, u16 tile_count
 *     tile_count x { u16 x, u16 y, u16 w, u16 h, u8 encoding, u32 length, bytes[length] }
 *
 * COPY (a scroll): u16 source_x, u16 source_y; the w x h pixels there, as the canvas has them when
 * this tile is reached, move to (x, y). H264 (motion): u8 flags (bit 0: keyframe), then one
 * H.264 access unit (Annex B) of w x h pixels (even sizes), the next picture of the one stream.
 * VP8 (the browser sharer without H.264 encode): the same with one VP8 frame.
 * Tiles apply in payload order.
 *
 * `parseVideo` checks structure only (sizes, bounds, counts) and never decodes images; tile
 * data are views into the payload, not copies. Errors are FrameError, as on the Python side.
 */

import { FrameError, TruncatedFrame } from "./errors.js";

export const SCREEN_HEADER_SIZE = 6;
export const TILE_HEADER_SIZE = 13;
export const MAX_DIMENSION = 0xffff;
export const MAX_TILES = 0xffff;
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
  if (data.length < SCREEN_HEADER_SIZE) {
    throw new TruncatedFrame(
      `A video payload starts with ${SCREEN_HEADER_SIZE} bytes; got ${data.length}.`,
    );
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const width = view.getUint16(0, true);
  const height = view.getUint16(2, true);
  const count = view.getUint16(4, true);
  checkScreen(width, height);
  let offset = SCREEN_HEADER_SIZE;
  const tiles = [];
  for (let index = 0; index < count; index++) {
    if (data.length - offset < TILE_HEADER_SIZE) {
      throw new TruncatedFrame(`The video payload ends inside the head of tile ${index}.`);
    }
    const x = view.getUint16(offset, true);
    const y = view.getUint16(offset + 2, true);
    const w = view.getUint16(offset + 4, true);
    const h = view.getUint16(offset + 6, true);
    const encoding = view.getUint8(offset + 8);
    const length = view.getUint32(offset + 9, true);
    offset += TILE_HEADER_SIZE;
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
    offset += length;
  }
  if (offset !== data.length) {
    throw new FrameError(`The video payload has ${data.length - offset} bytes after its last tile.`);
  }
  return { width, height, tiles };
}

/** The bytes of a video payload (used by tests and tools; the console only receives video). */
export function encodeVideo({ width, height, tiles }) {
  checkScreen(width, height);
  if (tiles.length > MAX_TILES) throw new FrameError(`A video payload may hold at most ${MAX_TILES} tiles.`);
  tiles.forEach((tile) => checkTile(tile, width, height));
  const size = tiles.reduce((n, t) => n + TILE_HEADER_SIZE + t.data.length, SCREEN_HEADER_SIZE);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, width, true);
  view.setUint16(2, height, true);
  view.setUint16(4, tiles.length, true);
  let offset = SCREEN_HEADER_SIZE;
  for (const t of tiles) {
    view.setUint16(offset, t.x, true);
    view.setUint16(offset + 2, t.y, true);
    view.setUint16(offset + 4, t.width, true);
    view.setUint16(offset + 6, t.height, true);
    view.setUint8(offset + 8, t.encoding);
    view.setUint32(offset + 9, t.data.length, true);
    out.set(t.data, offset + TILE_HEADER_SIZE);
    offset += TILE_HEADER_SIZE + t.data.length;
  }
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
