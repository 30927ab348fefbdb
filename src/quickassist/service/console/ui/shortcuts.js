/**
 * Keyboard shortcuts and their help overlay ("?"). Shortcuts work when the keyboard is not on
 * the shared screen (in full control the viewer takes every key; Ctrl+Alt+Shift gives it back)
 * and never while typing in a field.
 */

import { byId, currentView } from "./views.js";

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

/**
 * @param {Record<string, () => void>} sessionKeys  key (KeyboardEvent.key) -> action, in session
 */
export function setupShortcuts(sessionKeys) {
  const dialog = byId("help-dialog");
  const openHelp = () => {
    if (!dialog.open) dialog.showModal();
    byId("help-close").focus();
  };
  byId("help-button").addEventListener("click", openHelp);

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || dialog.open) return;
    const target = e.target;
    if (TYPING.has(target.tagName) || target.isContentEditable) return;
    if (e.key === "?") {
      e.preventDefault();
      openHelp();
      return;
    }
    if (currentView() !== "session") return;
    const action = sessionKeys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  });
}
