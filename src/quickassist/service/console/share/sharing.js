/**
 * One browser-sharer session from the join to the end: the relay connection (end-to-end
 * encrypted to the helper's console), the consent question, the captured screen encoded in the
 * page and paced by the console's acknowledgements, chat, annotations, pause and end. The
 * browser's twin of sharer/controller.py; it tells the page what to show through `ui`.
 *
 * Rules it keeps, as the app does (docs/security.md):
 * - the question is shown only once the check digits are known; nothing is captured before
 *   Allow, and the browser's own picker comes with the click on Allow;
 * - video leaves only while the service's state says active, not paused, the helper there, and
 *   keys are agreed; a pause stops frames at once, here, before the service hears of it;
 * - the helper's input is never acted on (a page cannot inject input; the service refuses
 *   full control for a browser sharer and never relays input to it);
 * - stopping the share from the browser's own bar (the track ends) ends the session.
 */

import { FrameFlags, FrameKind, wrapTimestampMs } from "../core/frames.js";
import { encodableCodecs, JpegScreenEncoder, VideoScreenEncoder } from "../core/encoder.js";
import { FlowWindow } from "../core/flow-window.js";
import { chatMessage, encodePayload, parsePayload } from "../core/payloads.js";
import { SharerConnection } from "../core/sharer-connection.js";
import { rateMoved, ShareQuality } from "../core/share-quality.js";
import { readTrack } from "../core/track-reader.js";

export const SECURING = "Securing the connection...";
export const TRACK_ENDED = "You stopped sharing from the browser's bar, so the session ended.";
const RECONNECTING = "The connection was lost. Reconnecting...";
const CHOOSE = "Choose your screen, a window or a tab to share, or Decline.";
/**
 * What to ask the browser for: the screen's own pixels (Chromium otherwise scales an entire
 * screen to 1280x720: PLATFORM-NOTES.md), at most 4K, up to 30 frames a second.
 */
const CAPTURE = {
  video: {
    width: { ideal: Math.min(3840, Math.round(screen.width * devicePixelRatio)) },
    height: { ideal: Math.min(2160, Math.round(screen.height * devicePixelRatio)) },
    frameRate: { ideal: 30 },
  },
  audio: false,
};

