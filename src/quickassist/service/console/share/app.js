/**
 * The browser sharer's page (/share, /s/CODE): the views and the person's clicks; the session
 * itself is ShareSession (sharing.js), the cryptography and the wire the console's core/.
 *
 * Stable element ids (for tests; keep them):
 *   start    #view-start #share-warning #share-form #share-code #share-submit #share-error
 *            #share-unsupported
 *   waiting  #view-waiting #waiting-who #waiting-status #waiting-cancel
 *   consent  #view-consent #consent-who #consent-what #consent-check (the six digits, in a
 *            <strong>) #consent-warning #consent-allow #consent-decline #consent-error
 *   sharing  #view-sharing #sharing-who #sharing-status #sharing-check #share-again-button
 *            #pause-button #resume-button #annotation-window-button #end-button
 *            #sharing-notice #annotation-canvas #chat-log (li > .who + .text) #chat-form
 *            #chat-input #chat-send
 *   ended    #view-ended #ended-message
 * document.body.dataset.view names the visible view; dataset.check the digits once agreed;
 * dataset.quality the helper's quality choice and what the encoder aims at under it
 * ("smooth h264 4000000 30": mode, codec, bits/s, frames/s; JPEG: its quality instead of the two).
 *
 * Privacy: no cookie and no localStorage. The join's answer and the resume secret live in
 * sessionStorage (gone with the tab) so a reload within the grace period resumes, as the app
 * reconnects; they are removed when the session ends.
 */

import { request } from "../core/api.js";
import { toBase64 } from "../core/e2e.js";
import { AnnotationWindow } from "./annotation-window.js";
import { ShareSession } from "./sharing.js";
import { byId } from "../ui/views.js";

const VIEWS = ["start", "waiting", "consent", "sharing", "ended"];
const TITLES = {
  start: "Share your screen",
  waiting: "Connected",
  consent: "Allow screen sharing?",
  sharing: "Sharing your screen",
  ended: "Session ended",
};
const SAVED_KEY = "quickassist.share";
/** /s/ABC234 or /s/ABC-234: the code of a link the helper sent. */
const CODE_PATH = /^\/s\/([0-9A-Za-z -]{1,16})$/;

let session = null;
let annotations = null;

function showView(name) {
  for (const view of VIEWS) byId(`view-${view}`).hidden = view !== name;
  document.body.dataset.view = name;
  document.title = `${TITLES[name]} - quickassist`;
}

function setText(id, text) {
  byId(id).textContent = text;
}

function setError(id, text) {
  const el = byId(id);
  el.textContent = text ?? "";
  el.hidden = !text;
}

/** "Ada L. · Contoso (verified: contoso.com)", as the app says it (HelperCard.who). */
export function who(helper) {
  if (!helper.organisation) return `${helper.name} (organisation not verified)`;
  if (helper.verified_domain) return `${helper.name} · ${helper.organisation} (verified: ${helper.verified_domain})`;
  return `${helper.name} · ${helper.organisation} (organisation not verified)`;
}

function showCheck(id, check) {
  const el = byId(id);
  const strong = document.createElement("strong");
  strong.textContent = check;
  el.replaceChildren("Your helper should read you these digits: ", strong);
}

function unsupported() {
  if (!navigator.mediaDevices?.getDisplayMedia) {
    return "This browser cannot share a screen. Use a current Chrome, Edge, Firefox or Safari on a computer.";
  }
  if (typeof VideoEncoder === "undefined" && typeof OffscreenCanvas === "undefined") {
    return "This browser cannot send a screen picture. Use a current Chrome, Edge, Firefox or Safari.";
  }
  if (!globalThis.crypto?.subtle) return "This page must be opened over https.";
  return null;
}

// The session's view of the page -----------------------------------------------------------------

