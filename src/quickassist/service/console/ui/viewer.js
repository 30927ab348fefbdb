/**
 * The viewer: the sharer's screen on a canvas, fit-to-window or actual size, the remote cursor,
 * the paused overlay, the reconnecting banner, the status line, and full-control input.
 */

import { CODECS, decodableCodecs } from "../core/decoders/webcodecs.js";
import { Display } from "../core/display.js";
import { KeyboardInput, PointerInput, releaseAll } from "../core/input.js";
import { FrameFlags, unwrapTimestampMs } from "../core/frames.js";
import { parseVideo, VIDEO_TILES } from "../core/media.js";
import { frameDrawn, MAX_DRAW_MS, qualityChoice, refresh } from "../core/payloads.js";
import { formatRate, FrameStats } from "../core/stats.js";
import { FailureAction, VideoFallback, VideoMode } from "../core/video-fallback.js";
import { byId } from "./views.js";

const STATUS_INTERVAL_MS = 500;
/**
 * Frames allowed to wait for decoding. Past this the console is behind: it drops the deltas,
 * asks for a keyframe and draws again from there (stale frames are dropped, never piled up).
 */
const MAX_PENDING_FRAMES = 8;

export class Viewer extends EventTarget {
  /**
   * @param {{sendInput: (payload: object) => void, inputAllowed: () => boolean,
   *          requestKeyframe: () => void, sendControl?: (payload: object) => void}} options
   *   sendControl: sends a control-e2e payload to the sharer (the "drawn" acknowledgements
   *   that pace its video, the quality choice; docs/protocol.md section 5)
   */
  constructor({ sendInput, inputAllowed, requestKeyframe, sendControl = () => {} }) {
    super();
    this.requestKeyframe = requestKeyframe;
    this.sendControl = sendControl;
    this.awaitingKeyframe = false;
    this.dropped = 0;
    this.sendInput = sendInput;
    this.inputAllowed = inputAllowed;
    this.stage = byId("stage");
    this.viewer = byId("viewer");
    this.stack = byId("screen-stack");
    this.screen = byId("screen-canvas");
    this.annotationCanvas = byId("annotation-canvas");
    this.display = new Display(this.screen, byId("cursor-canvas"));
    this.stats = new FrameStats();
    this.fit = true;
    this.statusTimer = null;
    this.statusShownAt = 0;
    this.toolActive = () => false;

    this.display.addEventListener("resize", ({ detail }) => {
      this.annotationCanvas.width = detail.width;
      this.annotationCanvas.height = detail.height;
      this.layout();
      this.dispatchEvent(new CustomEvent("resize", { detail }));
    });
    this.display.addEventListener("drawn", ({ detail }) => {
      const now = Date.now();
      this.stats.recordDrawn(detail.timestampUs, now);
      byId("waiting-picture").hidden = true;
      // Show the first figures at once; after that the interval keeps them current.
      if (now - this.statusShownAt > STATUS_INTERVAL_MS) this.updateStatus();
    });
    this.display.addEventListener("error", ({ detail }) => {
      // (Video from a sharer that was never told this browser decodes it: just a keyframe.)
      if (detail?.video && this.decodable.length) this.videoFailed(detail.error);
      else this.requestKeyframe();
    });

    /** Video codecs this browser decodes (WebCodecs' answer; empty until it comes). */
    this.decodable = [];
    /** Whether video is on, or off for a while after a decode failure (time: performance.now()). */
    this.fallback = new VideoFallback();
    this.retryTimer = null;
    this.probeVideo();

    // No pointer input before the first picture: until then the canvas is not the monitor's
    // size, and a click would land at the wrong place on the sharer's screen.
    const controlling = () => this.inputAllowed() && !this.toolActive() && this.display.hasPicture;
    this.pointer = new PointerInput({
      element: this.stack,
      canvas: this.screen,
      send: sendInput,
      enabled: controlling,
    });
    this.keyboard = new KeyboardInput({
      element: this.viewer,
      send: sendInput,
      enabled: () => this.inputAllowed(),
      onReleaseChord: () => byId("toolbar").querySelector("button:not([hidden]):not(:disabled)")?.focus(),
    });
    this.pointer.attach();
    this.keyboard.attach();
    // A click on the picture gives it the keyboard too (as a click on any app window would).
    this.stack.addEventListener("pointerdown", () => this.viewer.focus({ preventScroll: true }));
    // Keys or buttons held when focus leaves would stay down on the sharer's side.
    this.viewer.addEventListener("blur", () => this.releaseAll());
    window.addEventListener("blur", () => this.releaseAll());

    new ResizeObserver(() => this.layout()).observe(this.stage);
    byId("scale-toggle").addEventListener("click", () => this.toggleFit());
    byId("fullscreen-button").addEventListener("click", () => this.toggleFullscreen());
    byId("quality-select").addEventListener("change", () => this.sendQuality());
    document.addEventListener("fullscreenchange", () => this.onFullscreenChange());
  }

