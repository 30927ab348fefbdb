/**
 * The helper console's page: wires the views to the core modules.
 *
 * Stable element ids (for tests and the full-story e2e test; keep them):
 *   sign in     #view-signin  #signin-form #signin-username #signin-password #signin-submit
 *               #signin-error (the service's sentence, e.g. for a wrong password)
 *   top bar     #user-name #signout-button
 *   home        #view-home  #assist-button ("Assist another person") #home-error
 *   code        #view-code  #code-value (e.g. "ABC-234") #code-copy #code-countdown
 *               ("The code expires in 9:58") #code-new #code-cancel
 *   mode        #view-mode  #mode-view-only #mode-full-control #mode-cancel
 *               #mode-check (the end-to-end check digits, "123 456", in a <strong>)
 *   consent     #view-consent ("Waiting for the sharer to allow") #consent-cancel #consent-check
 *   session     #view-session  #viewer (focusable; takes the keyboard in full control)
 *               #screen-canvas (the sharer's pixels, canvas size = monitor size)
 *               #cursor-canvas #annotation-canvas #paused-overlay #reconnecting-banner
 *               #waiting-picture (hidden after the first frame is drawn)
 *               toolbar: #mode-badge #request-control #scale-toggle #fullscreen-button
 *               #monitor-select #tool-pen #tool-laser #pen-color #pen-width #annotation-clear
 *               #keys-button #keys-menu (items #keys-ctrl-alt-del #keys-windows #keys-alt-tab ...)
 *               #chat-toggle #chat-badge #help-button #end-button
 *               chat: #chat-panel #chat-log (li > .who + .text) #chat-form #chat-input #chat-send
 *               status: #status-fps #status-latency #status-bandwidth #status-secure
 *               #viewer-hint #notice
 *   ended       #view-ended  #ended-message (the `ended` message's sentence)
 *               #ended-new-code #ended-home
 *   help        #help-dialog #help-close
 * document.body.dataset.view names the visible view ("signin", "home", "code", "mode",
 * "consent", "session", "ended"); document.body.dataset.sessionId the current session;
 * document.body.dataset.check the check digits once keys are agreed ("" before).
 */

import * as api from "../core/api.js";
import { toBase64 } from "../core/e2e.js";
import { FrameKind } from "../core/frames.js";
import { Annotator } from "./annotate.js";
import { Chat } from "./chat.js";
import { CodePanel } from "./code-panel.js";
import { KeysMenu } from "./keys-menu.js";
import { MonitorPicker } from "./monitors.js";
import { Session } from "./session.js";
import { setupShortcuts } from "./shortcuts.js";
import { setupSignin, showSignin, showUser } from "./signin.js";
import { Viewer } from "./viewer.js";
import { byId, setError, showView } from "./views.js";

/** The session in progress, if any. */
let session = null;

// A reload of the page (or a crash of the tab) resumes the session within the grace period:
// the tab remembers which session it was in. sessionStorage is per tab, so a second tab does
// not take the session over.
const RESUME_KEY = "quickassist.session";

function remember(created) {
  const saved = {
    session_id: created.session_id,
    relay_path: created.relay_path ?? "",
    code_display: created.code_display,
    expires_at_ms: Date.now() + created.expires_in * 1000,
    // The end-to-end resume secret: a reloaded page needs it for its next handshake.
    resume: created.resume ?? "",
    // The check digits the two people compared (docs/security.md: shown all session long).
    check: created.check ?? "",
    // Whether this helper may ask for full control in it (else the choice is greyed out).
    full_control: created.full_control !== false,
  };
  sessionStorage.setItem(RESUME_KEY, JSON.stringify(saved));
}

/** Keep what a reloaded page needs for its next handshake, and the digits the people compared. */
function rememberResume(resume, check) {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? "null");
  } catch {
    saved = null;
  }
  if (!saved) return;
  saved.resume = toBase64(resume);
  saved.check = check;
  sessionStorage.setItem(RESUME_KEY, JSON.stringify(saved));
}

/** Show the end-to-end check digits (null: keys not agreed yet) wherever the helper looks. */
function showCheck(check) {
  document.body.dataset.check = check ?? "";
  for (const id of ["mode-check", "consent-check"]) {
    const el = byId(id);
    if (!check) {
      el.textContent = "Securing the connection...";
      continue;
    }
    const digits = document.createElement("strong");
    digits.textContent = check;
    el.replaceChildren(
      "Security check: ",
      digits,
      ". The person you help sees the same six digits. If theirs differ, cancel.",
    );
  }
  byId("status-secure").textContent = check ? `Encrypted, check ${check}` : "Securing...";
}

function forget() {
  sessionStorage.removeItem(RESUME_KEY);
}

const codePanel = new CodePanel();
const viewer = new Viewer({
  sendInput: (payload) => session?.sendInput(payload),
  inputAllowed: () => session?.inputAllowed() ?? false,
  requestKeyframe: () => session?.requestKeyframe({ limited: true }),
  sendControl: (payload) => session?.sendPayload(FrameKind.CONTROL_E2E, payload),
});
const annotator = new Annotator({
  send: (payload) => session?.sendPayload(FrameKind.ANNOTATION, payload),
  allowed: () => session?.annotationAllowed() ?? false,
  canvas: byId("annotation-canvas"),
  screen: byId("screen-canvas"),
  element: byId("screen-stack"),
  viewer: byId("viewer"),
});
viewer.toolActive = () => annotator.active;
const chat = new Chat({
  send: (payload) => session?.sendPayload(FrameKind.CHAT, payload) ?? false,
  allowed: () => session?.active ?? false,
});
const monitors = new MonitorPicker({
  send: (payload) => session?.sendPayload(FrameKind.CONTROL_E2E, payload) ?? false,
});
const keysMenu = new KeysMenu({
  send: (payload) => session?.sendInput(payload),
  allowed: () => session?.inputAllowed() ?? false,
});

