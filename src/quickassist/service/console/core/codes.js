/**
 * Security codes: normalise what a person typed and format a code for display
 * (the twin of protocol/codes.py; docs/protocol.md section 1).
 */

import { InvalidCode } from "./errors.js";

/** Digits and upper-case letters without 0, O, 1, I, L, U. */
export const ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
export const CODE_LENGTH = 6;
/** A code is valid this long after it is issued. */
export const CODE_LIFETIME_SECONDS = 600;

// The same separators protocol/codes.py ignores: spaces as pasted from chat (also no-break and
// thin ones, tabs and line breaks) and dashes (also typographic ones and the minus sign).
const IGNORED = /[ \-\t\r\n\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d]/g;

/** Upper-case `text` and drop spaces and dashes; nothing else is changed. */
export function normalize(text) {
  return String(text).replace(IGNORED, "").toUpperCase();
}

/** Normalise and validate; returns the 6-character code or throws InvalidCode. */
export function parseCode(text) {
  const value = normalize(text);
  if (value.length !== CODE_LENGTH || [...value].some((c) => !ALPHABET.includes(c))) {
    throw new InvalidCode(
      `A code has ${CODE_LENGTH} letters and digits. Check the code and type it again.`,
    );
  }
  return value;
}

/** True when `text` normalises to a valid code. */
export function isValidCode(text) {
  try {
    parseCode(text);
    return true;
  } catch (err) {
    if (err instanceof InvalidCode) return false;
    throw err;
  }
}

/** The code as shown to people: two groups of three ("ABC-234"). */
export function displayCode(text) {
  const value = parseCode(text);
  return `${value.slice(0, 3)}-${value.slice(3)}`;
}
