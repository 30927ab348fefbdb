/**
 * Control messages: the JSON text frames between the console and the service
 * (the twin of protocol/messages.py; docs/protocol.md section 3).
 *
 * Builders return plain objects `{type, ...}`; `encodeMessage` turns one into text.
 * `parseServerMessage` checks what the service sends and rejects anything else with
 * MessageError, so the UI only ever sees well-formed messages.
 */

import { MessageError } from "./errors.js";

/** Control messages are small; anything larger is a mistake or an attack. */
export const MAX_CONTROL_MESSAGE = 16 * 1024;

export const Phase = Object.freeze({
  WAITING: "waiting",
  JOINED: "joined",
  CONSENT: "consent",
  ACTIVE: "active",
  ENDED: "ended",
});
export const Mode = Object.freeze({ VIEW: "view", CONTROL: "control" });
export const Role = Object.freeze({ HELPER: "helper", SHARER: "sharer" });
export const END_REASONS = Object.freeze([
  "helper_ended",
  "sharer_ended",
  "declined",
  "code_expired",
  "consent_timeout",
  "helper_left",
  "sharer_left",
  "protocol_error",
  "security_error",
  "server_shutdown",
]);

const PHASES = new Set(Object.values(Phase));
const MODES = new Set(Object.values(Mode));
const ROLES = new Set(Object.values(Role));
const REASONS = new Set(END_REASONS);

// Wire type -> field names, in wire order (as the Python dataclasses declare them).
const CLIENT_FIELDS = {
  choose_mode: ["mode"],
  allow: ["mode"],
  decline: [],
  pause: [],
  resume: [],
  request_control: [],
  revoke_control: [],
  end: [],
  security_failure: [],
};
const SERVER_FIELDS = {
  state: ["phase", "mode", "requested_mode", "paused", "helper_connected", "sharer_connected"],
  consent_request: ["mode", "helper"],
  control_answer: ["granted"],
  peer_left: ["role", "grace_seconds"],
  peer_returned: ["role"],
  ended: ["reason", "message"],
  resync: [],
  error: ["code", "message"],
};

const utf8 = new TextEncoder();
const isBool = (v) => typeof v === "boolean";
const isString = (v) => typeof v === "string";
const isNumber = (v) => typeof v === "number" && Number.isFinite(v);

// Fields sent only when they differ from their default, as in protocol/messages.py; an absent
// one stays absent (read as false): the sharer shares from a web browser (view only).
const OPTIONAL = { state: ["sharer_browser"] };
// Only the snapshot's modes may be null (no mode chosen yet), as in protocol/messages.py.
const NULLABLE = { state: new Set(["mode", "requested_mode"]) };
const FIELD_CHECKS = {
  mode: (v) => MODES.has(v),
  requested_mode: (v) => MODES.has(v),
  phase: (v) => PHASES.has(v),
  role: (v) => ROLES.has(v),
  reason: (v) => REASONS.has(v),
  helper: (v) =>
    v !== null && typeof v === "object" && isString(v.name) && isString(v.organisation),
  paused: isBool,
  helper_connected: isBool,
  sharer_connected: isBool,
  sharer_browser: isBool,
  granted: isBool,
  grace_seconds: isNumber,
  code: isString,
  message: isString,
};

// Client -> service builders ------------------------------------------------------------------

export const chooseMode = (mode) => ({ type: "choose_mode", mode });
export const requestControl = () => ({ type: "request_control" });
export const endSession = () => ({ type: "end" });
/** The end-to-end encryption failed here: the service ends the session with security_error. */
export const securityFailure = () => ({ type: "security_failure" });

/** The JSON text of a message: compact, `type` first, then the fields in wire order. */
export function encodeMessage(message) {
  const names = CLIENT_FIELDS[message.type] ?? SERVER_FIELDS[message.type];
  if (!names) throw new MessageError(`Unknown control message type "${message.type}".`);
  const out = { type: message.type };
  for (const name of names) out[name] = message[name];
  return JSON.stringify(out);
}

export function parseServerMessage(text) {
  return parse(text, SERVER_FIELDS);
}

export function parseClientMessage(text) {
  return parse(text, CLIENT_FIELDS);
}

/** What the sharer is told of the helper; the verified domain only when there is one. */
function helperCard(value) {
  const card = { name: value.name, organisation: value.organisation };
  if (typeof value.verified_domain === "string" && value.verified_domain) card.verified_domain = value.verified_domain;
  return card;
}

function parse(text, registry) {
  // Measured in UTF-8 bytes, as it travels; the cheap length test goes first.
  if (text.length > MAX_CONTROL_MESSAGE || utf8.encode(text).length > MAX_CONTROL_MESSAGE) {
    throw new MessageError(`A control message may be at most ${MAX_CONTROL_MESSAGE} bytes.`);
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new MessageError("A control message must be JSON.");
  }
  if (data === null || typeof data !== "object" || Array.isArray(data) || !isString(data.type)) {
    throw new MessageError('A control message must be a JSON object with a "type".');
  }
  const names = Object.hasOwn(registry, data.type) ? registry[data.type] : undefined;
  if (!names) throw new MessageError(`Unknown control message type "${data.type}".`);
  const out = { type: data.type };
  for (const name of OPTIONAL[data.type] ?? []) {
    if (!Object.hasOwn(data, name)) continue;
    if (!FIELD_CHECKS[name](data[name])) throw new MessageError(`The field "${name}" has an invalid value.`);
    out[name] = data[name];
  }
  for (const name of names) {
    if (!Object.hasOwn(data, name)) {
      throw new MessageError(`The "${data.type}" message needs a "${name}" field.`);
    }
    const check = FIELD_CHECKS[name];
    const isNull = data[name] === null && NULLABLE[data.type]?.has(name);
    if (check && !isNull && !check(data[name])) {
      throw new MessageError(`The field "${name}" has an invalid value.`);
    }
    const value = data[name];
    out[name] = name === "helper" ? helperCard(value) : value;
  }
  return out;
}