  /**
   * A video frame arrived: parse it and draw it now (decoding happens off the main thread).
   * Returns false when the frame was dropped because the console is behind.
   */
  onVideo(frame) {
    let video;
    try {
      video = parseVideo(frame.payload);
    } catch (error) {
      this.drawn(frame); // done with it all the same: the sharer must not wait for it
      throw error;
    }
    this.noteCodecInUse(video);
    const keyframe = (frame.header.flags & FrameFlags.KEYFRAME) !== 0;
    if (keyframe) {
      this.awaitingKeyframe = false;
    } else if (this.awaitingKeyframe || this.display.pending >= MAX_PENDING_FRAMES) {
      // Deltas on top of a picture we are dropping frames of would draw garbage: wait for
      // the keyframe asked for once.
      if (!this.awaitingKeyframe) this.requestKeyframe();
      this.awaitingKeyframe = true;
      this.dropped += 1;
      this.drawn(frame);
      return false;
    }
    const done = () => this.drawn(frame);
    // The header's capture time is 32 bits of milliseconds: the instant nearest our clock.
    const capturedAtUs = unwrapTimestampMs(frame.header.timestampMs, Date.now()) * 1000;
    this.display.drawVideo(video, capturedAtUs).then(done, done);
    return true;
  }

  /**
   * Video codecs this console takes now: every refresh tells the sharer (docs/protocol.md
   * section 5). Empty until WebCodecs answers, and while a decode failure keeps tiles.
   */
  get videoCodecs() {
    return this.fallback.offering ? this.decodable : [];
  }

  /**
   * Ask WebCodecs which video codecs decode here (H.264, VP8); a session running by then hears
   * the answer. The note names the one a sharer would send first (H.264), until video of
   * another arrives (noteCodecInUse).
   */
  probeVideo() {
    this.codecShown = null;
    this.setVideoNote("Video: checking...");
    this.videoChecked = decodableCodecs().then((codecs) => {
      this.decodable = codecs;
      if (!codecs.length) {
        this.setVideoNote("Still pictures only: this browser cannot decode H.264 or VP8 video");
      } else if (this.fallback.offering) {
        this.showCodec(codecs[0]);
        this.requestKeyframe();
      }
    });
  }

  /** A payload with video tiles: the note says which codec the picture comes in. */
  noteCodecInUse(video) {
    const tile = video.tiles.find((t) => t.encoding in VIDEO_TILES);
    const codec = tile && VIDEO_TILES[tile.encoding].codec;
    if (codec && codec !== this.codecShown && this.videoCodecs.includes(codec)) this.showCodec(codec);
  }

  showCodec(codec) {
    this.codecShown = codec;
    this.setVideoNote(`Video: ${CODECS[codec].name}`);
  }

  /**
   * A video tile (H.264 or VP8) did not decode. Bad data or a failing decoder: tiles at once, in
   * a refresh that asks for a keyframe and names no video codec (deltas until that keyframe are
   * dropped, so the canvas never shows half a picture), and video again after a back-off, up to
   * a few failures a session (core/video-fallback.js). A decoder the browser reclaimed: video
   * stays, and the keyframe asked for starts a new decoder. Late errors of frames sent before
   * the sharer heard it only ask for a keyframe.
   */
  videoFailed(error) {
    const now = performance.now();
    const action = this.fallback.failed(error, now);
    if (action === FailureAction.IGNORE) {
      this.requestKeyframe();
      return;
    }
    console.warn(`quickassist: video decoding failed (${action}):`, error?.message, error?.cause?.message ?? "");
    this.awaitingKeyframe = true;
    if (action === FailureAction.TILES || action === FailureAction.OFF) {
      this.codecShown = null;
      this.showVideoFallback(now);
      this.scheduleVideoRetry(now);
    }
    // Sent at once, not through the limited keyframe request: the sharer must hear the codecs.
    this.sendControl(refresh(this.videoCodecs));
  }

  /** Wake when the back-off ends (none after the last failure of a session). */
  scheduleVideoRetry(now) {
    clearTimeout(this.retryTimer);
    const wait = this.fallback.retryInMs(now);
    this.retryTimer = wait === null ? null : setTimeout(() => this.retryVideo(), wait);
  }

  /** The back-off is over: video again, from the sharer's next keyframe on a new decoder. */
  retryVideo() {
    const now = performance.now();
    this.retryTimer = null;
    if (!this.fallback.retry(now)) {
      this.scheduleVideoRetry(now); // woken a little early: wait the rest
      return;
    }
    this.display.restartVideo();
    this.showCodec(this.decodable[0]);
    this.sendControl(refresh(this.videoCodecs));
  }

  /** The note while tiles stand in for video: for how long, or for the rest of the session. */
  showVideoFallback(now) {
    const wait = this.fallback.retryInMs(now);
    if (wait !== null) {
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      this.setVideoNote(`Still pictures for now: the video could not be decoded; trying again in ${seconds} s`);
    } else if (this.fallback.mode === VideoMode.OFF) {
      this.setVideoNote(
        `Still pictures for the rest of this session: the video could not be decoded ${this.fallback.failures} times`,
      );
    }
  }