/** What the session asks to show. */
function onSessionView(name, detail = {}) {
  if (name !== "code") codePanel.stop();
  if (name === "consent") {
    byId("consent-detail").textContent =
      detail.mode === "control"
        ? "The person sees that you ask for full control and chooses Allow or Decline."
        : "The person sees that you ask to view their screen and chooses Allow or Decline.";
  }
  if (name === "session" && detail.first) {
    viewer.start();
    showView("session", { focus: false });
    byId("viewer").focus();
    return;
  }
  if (name === "ended") {
    forget();
    annotator.setTool("none");
    byId("ended-message").textContent = detail.message;
    byId("view-ended").dataset.reason = detail.reason ?? "";
    session = null;
    delete document.body.dataset.sessionId;
  }
  showView(name);
}

/**
 * Ask the service for a new code and start waiting for the sharer. On failure the home page
 * shows the sentence (never a stale code).
 */
async function newCode() {
  const previous = session;
  session = null;
  codePanel.stop();
  if (previous) await previous.abandon();
  const error = byId("home-error");
  setError(error, "");
  let created;
  try {
    created = await api.createSession();
  } catch (err) {
    if (err.status === 401) return showSignin();
    showView("home");
    setError(error, err.message);
    return;
  }
  beginSession(created, true);
}

/** Connect to a created (or resumed) session; its state messages choose the view from here. */
function beginSession(created, showCode) {
  api.useSessionNode(created.relay_path);
  chat.reset();
  monitors.reset();
  const resume = created.resume
    ? Uint8Array.from(atob(created.resume), (c) => c.charCodeAt(0))
    : undefined;
  showCheck(null);
  session = new Session({
    created,
    viewer,
    chat,
    monitors,
    onView: onSessionView,
    resume,
    // After a reload, the digits compared before it: the helper and the sharer keep those.
    check: created.check || undefined,
    onSecurity: ({ check, resume: secret }) => {
      showCheck(check);
      rememberResume(secret, check);
    },
  });
  document.body.dataset.sessionId = created.session_id;
  remember(created);
  codePanel.show(created);
  if (showCode) showView("code");
  session.start();
}

/** Back into the session this tab was in before a reload, if it is still going. */
async function resume() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) ?? "null");
  } catch {
    saved = null;
  }
  if (!saved?.session_id) return false;
  api.useSessionNode(saved.relay_path);
  let state;
  try {
    state = await api.getSession(saved.session_id);
  } catch {
    forget();
    return false;
  }
  if (!state || state.phase === "ended") {
    forget();
    return false;
  }
  const expiresIn = Math.max(0, (saved.expires_at_ms - Date.now()) / 1000);
  const created = {
    session_id: saved.session_id,
    relay_path: saved.relay_path,
    code_display: saved.code_display,
    expires_in: expiresIn,
    resume: saved.resume,
    check: saved.check,
    full_control: saved.full_control !== false,
  };
  beginSession(created, state.phase === "waiting");
  return true;
}

async function goHome() {
  const previous = session;
  session = null;
  forget();
  codePanel.stop();
  viewer.stop();
  if (previous) await previous.abandon();
  showView("home");
}

function wireButtons() {
  byId("assist-button").addEventListener("click", () => newCode());
  byId("code-new").addEventListener("click", () => newCode());
  byId("code-cancel").addEventListener("click", goHome);
  byId("mode-cancel").addEventListener("click", goHome);
  byId("consent-cancel").addEventListener("click", goHome);
  byId("ended-new-code").addEventListener("click", () => newCode());
  byId("ended-home").addEventListener("click", goHome);
  byId("mode-view-only").addEventListener("click", () => session?.chooseMode("view"));
  byId("mode-full-control").addEventListener("click", () => session?.chooseMode("control"));
  byId("request-control").addEventListener("click", () => {
    session?.requestControl();
    byId("notice").textContent = "Asking the sharer for full control...";
  });
  byId("end-button").addEventListener("click", () => session?.end());
  setupShortcuts(
    {
      KeyV: () => byId("viewer").focus(),
      KeyF: () => viewer.toggleFit(),
      KeyM: () => viewer.toggleFullscreen(),
      KeyP: () => annotator.toggle("pen"),
      KeyL: () => annotator.toggle("laser"),
      KeyX: () => annotator.clear(),
      Escape: () => {
        annotator.setTool("none");
        keysMenu.close(false);
      },
      KeyK: () => keysMenu.openMenu(),
      KeyC: () => chat.toggle(),
      KeyR: () => {
        if (!byId("request-control").hidden) byId("request-control").click();
      },
    },
    { onStrayKey: (e) => viewer.takeStrayKey(e) },
  );
}

async function boot() {
  setupSignin({
    onSignedIn: (user) => {
      showUser(user);
      showView("home");
    },
    onSignedOut: async () => {
      const previous = session;
      session = null;
      forget();
      if (previous) await previous.abandon();
      showSignin();
    },
  });
  wireButtons();
  try {
    const user = await api.me();
    showUser(user);
    if (!(await resume())) showView("home");
  } catch {
    showSignin();
  }
}

boot();