const ui = {
  view: (name) => showView(name),
  status: (text) => setText("waiting-status", text),
  notice: (text) => {
    setText("sharing-notice", text);
    if (document.body.dataset.view === "consent") setError("consent-error", text);
  },
  consent({ mode, helper, check }) {
    setText("consent-who", `${who(helper)} is asking.`);
    setText("consent-what", `${helper.name} asks to see your screen. They will not be able to control it.`);
    if (mode !== "view") setText("consent-what", `${helper.name} asks for more than this page can give: only viewing.`);
    showCheck("consent-check", check);
    setError("consent-error", null);
    showView("consent");
    byId("consent-decline").focus();
  },
  security({ check, resume }) {
    document.body.dataset.check = check;
    showCheck("sharing-check", check);
    save({ resume: toBase64(resume), check });
  },
  chat: (whoSaid, text) => addChat(whoSaid, text, false),
  annotation: (payload) => annotations.apply(payload),
  screen: (width, height) => annotations.setScreen(width, height),
  paused(paused) {
    byId("pause-button").hidden = paused;
    byId("resume-button").hidden = !paused;
    setText("sharing-status", paused ? "Paused: your helper sees nothing until you resume." : "Sharing.");
  },
  capturing(capturing) {
    byId("share-again-button").hidden = capturing;
    if (!capturing) setText("sharing-status", "Your screen is not shared: choose it again, or stop sharing.");
  },
  encoding({ mode, codec, bitrate, framerate, jpegQuality }) {
    const aim = codec === "jpeg" ? `jpeg ${jpegQuality}` : codec ? `${codec} ${bitrate} ${framerate}` : "";
    document.body.dataset.quality = `${mode} ${aim}`.trim(); // (no encoder yet: the mode alone)
  },
  ended(sentence) {
    sessionStorage.removeItem(SAVED_KEY);
    annotations.close();
    setText("ended-message", sentence);
    showView("ended");
  },
};

function addChat(whoSaid, text, mine) {
  const item = document.createElement("li");
  if (mine) item.classList.add("mine");
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = `${whoSaid}:`;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  item.append(name, body);
  byId("chat-log").append(item);
  item.scrollIntoView({ block: "nearest" });
}

// Keeping the session for a reload of this tab (sessionStorage only) --------------------------------

function save(extra) {
  const saved = JSON.parse(sessionStorage.getItem(SAVED_KEY) ?? "null");
  if (saved) sessionStorage.setItem(SAVED_KEY, JSON.stringify({ ...saved, ...extra }));
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function begin(joined, { resume, check } = {}) {
  setText("waiting-who", `${who(joined.helper)}: your helper.`);
  setText("sharing-who", `Watching: ${who(joined.helper)}. They can see your screen, but cannot control it.`);
  showView("waiting");
  session = new ShareSession({ joined, ui, resume, check });
  session.start();
}

async function join(event) {
  event.preventDefault();
  const code = byId("share-code").value;
  setError("share-error", null);
  if (!code.trim()) {
    setError("share-error", "Type the code your helper gave you.");
    return;
  }
  byId("share-submit").disabled = true;
  try {
    const joined = await request("POST", "/api/join", { code, client: "browser" });
    sessionStorage.setItem(SAVED_KEY, JSON.stringify({ joined }));
    begin(joined);
  } catch (error) {
    setError("share-error", error.message);
  } finally {
    byId("share-submit").disabled = false;
  }
}

function setup() {
  annotations = new AnnotationWindow();
  const problem = unsupported();
  if (problem) {
    setError("share-unsupported", problem);
    byId("share-submit").disabled = true;
  }
  const linked = CODE_PATH.exec(location.pathname);
  if (linked) byId("share-code").value = linked[1].toUpperCase();
  byId("share-form").addEventListener("submit", join);
  byId("consent-allow").addEventListener("click", async () => {
    // One picker at a time: a second click while the browser asks would open another.
    const allow = byId("consent-allow");
    allow.disabled = true;
    try {
      await session?.allow();
    } finally {
      allow.disabled = false;
    }
  });
  byId("consent-decline").addEventListener("click", () => session?.decline());
  byId("waiting-cancel").addEventListener("click", () => session?.end());
  byId("pause-button").addEventListener("click", () => session?.pause());
  byId("resume-button").addEventListener("click", () => session?.resume());
  byId("end-button").addEventListener("click", () => session?.end());
  byId("share-again-button").addEventListener("click", () => session?.shareAgain());
  byId("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId("chat-input");
    const text = input.value.trim();
    if (!text || !session) return;
    session.sendChat(text);
    addChat("You", text, true);
    input.value = "";
  });

  const saved = JSON.parse(sessionStorage.getItem(SAVED_KEY) ?? "null");
  if (saved?.joined) {
    // A reload within the grace period: the same session, bound to the same first handshake.
    begin(saved.joined, { resume: saved.resume ? fromBase64(saved.resume) : undefined, check: saved.check });
  } else {
    showView("start");
    byId("share-code").focus();
  }
}

setup();
