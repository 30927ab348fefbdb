/**
 * The relay's WebSocket close codes, which of them are final, and a default sentence for each.
 *
 * The twin of protocol/close_codes.py: tests/js/close-codes.test.mjs checks this table against
 * tests/vectors/close_codes.json, which the Python side generates from its enum, so the two
 * cannot drift apart (docs/protocol.md section 4 explains each code and why it is final).
 */

export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  TOO_SLOW: 1008,
  MESSAGE_TOO_BIG: 1009,
  MALFORMED: 4400,
  NOT_AUTHENTICATED: 4401,
  CROSS_ORIGIN: 4403,
  UNKNOWN_SESSION: 4404,
  REPLACED: 4409,
  ALREADY_ENDED: 4410,
  SIGNED_OUT: 4440,
});

/** Codes after which reconnecting cannot help; any other close (1001, 1006, ...) is retried. */
export const FINAL_CLOSE_CODES = new Set([
  CloseCode.NORMAL,
  CloseCode.MESSAGE_TOO_BIG,
  CloseCode.MALFORMED,
  CloseCode.NOT_AUTHENTICATED,
  CloseCode.CROSS_ORIGIN,
  CloseCode.UNKNOWN_SESSION,
  CloseCode.REPLACED,
  CloseCode.ALREADY_ENDED,
  CloseCode.SIGNED_OUT,
]);

/** The sentence to show for a close without a reason of its own. */
export const CLOSE_SENTENCES = Object.freeze({
  [CloseCode.NORMAL]: "The session has ended.",
  [CloseCode.GOING_AWAY]: "The service is shutting down. Try again once it is back.",
  [CloseCode.TOO_SLOW]: "The connection is too slow to keep up. Reconnect to continue.",
  [CloseCode.MESSAGE_TOO_BIG]: "A message was larger than the service allows, so the connection was closed.",
  [CloseCode.MALFORMED]: "A message could not be read, so the connection was closed.",
  [CloseCode.NOT_AUTHENTICATED]: "The service did not accept this connection's sign-in. Start again with a new code.",
  [CloseCode.CROSS_ORIGIN]: "Connections from other sites are refused.",
  [CloseCode.UNKNOWN_SESSION]: "That session no longer exists. Start again with a new code.",
  [CloseCode.REPLACED]: "This session was opened again somewhere else, so it was closed here.",
  [CloseCode.ALREADY_ENDED]: "The session has already ended. Start again with a new code.",
  [CloseCode.SIGNED_OUT]: "You were signed out, so the session ended. Sign in again to start a new session.",
});

/** The default sentence for `code`, or null for a code that is not the relay's (1006, ...). */
export function closeSentence(code) {
  return Object.hasOwn(CLOSE_SENTENCES, code) ? CLOSE_SENTENCES[code] : null;
}
