/**
 * Draws the sharer's screen and pointer on canvases.
 *
 * Video tiles are decoded off the main thread by createImageBitmap (from a Blob of the PNG or
 * JPEG bytes) the moment a frame arrives; palette tiles are inflated by DecompressionStream,
 * unpacked here and put on the canvas with putImageData (a copy: going through an ImageBitmap
 * cost more than the unpacking, and the pixels are already decoded); solid tiles are a fillRect;
 * copy tiles (a scroll) move part of the canvas with drawImage of the canvas onto itself (the
 * source is read as if copied first, so overlap is safe); H.264 and VP8 tiles go through
 * WebCodecs (decoders/webcodecs.js) and the VideoFrame is drawn like an image.
 * Decoding of
 * consecutive frames overlaps, drawing keeps frame order (tiles are deltas: a later frame must
 * not be painted under an earlier one). Nothing is drawn on a timer.
 *
 * Events (EventTarget): "resize" detail {width, height} when the remote screen size changes;
 * "drawn" detail {timestampUs} after a frame is on the canvas; "error" detail {error, video}
 * when a tile cannot be decoded (the frame is skipped; the UI asks for a keyframe; `video`:
 * it was H.264 or VP8, and the UI falls back to tiles for a while: core/video-fallback.js).
 */

import { TILE_MIME, TileEncoding } from "./media.js";
import { PaletteDecoder } from "./palette.js";
import { isVideoTile, VideoTileDecoder } from "./decoders/webcodecs.js";

export class Display extends EventTarget {
  /** @param {HTMLCanvasElement} screen  @param {HTMLCanvasElement} cursorLayer */
  constructor(screen, cursorLayer) {
    super();
    this.screen = screen;
    this.ctx = screen.getContext("2d", { alpha: false });
    this.cursorLayer = cursorLayer;
    this.cursorCtx = cursorLayer.getContext("2d");
    this.queue = Promise.resolve();
    this.cursor = { x: 0, y: 0, visible: false };
    this.cursorImage = null;
    this.cursorHotspot = { x: 0, y: 0 };
    this.hasPicture = false;
    /** Frames handed to drawVideo and not painted yet (decoding or waiting their turn). */
    this.pending = 0;
    /** Bumped by clear(): frames decoded for an earlier picture are not painted. */
    this.generation = 0;
    /** Holds the last palette of palette tiles (they may reuse it). */
    this.palettes = new PaletteDecoder();
    /** The one video stream (H.264 or VP8; it keeps state from picture to picture). */
    this.video = new VideoTileDecoder();
  }

  get width() {
    return this.screen.width;
  }

  get height() {
    return this.screen.height;
  }

  /**
   * Decode and draw one parsed video payload (media.js parseVideo) captured at `timestampUs`.
   * Returns a promise that settles once it is drawn (or skipped).
   */
  drawVideo(video, timestampUs = 0) {
    // (Palette tiles settle their palette here, in payload order: a tile may reuse the last.)
    const decoded = video.tiles.map((tile) => {
      if (tile.encoding === TileEncoding.SOLID || tile.encoding === TileEncoding.COPY) {
        return Promise.resolve(null);
      }
      if (isVideoTile(tile)) return this.video.decode(tile);
      if (tile.encoding === TileEncoding.PALETTE) {
        return this.palettes
          .decode(tile)
          .then(({ width, height, rgba }) => new ImageData(rgba, width, height));
      }
      return createImageBitmap(new Blob([tile.data], { type: TILE_MIME[tile.encoding] }));
    });
    // Decoding starts now for every tile of every frame; painting waits for earlier frames.
    const settled = Promise.allSettled(decoded);
    const generation = this.generation;
    this.pending += 1;
    this.queue = this.queue.then(async () => {
      const results = await settled;
      this.pending -= 1;
      if (generation !== this.generation) {
        results.forEach((r) => r.status === "fulfilled" && r.value?.close?.());
        return;
      }
      const failed = results.findIndex((r) => r.status === "rejected");
      if (failed >= 0) {
        results.forEach((r) => r.status === "fulfilled" && r.value?.close?.());
        const isVideo = isVideoTile(video.tiles[failed]);
        this.emit("error", { error: results[failed].reason, video: isVideo });
        return;
      }
      this.paint(video, results.map((r) => r.value));
      this.emit("drawn", { timestampUs });
    });
    return this.queue;
  }

