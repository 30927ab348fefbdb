/**
 * The service's HTTP API (docs/protocol.md section 2) as small fetch wrappers.
 *
 * Every failure becomes an ApiError whose `message` is a sentence a person can act on: the
 * service's own `message` when it sent one, otherwise a sentence chosen here. Callers never see
 * a TypeError from fetch or a JSON parse error.
 */

export class ApiError extends Error {
  /**
   * @param {string} message a sentence for people
   * @param {{status?: number, code?: string, retryAfter?: number|null}} [details]
   */
  constructor(message, { status = 0, code = "network_error", retryAfter = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK_SENTENCES = {
  0: "The service cannot be reached. Check your connection and try again.",
  401: "You are not signed in. Sign in and try again.",
  403: "This action is not allowed.",
  404: "That session no longer exists.",
  409: "That cannot be done now.",
  429: "Too many attempts. Wait a minute and try again.",
};

/**
 * Call the API. `fetchImpl` is the transport seam (tests may pass their own).
 * @returns {Promise<any>} the parsed JSON answer, or null for 204
 */
export async function request(method, path, body = undefined, { fetchImpl = fetch } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetchImpl(path, init);
  } catch {
    throw new ApiError(FALLBACK_SENTENCES[0]);
  }
  let data = null;
  if (response.status !== 204) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const retry = Number(response.headers.get("Retry-After"));
    throw new ApiError(
      (data && typeof data.message === "string" && data.message) ||
        FALLBACK_SENTENCES[response.status] ||
        "The service had a problem. Try again in a moment.",
      {
        status: response.status,
        code: (data && typeof data.error === "string" && data.error) || `http_${response.status}`,
        retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
      },
    );
  }
  return data;
}

export const login = (username, password, opts) =>
  request("POST", "/api/auth/login", { username, password }, opts);
export const logout = (opts) => request("POST", "/api/auth/logout", undefined, opts);
export const me = (opts) => request("GET", "/api/auth/me", undefined, opts);
export const createSession = (opts) => request("POST", "/api/sessions", undefined, opts);

// With many service nodes each session is pinned to one, reached under its own path on this
// origin (`relay_path` of the created session, "/nodes/n1"; "" on one node): the session's own
// calls and its WebSocket go there (docs/deploy.md, "Many nodes").
let sessionNodePath = "";

/** Send the calls of the session that starts (or resumes) to its node's path. */
export function useSessionNode(relayPath) {
  sessionNodePath = typeof relayPath === "string" ? relayPath : "";
}

export const getSession = (id, opts) =>
  request("GET", `${sessionNodePath}/api/sessions/${encodeURIComponent(id)}`, undefined, opts);
export const sessionAction = (id, message, opts) =>
  request(
    "POST",
    `${sessionNodePath}/api/sessions/${encodeURIComponent(id)}/actions`,
    message,
    opts,
  );

/** The helper's relay WebSocket URL for a session, on this page's origin (its node's path). */
export function helperSocketUrl(sessionId, location = globalThis.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const path = `${sessionNodePath}/ws/helper/${encodeURIComponent(sessionId)}`;
  return `${scheme}//${location.host}${path}`;
}
