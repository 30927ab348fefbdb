/**
 * The page's views: exactly one <section class="view"> is visible at a time.
 */

const VIEWS = ["signin", "home", "code", "mode", "consent", "session", "ended", "account"];
// The window title names the step, so a screen reader user (or a tab strip) knows where they are.
const TITLES = {
  signin: "Sign in",
  home: "Assist another person",
  code: "Security code",
  mode: "Choose how to help",
  consent: "Waiting for the sharer",
  session: "Remote session",
  ended: "Session ended",
  account: "Account",
};

/** The element with `id`; a missing id is a bug in index.html, so it throws. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no element #${id}`);
  return el;
}

/** Show view `name`, hide the others, and move focus to its first heading or control. */
export function showView(name, { focus = true } = {}) {
  if (!VIEWS.includes(name)) throw new RangeError(`Unknown view ${name}`);
  byId("loading").hidden = true;
  let shown = null;
  for (const view of VIEWS) {
    const el = byId(`view-${view}`);
    const visible = view === name;
    if (visible && el.hidden) shown = el;
    el.hidden = !visible;
  }
  document.body.dataset.view = name;
  document.title = `${TITLES[name]} - quickassist`;
  if (shown && focus) {
    const target = shown.querySelector("[autofocus], input, .primary, button") ?? shown;
    target.focus();
  }
}

export function currentView() {
  return document.body.dataset.view ?? null;
}

/** Show a sentence in an error element (or hide it when `text` is empty). Always textContent. */
export function setError(el, text) {
  el.textContent = text ?? "";
  el.hidden = !text;
}
