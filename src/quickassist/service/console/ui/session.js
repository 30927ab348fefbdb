/**
 * One helper session from the code to the end: the relay connection (end-to-end encrypted to
 * the sharer), the service's state snapshots, and the binary frames routed to the viewer, chat
 * and monitor picker.
 *
 * It tells the page what to show through `onView(name, detail)`; it never decides about
 * sign-in or the home page.
 */

import * as api from "../core/api.js";
import { closeSentence } from "../core/close-codes.js";
import { FrameKind } from "../core/frames.js";
import * as messages from "../core/messages.js";
import { encodePayload, parsePayload, refresh } from "../core/payloads.js";
import { SecureConnection } from "../core/secure-connection.js";
import { byId } from "./views.js";

const REFRESH_LIMIT_MS = 1000;
const LOST_SENTENCE = "The connection to the service was lost and did not come back. Get a new code.";
/** Why Full control is greyed out: the service's own words (service/helper_permissions.py). */
export const NOT_PERMITTED_SENTENCE =
  "Your account may ask for view only. An administrator can allow you full control.";
export const BROWSER_SHARER_SENTENCE = "This person shares from a web browser: view only.";

export class Session {
  /**
   * @param {{created: object, viewer: import("./viewer.js").Viewer, chat: import("./chat.js").Chat,
   *          monitors: import("./monitors.js").MonitorPicker,
   *          onView: (name: string, detail?: object) => void,
   *          onSecurity?: (detail: {check: string, resume: Uint8Array}) => void,
   *          resume?: Uint8Array, check?: string}} options
   *   onSecurity: keys were agreed (again; `check` stays the digits first compared);
   *   resume, check: the secret a handshake left and the digits compared, before a reload
   */
  constructor({ created, viewer, chat, monitors, onView, onSecurity = () => {}, resume, check }) {
    this.id = created.session_id;
    this.viewer = viewer;
    this.chat = chat;
    this.monitors = monitors;
    this.onView = onView;
    this.state = null;
    /** The service lets this helper ask for full control in this session (the create's answer;
     *  it refuses the request otherwise, so the console does not offer it). */
    this.controlPermitted = created.full_control !== false;
    this.wasActive = false;
    this.finished = false;
    this.lastRefreshAt = 0;
    this.conn = new SecureConnection(api.helperSocketUrl(this.id), this.id, { resume, check });
    this.conn.addEventListener("security", (e) => onSecurity(e.detail));
    this.conn.addEventListener("insecure", (e) => {
      this.notice("The connection could not be kept private, so the session is ending.");
      if (!e.detail.told) this.action(messages.securityFailure());
    });
    this.conn.addEventListener("open", (e) => this.onOpen(e.detail));
    this.conn.addEventListener("control", (e) => this.onControl(e.detail));
    this.conn.addEventListener("frame", (e) => this.onFrame(e.detail));
    this.conn.addEventListener("reconnecting", () => this.onReconnecting());
    this.conn.addEventListener("closed", (e) => this.onClosed(e.detail));
    this.conn.addEventListener("invalid", (e) => {
      console.warn("quickassist: dropped", e.detail.error.message);
    });
  }

  start() {
    this.conn.connect();
  }

  // What the helper may do ---------------------------------------------------------------------

  get active() {
    return !this.finished && this.state?.phase === messages.Phase.ACTIVE;
  }

  /** The sharer shares from a web browser: view only, for the whole session (the service
   *  refuses full control and never relays input to it; this console never sends any). */
  get browserSharer() {
    return this.state?.sharer_browser === true;
  }

  /** Why full control cannot be asked for in this session (a plain sentence), or null. */
  get viewOnlyReason() {
    if (this.browserSharer) return BROWSER_SHARER_SENTENCE;
    if (!this.controlPermitted) return NOT_PERMITTED_SENTENCE;
    return null;
  }

  /** Input is only sent when the state says active + full control + not paused, never to a
   *  browser sharer. */
  inputAllowed() {
    return (
      this.active &&
      !this.browserSharer &&
      this.state.mode === messages.Mode.CONTROL &&
      !this.state.paused &&
      this.conn.isOpen
    );
  }

  /** Annotations travel when active and not paused (the relay's rule for kind 5). */
  annotationAllowed() {
    return this.active && !this.state.paused && this.conn.isOpen;
  }

  /** Send a payload object as a frame of `kind` (sealed for the sharer). */
  sendPayload(kind, payload) {
    return this.conn.send(kind, encodePayload(payload));
  }

  sendInput(payload) {
    if (this.inputAllowed()) this.sendPayload(FrameKind.INPUT, payload);
  }

  chooseMode(mode) {
    return this.action(messages.chooseMode(mode));
  }

  requestControl() {
    return this.action(messages.requestControl());
  }

  /** End the session (the `ended` message that follows shows the ended view). */
  end() {
    return this.action(messages.endSession());
  }

  /** Leave without showing the ended view (cancel, new code): end it and close the socket. */
  async abandon() {
    this.finished = true;
    try {
      const end = messages.endSession();
      if (!this.conn.sendControl(end)) await api.sessionAction(this.id, end);
    } catch {
      // Already ended or unreachable: either way there is nothing left to cancel.
    }
    this.conn.close();
  }

