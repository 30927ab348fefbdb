/**
 * The security code view: the code shown large, a copy button and a live countdown to expiry,
 * and "Send the sharer app" for a person who has no sharer app yet.
 */

import { ApiError, request } from "../core/api.js";
import { byId } from "./views.js";

/** "9:05" from seconds. */
export function formatCountdown(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class CodePanel {
  constructor() {
    this.timer = null;
    this.expiresAtMs = 0;
    byId("code-copy").addEventListener("click", () => this.copy());
    this.sharerApp = new SharerAppOffer();
  }

  /** Show a freshly created session's code; `expires_in` is counted from now (no clock skew). */
  show(created) {
    byId("code-value").textContent = created.code_display;
    byId("code-copied").textContent = "";
    this.expiresAtMs = Date.now() + created.expires_in * 1000;
    this.stop();
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000);
  }

  tick() {
    const left = (this.expiresAtMs - Date.now()) / 1000;
    const el = byId("code-countdown");
    el.textContent = left > 0 ? `The code expires in ${formatCountdown(left)}` : "The code has expired.";
    el.classList.toggle("soon", left < 60);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async copy() {
    const text = byId("code-value").textContent;
    await copyText(text, byId("code-copied"), `Copied ${text}.`, "Read the code out instead.");
  }
}

/** "93 MB" from a byte count (the sizes people see in a download bar). */
export function formatSize(bytes) {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** What a platform name (`linux-x86_64`) means to a person. */
export function platformLabel(platform) {
  const [os, machine = ""] = platform.split("-");
  const name = { linux: "Linux", win: "Windows", win32: "Windows", darwin: "macOS" }[os] || os;
  return machine ? `${name} (${machine})` : name;
}

/**
 * "Send the sharer app": links to the sharer app the service hands out, already set up for
 * this service (GET /api/downloads), or, where none is built, how to get the sharer instead.
 * Never a link to a file that is not there.
 */
export class SharerAppOffer {
  constructor({ fetchDownloads = () => request("GET", "/api/downloads") } = {}) {
    this.fetchDownloads = fetchDownloads;
    this.button = byId("sharer-app-button");
    this.box = byId("sharer-app");
    this.button.addEventListener("click", () => this.toggle());
  }

  async toggle() {
    const open = this.box.hidden;
    this.box.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (open) await this.load();
  }

  async load() {
    const status = byId("sharer-app-status");
    status.textContent = "Looking for the sharer app...";
    byId("sharer-app-links").replaceChildren();
    byId("sharer-app-install").hidden = true;
    let offer;
    try {
      offer = await this.fetchDownloads();
    } catch (error) {
      status.textContent = error instanceof ApiError ? error.message : String(error);
      return;
    }
    if (offer.sharer_apps.length) this.showApps(offer);
    else this.showInstall(offer);
  }

  showApps(offer) {
    byId("sharer-app-status").textContent =
      "Send this link to the person you are helping. The app already knows this service: " +
      "they open it and type only the code. On Linux, they first allow the file to run as a " +
      "program (right-click, Properties, Permissions). If their browser warns about this " +
      "service's certificate, download the app here and send them the file instead.";
    byId("sharer-app-links").replaceChildren(
      ...offer.sharer_apps.map((app) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = app.url;
        link.download = "";
        link.textContent = `Sharer app for ${platformLabel(app.platform)}`;
        const size = document.createElement("span");
        size.className = "hint";
        size.textContent = ` ${formatSize(app.bytes)} `;
        const copy = document.createElement("button");
        copy.type = "button";
        copy.textContent = "Copy link";
        const copied = document.createElement("span");
        copied.setAttribute("role", "status");
        copy.addEventListener("click", () =>
          copyText(new URL(app.url, window.location.origin).href, copied, "Link copied.", "Right-click the link to copy it."),
        );
        item.append(link, size, copy, copied);
        return item;
      }),
    );
  }

  showInstall(offer) {
    byId("sharer-app-status").textContent =
      "This service has no sharer app to hand out yet: an administrator builds it with " +
      "scripts/build-sharer (see docs/sharer-app.md).";
    const install = byId("sharer-app-install");
    const trust = offer.fingerprint ? ` --fingerprint ${offer.fingerprint}` : "";
    install.replaceChildren(
      "Until then, the person can install it with ",
      code("pipx install 'quickassist[sharer]'"),
      " and start it with ",
      code(`quickassist share ${offer.service_url}${trust} --remember`),
      " (after that, ",
      code("quickassist share"),
      " alone), or save ",
    );
    const settings = document.createElement("a");
    settings.href = offer.preset_url;
    settings.download = "";
    settings.textContent = "these settings";
    install.append(settings, " as ", code("~/.config/quickassist/sharer.json"), ".");
    install.hidden = false;
  }
}

function code(text) {
  const el = document.createElement("code");
  el.textContent = text;
  return el;
}

/** Put `text` on the clipboard and say so in `status` (or why not). */
async function copyText(text, status, done, instead = "Copy it from the page instead.") {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = done;
  } catch {
    status.textContent = `Copying is not allowed here. ${instead}`;
  }
}
