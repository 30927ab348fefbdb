/**
 * Sign in and sign out (docs/protocol.md section 2, /api/auth/*): a password (with a second
 * factor when the account has one), or the organisation's identity provider.
 *
 * Elements: #signin-form #signin-username #signin-password #signin-code-row #signin-code
 * #signin-error #signin-submit, #signin-providers (one link per provider, filled from
 * GET /api/auth/methods; the password form is hidden when local sign-in is switched off).
 */

import * as api from "../core/api.js";
import { openAccount, setupAccount } from "./account.js";
import { byId, setError, showView } from "./views.js";

/** Codes the service answers when the password was right but a second factor is needed. */
const NEEDS_CODE = new Set(["two_factor_required", "two_factor_enrolment_required"]);

/**
 * @param {{onSignedIn: (user: object) => void, onSignedOut: () => void}} hooks
 */
export function setupSignin({ onSignedIn, onSignedOut }) {
  const form = byId("signin-form");
  const error = byId("signin-error");
  const submit = byId("signin-submit");
  const codeRow = byId("signin-code-row");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = byId("signin-username").value.trim();
    const password = byId("signin-password").value;
    const code = byId("signin-code").value.replace(/\s+/g, "");
    if (!username || !password) {
      setError(error, "Enter your user name and password.");
      return;
    }
    setError(error, "");
    submit.disabled = true;
    try {
      const body = { username, password };
      if (!codeRow.hidden && code) body.code = code;
      const user = await api.request("POST", "/api/auth/login", body);
      byId("signin-password").value = "";
      byId("signin-code").value = "";
      codeRow.hidden = true;
      onSignedIn(user);
      // An administrator who must set up an authenticator first is taken straight there.
      if (user.two_factor_enrolment_required) await openAccount(user);
    } catch (err) {
      setError(error, err.message);
      if (NEEDS_CODE.has(err.code)) {
        codeRow.hidden = false;
        byId("signin-code").focus();
      } else {
        byId("signin-password").select();
      }
    } finally {
      submit.disabled = false;
    }
  });

  byId("signout-button").addEventListener("click", async () => {
    let answer = null;
    try {
      answer = await api.logout();
    } catch {
      // Signed out or not, the page returns to the sign-in form.
    }
    if (answer && typeof answer.end_session_url === "string") {
      // Signed in through an identity provider: sign out there too, which comes back here.
      globalThis.location.assign(answer.end_session_url);
      return;
    }
    onSignedOut();
  });

  setupAccount();
  showMethods();
}

/** Offer each identity provider, and hide the password form if local sign-in is off. */
async function showMethods() {
  let methods;
  try {
    methods = await api.request("GET", "/api/auth/methods");
  } catch {
    return; // the password form stays, and says what is wrong when used
  }
  const list = byId("signin-providers");
  list.replaceChildren(
    ...methods.providers.map((provider) => {
      const link = document.createElement("a");
      link.className = "button provider";
      link.href = provider.login_url;
      link.dataset.provider = provider.id;
      link.textContent = `Sign in with ${provider.label}`; // textContent: labels are settings
      return link;
    }),
  );
  list.hidden = methods.providers.length === 0;
  byId("signin-form").hidden = !methods.local;
}

/** Show the signed-in user in the top bar (textContent only: names come from the service). */
export function showUser(user) {
  const name = byId("user-name");
  name.textContent = user ? user.display_name || user.username : "";
  name.hidden = !user;
  byId("signout-button").hidden = !user;
  byId("account-button").hidden = !user;
}

export function showSignin() {
  showUser(null);
  showView("signin");
}