/** The sharer's WebSocket URL: the token in the query (a browser cannot set the header). */
export function sharerSocketUrl(joined, location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${joined.ws_path}?token=${encodeURIComponent(joined.sharer_token)}`;
}

/**
 * When a frame reached the socket, on performance.now()'s clock (ms): the connection stamps it
 * with Date.now(), before it waits its turn to be opened (WebCrypto, in order). An
 * acknowledgement's round trip ends there: the page's own unsealing queue is not the link.
 */
function arrivedAt(receivedAtMs, now = performance.now(), wall = Date.now()) {
  if (typeof receivedAtMs !== "number") return now;
  return Math.min(now, now - (wall - receivedAtMs));
}

export class ShareSession {
  /**
   * @param {{joined: object, ui: object, resume?: Uint8Array, check?: string}} options
   *   joined: the join call's answer; ui: {view(name, detail), status(text), notice(text),
   *   consent({mode, helper, check}), security({check, resume}), chat(who, text),
   *   annotation(payload), screen(width, height), paused(bool), capturing(bool), ended(text),
 *   encoding({mode, codec, bitrate, framerate, jpegQuality}): what the encoder aims at now}
   */
  constructor({ joined, ui, resume, check }) {
    this.joined = joined;
    this.id = joined.session_id;
    this.ui = ui;
    this.state = null;
    this.pending = null; // the consent request not answered: {mode, helper}
    this.shownMode = null;
    this.finished = false;
    this.paused = false;
    this.track = null;
    this.lastFrame = null;
    this.wantKeyframe = true;
    this.consoleCodecs = [];
    /** Video codecs this browser encodes, preferred first ("h264", "vp8"); none: JPEG. */
    this.encodable = [];
    this.encoder = null;
    /** The flow window, and with it the link's target bitrate (flow.bitrate, core/bitrate.js). */
    this.flow = new FlowWindow();
    /** The helper's quality choice: its share of that target, and Sharp's least interval. */
    this.quality = new ShareQuality();
    this.intervalTimer = null;
    this.chatCount = 0;
    this.fresh = false;
    this.conn = new SharerConnection(sharerSocketUrl(joined), this.id, { resume, check });
    this.conn.addEventListener("control", (e) => this.onControl(e.detail));
    this.conn.addEventListener("frame", (e) => this.onFrame(e.detail));
    this.conn.addEventListener("security", (e) => this.onSecured(e.detail));
    this.conn.addEventListener("insecure", () =>
      this.finish("The connection could not be kept private, so the session ended. Ask your helper for a new code."),
    );
    this.conn.addEventListener("reconnecting", () => {
      this.flow.reset();
      if (!this.finished) this.ui.notice(RECONNECTING);
    });
    this.conn.addEventListener("open", ({ detail }) => {
      if (detail.reconnected && !this.finished) this.ui.notice("Reconnected.");
    });
    this.conn.addEventListener("closed", ({ detail }) =>
      this.finish(detail.reason || "The connection to the service closed, so the session ended."),
    );
  }

  start() {
    this.conn.connect();
  }

  get videoAllowed() {
    const s = this.state;
    return (
      !this.finished && !this.paused && s !== null && s.phase === "active" && !s.paused && s.helper_connected && this.conn.secured
    );
  }

  // The person's choices ----------------------------------------------------------------------

  /**
   * Allow: the browser's picker first (it needs this click), then `allow` for the mode the
   * person saw. A picker closed without a choice leaves the question open.
   */
  async allow() {
    const mode = this.pending?.mode;
    if (!mode) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia(CAPTURE);
    } catch {
      this.ui.notice(CHOOSE);
      return;
    }
    await this.capture(stream);
    this.conn.sendControl({ type: "allow", mode });
  }

  /** After a reload of the tab the picture is gone: the person picks again (a click). */
  async shareAgain() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia(CAPTURE);
    } catch {
      this.ui.notice("Choose what to share, or stop sharing.");
      return;
    }
    await this.capture(stream);
  }

  decline() {
    this.action({ type: "decline" });
  }

  pause() {
    this.paused = true; // nothing leaves from now on, whatever the service has heard yet
    this.action({ type: "pause" });
    this.ui.paused(true);
  }

  resume() {
    this.paused = false;
    this.wantKeyframe = true;
    this.action({ type: "resume" });
    this.ui.paused(false);
  }

  end(sentence = "You ended the session.") {
    this.action({ type: "end" });
    this.finish(sentence);
  }

  sendChat(text) {
    this.chatCount += 1;
    const message = chatMessage(`b${Date.now().toString(36)}-${this.chatCount}`, text, Date.now());
    this.conn.send(FrameKind.CHAT, encodePayload(message));
  }

  /** A control message on the socket, or through the HTTP API while it reconnects. */
  async action(message) {
    if (this.conn.sendControl(message)) return;
    try {
      await fetch(`${this.joined.ws_path.replace(/\/ws\/sharer\/.*$/, "")}/api/sessions/${encodeURIComponent(this.id)}/actions`, {
        method: "POST",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.joined.sharer_token}` },
        body: JSON.stringify(message),
      });
    } catch {
      // Unreachable: the grace period ends the session on the service's side.
    }
  }

  // What the service says ------------------------------------------------------------------------

  onControl(message) {
    if (this.finished) return;
    switch (message.type) {
      case "state":
        this.onState(message);
        break;
      case "consent_request":
        this.pending = { mode: message.mode, helper: message.helper };
        this.shownMode = null;
        this.offerConsent();
        break;
      case "ended":
        // The close that follows carries this side's sentence (EndReason.sentence_for sharer).
        this.stopCapture();
        break;
      case "resync":
        this.keyframe();
        break;
      case "peer_left":
        if (message.role === "helper") {
          this.flow.reset();
          this.ui.notice("Your helper lost the connection. Waiting for them to come back...");
        }
        break;
      case "peer_returned":
        if (message.role === "helper") this.ui.notice("Your helper is back.");
        break;
      case "error":
        this.ui.notice(message.message);
        break;
      default:
        break;
    }
  }

  onState(state) {
    const before = this.state;
    const wasAllowed = this.videoAllowed;
    this.state = state;
    if (state.requested_mode === null) this.pending = null;
    if (state.phase === "active") {
      // The person's own pause wins over a service that has not heard of it (sent meanwhile).
      if (this.paused && !state.paused) this.conn.sendControl({ type: "pause" });
      this.ui.view("sharing");
      this.ui.capturing(this.track !== null);
    } else if (state.phase === "joined" || (state.phase === "consent" && !this.pending)) {
      this.ui.view("waiting");
      this.ui.status(this.conn.secured ? "Waiting for your helper..." : SECURING);
    }
    if (this.videoAllowed && !wasAllowed) this.startVideo();
    if (before && !before.helper_connected && state.helper_connected) this.keyframe();
  }

  offerConsent() {
    const pending = this.pending;
    if (!pending || this.shownMode === pending.mode) return;
    if (!this.conn.secured || !this.conn.link.check) {
      this.ui.view("waiting");
      this.ui.status(SECURING);
      return;
    }
    this.shownMode = pending.mode;
    this.ui.consent({ mode: pending.mode, helper: pending.helper, check: this.conn.link.check });
  }

  onSecured(detail) {
    this.flow.reset();
    this.quality.reset();
    this.ui.security(detail);
    this.offerConsent();
    if (this.state?.phase === "joined") this.ui.status("Waiting for your helper...");
    if (this.videoAllowed) this.startVideo();
  }

  // The helper's frames --------------------------------------------------------------------------

  onFrame(frame) {
    const { kind } = frame.header;
    try {
      if (kind === FrameKind.CHAT) {
        this.ui.chat("Helper", parsePayload(kind, frame.payload).text);
      } else if (kind === FrameKind.ANNOTATION) {
        if (this.videoAllowed) this.ui.annotation(parsePayload(kind, frame.payload));
      } else if (kind === FrameKind.CONTROL_E2E) {
        this.onE2eControl(parsePayload(kind, frame.payload), arrivedAt(frame.receivedAt));
      }
      // INPUT and CLIPBOARD: never acted on (and never relayed to a browser sharer).
    } catch (error) {
      console.warn("quickassist: ignored a malformed frame:", error.message);
    }
  }

  /** `arrived`: when the frame reached this page's socket (performance.now() ms). */
  onE2eControl(control, arrived = performance.now()) {
    if (control.t === "drawn") {
      const freed = this.flow.drawn(control.seq, { now: arrived, drawMs: control.draw_ms });
      this.followLink();
      if (freed) this.offerLast();
    } else if (control.t === "refresh") {
      this.consoleCodecs = control.video;
      this.keyframe();
    } else if (control.t === "quality") {
      this.chooseQuality(control.mode);
    }
  }

  /** The helper picked Auto, Sharp or Smooth: the encoder follows, with a keyframe at once. */
  chooseQuality(mode) {
    if (!this.quality.choose(mode)) return;
    this.encoder?.setRate(this.aim());
    this.showEncoding();
    this.keyframe();
  }

  /** What the encoders aim at now: the quality choice's share of the link's target. */
  aim() {
    return this.quality.aim(this.flow.bitrate.bitrate);
  }

  /**
   * An acknowledgement or a timeout moved the link's target: the video encoder follows once
   * it moved by a meaningful step (share-quality.js's rateMoved), configured again in place.
   */
  followLink() {
    if (!(this.encoder instanceof VideoScreenEncoder)) return;
    const aim = this.aim();
    const { floor, ceiling } = this.flow.bitrate.settings;
    const target = this.flow.bitrate.bitrate;
    if (!rateMoved(this.encoder.bitrate, aim.bitrate, { atBound: target <= floor || target >= ceiling })) return;
    this.encoder.setRate(aim);
    this.showEncoding();
  }

  /** What the encoder aims at now, for the page (and the tests that read it). */
  showEncoding() {
    const codec = this.encoder instanceof VideoScreenEncoder ? this.encoder.codec : this.encoder && "jpeg";
    const aim = this.aim();
    if (this.encoder instanceof VideoScreenEncoder) aim.bitrate = this.encoder.bitrate; // (what it has)
    this.ui.encoding?.({ mode: this.quality.mode, codec, ...aim });
  }

  // Video ----------------------------------------------------------------------------------------

  async capture(stream) {
    this.stopCapture();
    const [track] = stream.getVideoTracks();
    this.track = track;
    track.addEventListener("ended", () => {
      if (this.track === track && !this.finished) this.end(TRACK_ENDED);
    });
    const { width = 1920, height = 1080 } = track.getSettings();
    this.encodable = await encodableCodecs(width & ~1, height & ~1);
    this.ui.screen(width, height);
    this.ui.capturing(true);
    this.pump(track);
  }

  /** Read the track frame by frame (core/track-reader.js: the processor, else a <video>). */
  pump(track) {
    const current = () => this.track === track;
    readTrack(track, { onFrame: (frame) => this.captured(frame), current }).catch((error) => {
      console.warn("quickassist: reading the captured screen failed:", error.message);
      if (current()) this.ui.notice("This browser could not read the picture of your screen.");
    });
  }

  /** A new picture of the screen: kept as the last one, sent if the window is open. */
  captured(frame) {
    const last = this.lastFrame;
    if (last && (last.displayWidth !== frame.displayWidth || last.displayHeight !== frame.displayHeight)) {
      // A shared window was resized: the pointer's canvas and the console's monitor follow
      // (the encoder starts a new stream at the new size by itself).
      this.ui.screen(frame.displayWidth, frame.displayHeight);
      if (this.videoAllowed) this.sendMonitors(frame.displayWidth, frame.displayHeight);
    }
    if (last) last.close();
    this.lastFrame = frame;
    this.fresh = true;
    this.offerLast();
  }

  /**
   * Encode the last picture if it was not sent yet, or a keyframe is owed (a still screen
   * delivers no new capture, so a keyframe request encodes the last one again).
   */
  offerLast() {
    const frame = this.lastFrame;
    if (!frame || (!this.fresh && !this.wantKeyframe)) return;
    const now = performance.now();
    const open = this.flow.open(now); // (a timeout there lowers the link's target)
    this.followLink();
    if (!this.videoAllowed || !open) return;
    const wait = this.quality.wait(now, { keyframe: this.wantKeyframe });
    if (wait > 0) {
      // Sharp: fewer captures; the newest one leaves when the interval is over.
      this.intervalTimer ??= setTimeout(() => {
        this.intervalTimer = null;
        this.offerLast();
      }, wait);
      return;
    }
    const encoder = this.chooseEncoder();
    if (encoder.busy) return;
    encoder.encode(frame, { keyframe: this.wantKeyframe, capturedAtUs: Date.now() * 1000 });
    this.quality.sent(now);
    this.fresh = false;
    this.wantKeyframe = false;
  }

  chooseEncoder() {
    // H.264, else VP8, to a console that decodes it; one full-screen JPEG a frame to any other.
    const codec = this.encodable.find((c) => this.consoleCodecs.includes(c)) ?? null;
    const current = this.encoder instanceof VideoScreenEncoder ? this.encoder.codec : this.encoder && "jpeg";
    if (current !== (codec ?? "jpeg")) {
      this.encoder?.close();
      const aim = this.aim();
      const options = {
        codec,
        ...aim,
        quality: aim.jpegQuality,
        onPayload: (payload, info) => this.sendVideo(payload, info),
        onError: (error) => {
          console.warn("quickassist:", error.message);
          // That codec no more: the next one this browser encodes, or JPEG.
          if (codec) this.encodable = this.encodable.filter((c) => c !== codec);
          this.encoder = null;
          this.keyframe();
        },
      };
      this.encoder = codec ? new VideoScreenEncoder(options) : new JpegScreenEncoder(options);
      this.wantKeyframe = true;
      this.showEncoding();
    }
    return this.encoder;
  }

  sendVideo(payload, { keyframe, timestampUs }) {
    if (!this.videoAllowed) {
      this.wantKeyframe = true; // paused or keys gone meanwhile: what follows must stand alone
      return;
    }
    const flags = keyframe ? FrameFlags.KEYFRAME : FrameFlags.NONE;
    const timestampMs = wrapTimestampMs(timestampUs / 1000);
    const sequence = this.conn.send(FrameKind.VIDEO, payload, { flags, timestampMs });
    if (sequence === null) this.wantKeyframe = true;
    else this.flow.sent(sequence, performance.now(), payload.length);
  }

  startVideo() {
    const width = this.lastFrame?.displayWidth ?? this.track?.getSettings().width;
    const height = this.lastFrame?.displayHeight ?? this.track?.getSettings().height;
    if (width && height) this.sendMonitors(width, height);
    this.keyframe();
  }

  /** What the console's monitor list shows: the one picture this page shares. */
  sendMonitors(width, height) {
    const monitor = { id: 0, x: 0, y: 0, width, height, primary: true, name: "Shared screen" };
    this.conn.send(FrameKind.CONTROL_E2E, encodePayload({ t: "monitors", monitors: [monitor], current: 0 }));
  }

  /** The next frame that leaves is a keyframe (a still screen: its last picture, again). */
  keyframe() {
    this.wantKeyframe = true;
    this.offerLast();
  }

  stopCapture() {
    const track = this.track;
    this.track = null;
    if (track) track.stop();
    if (this.lastFrame) this.lastFrame.close();
    this.lastFrame = null;
    clearTimeout(this.intervalTimer);
    this.intervalTimer = null;
    this.encoder?.close();
    this.encoder = null;
  }

  finish(sentence) {
    if (this.finished) return;
    this.finished = true;
    this.stopCapture();
    this.conn.close();
    this.ui.ended(sentence);
  }
}
