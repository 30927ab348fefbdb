/**
 * Sign in and sign out (docs/protocol.md section 2, /api/auth/*).
 */

import * as api from "../core/api.js";
import { byId, setError, showView } from "./views.js";

/**
 * @param {{onSignedIn: (user: object) => void, onSignedOut: () => void}} hooks
 */
export function setupSignin({ onSignedIn, onSignedOut }) {
  const form = byId("signin-form");
  const error = byId("signin-error");
  const submit = byId("signin-submit");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = byId("signin-username").value.trim();
    const password = byId("signin-password").value;
    if (!username || !password) {
      setError(error, "Enter your user name and password.");
      return;
    }
    setError(error, "");
    submit.disabled = true;
    try {
      const user = await api.login(username, password);
      byId("signin-password").value = "";
      onSignedIn(user);
    } catch (err) {
      setError(error, err.message);
      byId("signin-password").select();
    } finally {
      submit.disabled = false;
    }
  });

  byId("signout-button").addEventListener("click", async () => {
    try {
      await api.logout();
    } catch {
      // Signed out or not, the page returns to the sign-in form.
    }
    onSignedOut();
  });
}

/** Show the signed-in user in the top bar (textContent only: names come from the service). */
export function showUser(user) {
  const name = byId("user-name");
  name.textContent = user ? user.display_name || user.username : "";
  name.hidden = !user;
  byId("signout-button").hidden = !user;
}

export function showSignin() {
  showUser(null);
  showView("signin");
}