  /** A new session: video on again, no failure counted (the note names the codec). */
  resetVideoFallback() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const wasOff = !this.fallback.offering;
    this.fallback.reset();
    if (wasOff && this.decodable.length) this.showCodec(this.decodable[0]);
  }

  setVideoNote(text) {
    const note = byId("status-video");
    if (note) note.textContent = text;
  }

  /**
   * Tell the sharer this frame is done with (on the canvas, or dropped): its video is paced by
   * these, so it sends no more than the console draws. Acknowledgements are cumulative and
   * frames finish in order, so one that cannot be sent costs nothing once the next goes.
   */
  drawn(frame) {
    const now = Date.now();
    const drawMs = Math.min(MAX_DRAW_MS, Math.max(0, Math.round(now - (frame.receivedAt ?? now))));
    this.sendControl(frameDrawn(frame.header.sequence, drawMs));
  }

  onCursor(update) {
    this.display.setCursor(update);
  }

  /** Count bytes of every binary frame for the bandwidth figure. */
  countBytes(size) {
    this.stats.recordBytes(size, Date.now());
  }

  /**
   * A text key typed on the page outside the viewer and outside any field: in full control it
   * was meant for the shared screen, so the viewer takes the keyboard and this key goes too.
   */
  takeStrayKey(e) {
    if (!this.inputAllowed()) return;
    this.viewer.focus({ preventScroll: true });
    this.keyboard.onKey(e, true);
  }

  /** Reflect the session state: control or view, paused or not. */
  setState({ control, paused }) {
    byId("paused-overlay").hidden = !paused;
    this.viewer.classList.toggle("control", control && !paused);
    byId("viewer-hint").textContent = control
      ? "Click the screen to use it. Ctrl+Alt+Shift gives the keyboard back."
      : "View only.";
    if (paused) this.releaseAll();
  }

  setBanner(text) {
    const banner = byId("reconnecting-banner");
    banner.textContent = text ?? "";
    banner.hidden = !text;
  }

  /** Tell the sharer the helper's choice of picture quality (Auto, Sharp, Smooth). */
  sendQuality() {
    this.sendControl(qualityChoice(byId("quality-select").value));
  }

  /**
   * Start a fresh session view: no picture yet, status counters running; the sharer hears the
   * quality shown (it may still hold another choice from before a page reload).
   */
  start() {
    // Failures of the last session do not count against this sharer's video.
    this.resetVideoFallback();
    this.sendQuality();
    byId("waiting-picture").hidden = false;
    this.display.clear();
    this.awaitingKeyframe = false;
    this.setBanner(null);
    this.pointer.moves.reset();
    clearInterval(this.statusTimer);
    this.statusTimer = setInterval(() => this.updateStatus(), STATUS_INTERVAL_MS);
    this.layout();
  }

  stop() {
    clearInterval(this.statusTimer);
    this.statusTimer = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.display.clear();
    const annotations = byId("annotation-canvas");
    annotations.width = 1;
    annotations.height = 1;
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  }

  releaseAll() {
    this.pointer.cancel();
    if (this.inputAllowed()) this.sendInput(releaseAll());
  }

  updateStatus() {
    this.statusShownAt = Date.now();
    const s = this.stats.snapshot(this.statusShownAt);
    byId("status-fps").textContent = `${s.fps} fps`;
    byId("status-latency").textContent =
      s.latencyMs === null ? "latency -" : `latency ${Math.round(s.latencyMs)} ms`;
    byId("status-bandwidth").textContent = formatRate(s.bytesPerSecond);
    if (this.fallback.mode === VideoMode.TILES) this.showVideoFallback(performance.now());
  }

  toggleFit() {
    this.fit = !this.fit;
    const button = byId("scale-toggle");
    // A toggle keeps its name; pressed = fit to window, not pressed = actual size.
    button.setAttribute("aria-pressed", String(this.fit));
    this.layout();
  }

  /** Size the canvases' box: scaled into the stage (fit) or one CSS pixel per remote pixel. */
  layout() {
    const w = this.screen.width;
    const h = this.screen.height;
    const box = this.stage.getBoundingClientRect();
    const scale = this.fit && box.width > 0 && box.height > 0 ? Math.min(box.width / w, box.height / h) : 1;
    this.viewer.classList.toggle("actual", !this.fit);
    this.stack.style.width = `${Math.floor(w * scale)}px`;
    this.stack.style.height = `${Math.floor(h * scale)}px`;
  }

  async toggleFullscreen() {
    try {
      if (document.fullscreenElement) await document.exitFullscreen();
      else await this.stage.requestFullscreen();
    } catch {
      // Full screen refused (iframe, policy): the session goes on in the window.
    }
  }

  onFullscreenChange() {
    const full = document.fullscreenElement === this.stage;
    byId("fullscreen-button").textContent = full ? "Exit full screen" : "Full screen";
    // Keyboard Lock lets Escape, Alt+Tab and the Windows key reach the sharer in full screen.
    if (full && navigator.keyboard?.lock) navigator.keyboard.lock().catch(() => {});
    if (!full && navigator.keyboard?.unlock) navigator.keyboard.unlock();
    if (full) this.viewer.focus();
    this.layout();
  }
}
