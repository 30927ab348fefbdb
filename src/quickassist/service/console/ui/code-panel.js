/**
 * The security code view: the code shown large, a copy button and a live countdown to expiry.
 */

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
    const status = byId("code-copied");
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = `Copied ${text}.`;
    } catch {
      status.textContent = "Copying is not allowed here. Read the code out instead.";
    }
  }
}