  /** Send a control message over the socket, or through the HTTP API while it reconnects. */
  async action(message) {
    if (this.conn.sendControl(message)) return;
    try {
      const state = await api.sessionAction(this.id, message);
      if (state) this.onControl({ type: "state", ...state });
    } catch (err) {
      this.notice(err.message);
    }
  }

  notice(text) {
    byId("notice").textContent = text;
  }

  // What the service says ------------------------------------------------------------------------

  onOpen({ reconnected }) {
    if (reconnected) this.viewer.setBanner(null);
    // Ask for a keyframe on every (re)connect: there may be no picture, or a stale one.
    if (this.active) this.requestKeyframe();
  }

  /**
   * Ask the sharer for a keyframe. Requests caused by trouble (a tile that does not decode, a
   * console that fell behind) are limited to one a second, so a broken stream cannot turn into a
   * refresh storm; (re)connects always ask.
   */
  requestKeyframe({ limited = false } = {}) {
    const now = Date.now();
    if (limited && now - this.lastRefreshAt < REFRESH_LIMIT_MS) return;
    this.lastRefreshAt = now;
    // Every refresh says what this console decodes: the sharer sends H.264 only to one that can.
    this.sendPayload(FrameKind.CONTROL_E2E, refresh(this.viewer.videoCodecs));
  }

  onControl(message) {
    if (this.finished) return;
    switch (message.type) {
      case "state":
        this.onState(message);
        break;
      case "ended":
        this.finish(message.message, message.reason);
        break;
      case "control_answer":
        this.notice(message.granted ? "You now have full control." : "The sharer did not give you control.");
        break;
      case "peer_left":
        this.viewer.setBanner(
          "The person sharing lost the connection. Waiting up to " +
            `${Math.round(message.grace_seconds)} seconds for them to come back...`,
        );
        break;
      case "peer_returned":
        this.viewer.setBanner(null);
        if (this.active) this.requestKeyframe();
        break;
      case "error":
        this.notice(message.message);
        break;
      default:
        break;
    }
  }

  onState(state) {
    const previous = this.state;
    this.state = state;
    const { Phase, Mode } = messages;
    switch (state.phase) {
      case Phase.WAITING:
        this.onView("code");
        break;
      case Phase.JOINED: {
        // Greyed out with the reason beside it and on hover, never offered only to be refused.
        const why = this.viewOnlyReason;
        const fullControl = byId("mode-full-control");
        fullControl.disabled = why !== null;
        fullControl.title = why ?? "";
        const note = byId("mode-browser-note");
        note.textContent = why ?? "";
        note.hidden = why === null;
        this.onView("mode");
        break;
      }
      case Phase.CONSENT:
        if (this.wasActive) {
          this.notice("Waiting for the sharer to allow full control...");
          this.viewer.setState({ control: false, paused: state.paused });
        } else {
          this.onView("consent", { mode: state.requested_mode });
        }
        break;
      case Phase.ACTIVE: {
        const first = !this.wasActive;
        this.wasActive = true;
        this.onView("session", { first });
        const control = state.mode === Mode.CONTROL;
        this.viewer.setState({ control, paused: state.paused });
        byId("mode-badge").textContent = control
          ? "Full control"
          : this.browserSharer
            ? "View only: this person shares from a web browser"
            : this.controlPermitted
              ? "View only"
              : "View only: your account may ask for view only";
        byId("request-control").hidden = control || this.viewOnlyReason !== null;
        if (first || previous?.phase !== Phase.ACTIVE) this.requestKeyframe();
        if (previous && previous.mode !== state.mode && !first) {
          this.notice(
            control
              ? "You now have full control."
              : "The sharer took back control. You can still see the screen.",
          );
        }
        break;
      }
      default:
        break; // ended: the `ended` message carries the sentence
    }
  }

  onFrame(frame) {
    this.viewer.countBytes(frame.size);
    const { kind } = frame.header;
    try {
      if (kind === FrameKind.VIDEO) {
        this.viewer.onVideo(frame);
      } else if (kind === FrameKind.CURSOR) {
        this.viewer.onCursor(parsePayload(kind, frame.payload));
      } else if (kind === FrameKind.CHAT) {
        this.chat.receive(parsePayload(kind, frame.payload));
      } else if (kind === FrameKind.CONTROL_E2E) {
        const control = parsePayload(kind, frame.payload);
        if (control.t === "monitors") this.monitors.update(control);
      }
    } catch (error) {
      // One bad frame is dropped; a broken picture asks for a keyframe.
      console.warn("quickassist: dropped a frame:", error.message);
      if (kind === FrameKind.VIDEO) this.requestKeyframe({ limited: true });
    }
  }

  onReconnecting() {
    if (this.finished) return;
    this.viewer.setBanner("Connection lost. Reconnecting...");
  }

  /** Gone for good without an `ended` message first: the service's reason is a plain sentence
   *  written for this case; without one, the code's default sentence (close-codes.js). */
  onClosed({ code, reason }) {
    if (this.finished) return;
    this.finish(reason || closeSentence(code) || LOST_SENTENCE, `close_${code}`);
  }

  finish(sentence, reason) {
    if (this.finished) return;
    this.finished = true;
    this.conn.close();
    this.viewer.stop();
    this.onView("ended", { message: sentence, reason });
  }
}