  paint(video, bitmaps) {
    if (this.screen.width !== video.width || this.screen.height !== video.height) {
      this.screen.width = video.width;
      this.screen.height = video.height;
      this.cursorLayer.width = video.width;
      this.cursorLayer.height = video.height;
      this.emit("resize", { width: video.width, height: video.height });
      this.drawCursor();
    }
    video.tiles.forEach((tile, i) => {
      const bitmap = bitmaps[i];
      if (tile.encoding === TileEncoding.COPY) {
        const { x, y } = tile.source;
        this.ctx.drawImage(this.screen, x, y, tile.width, tile.height, tile.x, tile.y, tile.width, tile.height);
      } else if (bitmap instanceof ImageData) {
        this.ctx.putImageData(bitmap, tile.x, tile.y);
      } else if (bitmap) {
        this.ctx.drawImage(bitmap, tile.x, tile.y, tile.width, tile.height);
        bitmap.close();
      } else {
        const [r, g, b, a] = tile.data;
        this.ctx.fillStyle = `rgba(${r}, ${g}, ${b}, ${a / 255})`;
        this.ctx.fillRect(tile.x, tile.y, tile.width, tile.height);
      }
    });
    this.hasPicture = true;
  }

  /**
   * End the video stream: the next video tile must be a keyframe, and it starts a new WebCodecs
   * decoder (one closed by an error never decodes again). The picture stays.
   */
  restartVideo() {
    this.video.close();
  }

  /**
   * Forget the picture (a session ended or a new one starts): nothing of one sharer's screen
   * stays for the next, not even frames still decoding.
   */
  clear() {
    this.generation += 1;
    this.palettes = new PaletteDecoder();
    this.video.close();
    for (const canvas of [this.screen, this.cursorLayer]) {
      canvas.width = 1;
      canvas.height = 1;
    }
    this.cursor = { x: 0, y: 0, visible: false };
    this.cursorImage?.close();
    this.cursorImage = null;
    this.hasPicture = false;
  }

  /** Apply a cursor payload (payloads.js): position, visibility and maybe a new shape. */
  async setCursor(update) {
    if (update.shape) {
      try {
        const bitmap = await createImageBitmap(new Blob([update.shape.png], { type: "image/png" }));
        this.cursorImage?.close();
        this.cursorImage = bitmap;
        this.cursorHotspot = { x: update.shape.hotspot_x, y: update.shape.hotspot_y };
      } catch (error) {
        this.emit("error", { error });
      }
    }
    this.cursor = { x: update.x, y: update.y, visible: update.visible };
    this.drawCursor();
  }

  drawCursor() {
    const ctx = this.cursorCtx;
    ctx.clearRect(0, 0, this.cursorLayer.width, this.cursorLayer.height);
    if (!this.cursor.visible) return;
    const { x, y } = this.cursor;
    if (this.cursorImage) {
      ctx.drawImage(this.cursorImage, x - this.cursorHotspot.x, y - this.cursorHotspot.y);
      return;
    }
    // No shape yet: a plain arrow, so the helper still sees where the pointer is.
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x, y + 17);
    ctx.lineTo(x + 4.5, y + 13);
    ctx.lineTo(x + 8, y + 20);
    ctx.lineTo(x + 10.5, y + 19);
    ctx.lineTo(x + 7, y + 12);
    ctx.lineTo(x + 12.5, y + 12);
    ctx.closePath();
    ctx.fillStyle = "#000";
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1;
    ctx.fill();
    ctx.stroke();
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
