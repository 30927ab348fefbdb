/**
 * Recent sessions in the Account view (#account-history): GET /api/history. No content is
 * ever recorded; names are kept 3 days, then only the anonymous counts remain.
 */

import * as api from "../core/api.js";
import { byId } from "./views.js";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text ?? ""; // textContent: everything here comes from the service
  return td;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "";
  const minutes = Math.floor(seconds / 60);
  return minutes ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
}

export async function showHistory() {
  const body = byId("account-history-table").querySelector("tbody");
  let answer;
  try {
    answer = await api.request("GET", "/api/history");
  } catch (err) {
    byId("account-history-counts").textContent = err.message;
    return;
  }
  body.replaceChildren(
    ...answer.sessions.map((row) => {
      const tr = document.createElement("tr");
      tr.append(
        cell(new Date(row.started_at).toLocaleString()),
        cell(row.helper),
        cell(duration(row.duration_seconds)),
        cell(row.mode),
        cell(row.features.join(", ")),
        cell(row.end_reason),
      );
      return tr;
    }),
  );
  const counts = answer.counts;
  byId("account-history-counts").textContent = counts
    ? `${counts.sessions} sessions recorded, ${counts.anonymous} of them anonymous now.`
    : answer.sessions.length
      ? ""
      : "No sessions in the last 3 days.";
}
