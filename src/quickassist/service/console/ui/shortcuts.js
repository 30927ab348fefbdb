/**
 * Keyboard shortcuts and their help overlay. Every shortcut is Alt+Shift and a letter (matched by
 * the key's position, `KeyboardEvent.code`, so it works on any layout), a chord nobody types as
 * text: a one-letter shortcut once opened the chat on the "c" of "echo" and sent the rest of the
 * word to the sharer as a chat message. Escape (not text) and F1 work alone.
 *
 * Text typed on the page outside any field goes where it was meant: in full control to the shared
 * screen (`onStrayKey` puts the keyboard there), otherwise nowhere. Shortcuts never fire while
 * typing in a field, and in full control the viewer takes every key (Ctrl+Alt+Shift gives it back).
 */

import { byId, currentView } from "./views.js";

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

/** Alt+Shift with nothing else held: the shortcut chord. */
function isChord(e) {
  return e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey;
}

/** A key that types a character (no Ctrl, Alt or Meta; Shift only changes the character). */
function isText(e) {
  return e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey;
}

/**
 * @param {Record<string, () => void>} sessionKeys  key position (KeyboardEvent.code, "KeyC")
 *   pressed with Alt+Shift -> action, in a session; "Escape" is pressed alone
 * @param {{onStrayKey?: (e: KeyboardEvent) => void}} options  `onStrayKey` gets text keys typed
 *   in a session outside any field
 */
export function setupShortcuts(sessionKeys, { onStrayKey = () => {} } = {}) {
  const dialog = byId("help-dialog");
  const openHelp = () => {
    if (!dialog.open) dialog.showModal();
    byId("help-close").focus();
  };
  byId("help-button").addEventListener("click", openHelp);

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || dialog.open || e.isComposing) return;
    const target = e.target;
    if (TYPING.has(target.tagName) || target.isContentEditable) return;
    if (e.key === "F1" || (isChord(e) && e.code === "KeyH")) {
      e.preventDefault();
      openHelp();
      return;
    }
    if (currentView() !== "session") return;
    const plainEscape = e.key === "Escape" && !e.ctrlKey && !e.altKey && !e.metaKey;
    const action = plainEscape ? sessionKeys.Escape : isChord(e) ? sessionKeys[e.code] : undefined;
    if (action) {
      e.preventDefault();
      action();
    } else if (isText(e)) {
      onStrayKey(e);
    }
  });
}
