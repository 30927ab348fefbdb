/**
 * The chat panel with an unread badge. Text from the other side is ALWAYS inserted with
 * textContent, never as HTML: "<b>hi</b>" shows as those eight characters.
 */

import * as payloads from "../core/payloads.js";
import { byId } from "./views.js";

export class Chat {
  /** @param {{send: (payload: object) => boolean, allowed: () => boolean}} options */
  constructor({ send, allowed }) {
    this.send = send;
    this.allowed = allowed;
    this.unread = 0;
    this.counter = 0;
    this.panel = byId("chat-panel");
    this.log = byId("chat-log");
    this.input = byId("chat-input");
    this.toggleButton = byId("chat-toggle");
    this.toggleButton.addEventListener("click", () => this.toggle());
    byId("chat-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
  }

  get open() {
    return !this.panel.hidden;
  }

  toggle(force = !this.open) {
    this.panel.hidden = !force;
    this.toggleButton.setAttribute("aria-expanded", String(force));
    if (force) {
      this.setUnread(0);
      this.input.focus();
    }
    this.panel.dispatchEvent(new Event("toggle"));
  }

  setUnread(n) {
    this.unread = n;
    const badge = byId("chat-badge");
    badge.textContent = String(n);
    badge.hidden = n === 0;
    this.toggleButton.setAttribute("aria-label", n ? `Chat, ${n} unread` : "Chat");
  }

  submit() {
    const text = this.input.value.trim();
    if (!text) return;
    if (!this.allowed()) {
      byId("notice").textContent = "Chat works once the session is active.";
      return;
    }
    this.counter += 1;
    const message = payloads.chatMessage(`h${Date.now().toString(36)}${this.counter}`, text, Date.now());
    if (this.send(message)) {
      this.append("You", text, message.sent_at, true);
      this.input.value = "";
    } else {
      byId("notice").textContent = "The message was not sent: the connection is down.";
    }
  }

  /** A chat payload from the sharer (already validated by core/payloads.js). */
  receive(message) {
    this.append("Them", message.text, message.sent_at, false);
    if (!this.open || document.hidden) this.setUnread(this.unread + 1);
  }

  append(who, text, sentAt, mine) {
    const item = document.createElement("li");
    item.classList.toggle("mine", mine);
    const label = document.createElement("span");
    label.className = "who";
    const time = new Date(sentAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    label.textContent = `${who}, ${time}`;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text; // never innerHTML: the text is the other side's
    item.append(label, body);
    this.log.append(item);
    this.log.scrollTop = this.log.scrollHeight;
  }

  reset() {
    this.log.replaceChildren();
    this.setUnread(0);
    this.toggle(false);
  }
}
