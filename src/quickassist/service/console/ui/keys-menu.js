/**
 * The "Send keys" menu: key combinations the browser or the helper's own system keeps
 * (Ctrl+Alt+Del, the Windows key, Alt+Tab), sent as key down/up sequences.
 * Keyboard: Enter/Space opens, arrows move, Escape closes and returns focus to the button.
 */

import { COMBINATIONS, combinationEvents } from "../core/input.js";
import { byId } from "./views.js";

export class KeysMenu {
  /** @param {{send: (payload: object) => void, allowed: () => boolean}} options */
  constructor({ send, allowed }) {
    this.send = send;
    this.allowed = allowed;
    this.button = byId("keys-button");
    this.menu = byId("keys-menu");
    for (const [name, combo] of Object.entries(COMBINATIONS)) {
      const item = document.createElement("button");
      item.type = "button";
      item.setAttribute("role", "menuitem");
      item.dataset.combo = name;
      item.id = `keys-${name}`;
      item.textContent = combo.label;
      item.addEventListener("click", () => this.choose(name));
      this.menu.append(item);
    }
    this.button.addEventListener("click", () => (this.menu.hidden ? this.openMenu() : this.close()));
    this.menu.addEventListener("keydown", (e) => this.onKey(e));
    this.menu.addEventListener("focusout", (e) => {
      if (!this.menu.contains(e.relatedTarget) && e.relatedTarget !== this.button) this.close(false);
    });
  }

  openMenu() {
    this.menu.hidden = false;
    this.button.setAttribute("aria-expanded", "true");
    this.menu.querySelector("button").focus();
  }

  close(returnFocus = true) {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    this.button.setAttribute("aria-expanded", "false");
    if (returnFocus) this.button.focus();
  }

  onKey(e) {
    const items = [...this.menu.querySelectorAll("button")];
    const i = items.indexOf(document.activeElement);
    if (e.key === "Escape") {
      e.preventDefault();
      this.close();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = (i + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items[next].focus();
    }
  }

  choose(name) {
    if (this.allowed()) {
      for (const event of combinationEvents(name)) this.send(event);
      byId("notice").textContent = `Sent ${COMBINATIONS[name].label}.`;
    } else {
      byId("notice").textContent = "Keys can be sent only in full control.";
    }
    this.close(false);
    byId("viewer").focus();
  }
}
