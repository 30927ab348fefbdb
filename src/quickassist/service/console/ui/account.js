/**
 * The Account view (#view-account): two-factor sign-in for accounts with a password here,
 * recent sessions (history.js) and, for administrators, administration (admin.js).
 *
 * Opened from the top bar's #account-button, and right after signing in when an administrator
 * must set up an authenticator first (the service refuses everything else until then).
 */

import * as api from "../core/api.js";
import { showAdmin } from "./admin.js";
import { showHistory } from "./history.js";
import { byId, setError, showView } from "./views.js";

let previousView = "home";

export function setupAccount() {
  byId("account-button").addEventListener("click", async () => {
    try {
      await openAccount(await api.me());
    } catch (err) {
      setError(byId("account-2fa-error"), err.message);
    }
  });
  byId("account-back").addEventListener("click", () => showView(previousView));
  byId("account-2fa-start").addEventListener("click", startEnrolment);
  byId("account-2fa-confirm").addEventListener("click", confirmEnrolment);
}

/** Show the Account view for `user` (the answer of /api/auth/me). */
export async function openAccount(user) {
  const current = document.body.dataset.view;
  if (current && current !== "account" && current !== "signin") previousView = current;
  showTwoFactor(user);
  showView("account");
  await Promise.all([showHistory(), user.role === "admin" ? showAdmin(user) : hideAdmin()]);
}

function hideAdmin() {
  byId("account-admin").hidden = true;
}

function showTwoFactor(user) {
  const section = byId("account-2fa");
  section.hidden = !user.local;
  byId("account-2fa-enrol").hidden = true;
  byId("account-2fa-recovery").hidden = true;
  setError(byId("account-2fa-error"), "");
  let status = user.totp_enabled
    ? "Two-factor sign-in is on: you sign in with your password and a code from your app."
    : "Two-factor sign-in is off.";
  if (user.two_factor_enrolment_required) {
    status = "Administrators here must use an authenticator app: set one up to continue.";
  }
  byId("account-2fa-status").textContent = status;
  byId("account-2fa-start").textContent = user.totp_enabled
    ? "Replace the authenticator app"
    : "Set up an authenticator app";
}

async function startEnrolment() {
  const error = byId("account-2fa-error");
  setError(error, "");
  try {
    const enrolment = await api.request("POST", "/api/auth/2fa/enrol");
    // The QR code is an image from the service itself (SVG made there): no markup inserted.
    byId("account-2fa-qr").src = `${enrolment.qr_url}?t=${Date.now()}`;
    byId("account-2fa-secret").textContent = enrolment.secret;
    byId("account-2fa-enrol").hidden = false;
    byId("account-2fa-code").focus();
  } catch (err) {
    setError(error, err.message);
  }
}

async function confirmEnrolment() {
  const error = byId("account-2fa-error");
  const code = byId("account-2fa-code").value.replace(/\s+/g, "");
  if (!code) {
    setError(error, "Enter the 6-digit code your app shows.");
    return;
  }
  try {
    const { recovery_codes: codes } = await api.request("POST", "/api/auth/2fa/confirm", { code });
    byId("account-2fa-code").value = "";
    byId("account-2fa-enrol").hidden = true;
    byId("account-2fa-recovery-list").replaceChildren(
      ...codes.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
    byId("account-2fa-recovery").hidden = false;
    byId("account-2fa-status").textContent =
      "Two-factor sign-in is on: you sign in with your password and a code from your app.";
    setError(error, "");
  } catch (err) {
    setError(error, err.message);
  }
}
