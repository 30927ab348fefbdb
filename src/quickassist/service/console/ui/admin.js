/**
 * Administration in the Account view (#account-admin), for administrators: helpers (add,
 * disable, enable, remove, reset two-factor, role, full control), settings, abuse reports and
 * the administrators' log, all through /api/admin/* (the service applies the same rules as the
 * `quickassist user` commands and records every action).
 */

import * as api from "../core/api.js";
import { byId, setError } from "./views.js";

let signedIn = null;
let wired = false;

function button(label, action) {
  const el = document.createElement("button");
  el.type = "button";
  el.className = "link-button";
  el.textContent = label;
  el.addEventListener("click", async () => {
    setError(byId("admin-error"), "");
    try {
      await action();
      await refresh();
    } catch (err) {
      setError(byId("admin-error"), err.message);
    }
  });
  return el;
}

function cell(content) {
  const td = document.createElement("td");
  if (typeof content === "string") td.textContent = content;
  else td.append(...content);
  return td;
}

const path = (helper, rest = "") => `/api/admin/helpers/${encodeURIComponent(helper.username)}${rest}`;

function helperRow(helper) {
  const tr = document.createElement("tr");
  tr.dataset.username = helper.username;
  const own = signedIn && helper.username === signedIn.username;
  const actions = [
    button(helper.role === "admin" ? "Make helper" : "Make admin", () =>
      api.request("PATCH", path(helper), { role: helper.role === "admin" ? "helper" : "admin" }),
    ),
    button(helper.full_control ? "View only" : "Allow full control", () =>
      api.request("PATCH", path(helper), { full_control: !helper.full_control }),
    ),
  ];
  if (helper.totp_enabled) {
    actions.push(button("Reset two-factor", () => api.request("POST", path(helper, "/reset-2fa"))));
  }
  if (!own) {
    actions.push(
      helper.disabled
        ? button("Enable", () => api.request("POST", path(helper, "/enable")))
        : button("Disable", () => api.request("POST", path(helper, "/disable"))),
      button("Remove", async () => {
        if (globalThis.confirm(`Remove ${helper.username}? Their sign-ins end at once.`)) {
          await api.request("DELETE", path(helper));
        }
      }),
    );
  }
  tr.append(
    cell(helper.username + (helper.disabled ? " (disabled)" : "")),
    cell(helper.display_name),
    cell(helper.organisation + (helper.verified_domain ? ` (verified: ${helper.verified_domain})` : "")),
    cell(helper.role),
    cell(helper.full_control ? "yes" : "view only"),
    cell(helper.totp_enabled ? "on" : helper.local ? "off" : "provider"),
    cell(actions),
  );
  return tr;
}

function settingToggle(name, label, value) {
  const wrap = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.id = `admin-setting-${name}`;
  box.checked = value;
  box.addEventListener("change", async () => {
    try {
      await api.request("PUT", "/api/admin/settings", { [name]: box.checked });
    } catch (err) {
      box.checked = !box.checked;
      setError(byId("admin-error"), err.message);
    }
  });
  wrap.append(box, ` ${label}`);
  return wrap;
}

function listItems(entries, describe) {
  return entries.map((entry) => {
    const li = document.createElement("li");
    li.textContent = describe(entry);
    return li;
  });
}

async function refresh() {
  const [helpers, settings, reports, log] = await Promise.all([
    api.request("GET", "/api/admin/helpers"),
    api.request("GET", "/api/admin/settings"),
    api.request("GET", "/api/admin/reports"),
    api.request("GET", "/api/admin/log"),
  ]);
  byId("admin-helpers").querySelector("tbody").replaceChildren(...helpers.map(helperRow));
  byId("admin-settings").replaceChildren(
    settingToggle("local_sign_in", "Helpers may sign in with a password", settings.local_sign_in),
    settingToggle("admin_two_factor", "Administrators must use an authenticator app", settings.admin_two_factor),
  );
  byId("admin-reports").replaceChildren(
    ...listItems(reports, (r) => `${new Date(r.at).toLocaleString()} · session ${r.session_id} · ${r.helper ?? "helper no longer named"}: ${r.reason}`),
  );
  byId("admin-log").replaceChildren(
    ...listItems(log, (a) => `${new Date(a.at).toLocaleString()} · ${a.actor ?? "(name cleared)"} · ${a.action}${a.target ? ` · ${a.target}` : ""}`),
  );
}

function wireAddForm() {
  byId("admin-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    const shown = byId("admin-add-password");
    shown.hidden = true;
    setError(byId("admin-error"), "");
    try {
      const added = await api.request("POST", "/api/admin/helpers", {
        username: byId("admin-add-username").value.trim(),
        display_name: byId("admin-add-name").value.trim(),
        organisation: byId("admin-add-organisation").value.trim(),
      });
      shown.textContent = `Added ${added.username}. Their first password (shown once): ${added.password}`;
      shown.hidden = false;
      byId("admin-add").reset();
      await refresh();
    } catch (err) {
      setError(byId("admin-error"), err.message);
    }
  });
}

/** Show the administration section for the signed-in administrator `user`. */
export async function showAdmin(user) {
  signedIn = user;
  if (!wired) {
    wireAddForm();
    wired = true;
  }
  byId("account-admin").hidden = false;
  try {
    await refresh();
  } catch (err) {
    setError(byId("admin-error"), err.message);
  }
}
