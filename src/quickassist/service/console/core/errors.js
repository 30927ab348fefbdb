/**
 * Errors raised by the console's protocol core (the twin of protocol/errors.py).
 *
 *     ProtocolError
 *     ├── InvalidCode        a security code that cannot be a code
 *     ├── FrameError         a binary frame that cannot be read
 *     │   ├── TruncatedFrame     shorter than its header says
 *     │   └── OversizedFrame     larger than the configured limit
 *     ├── MessageError       a control message or payload that is not valid JSON of a known shape
 *     └── MediaError         a video payload that cannot be read
 *
 * Every error carries a plain sentence meant for a person (`message`) and a stable `code`,
 * the same codes the Python side uses.
 */

export class ProtocolError extends Error {
  /**
   * @param {string} message a sentence for people
   * @param {{cause?: unknown}} [options] `cause`: the lower-level error this one reports
   */
  constructor(message, options) {
    super(message, options);
    this.name = this.constructor.name;
  }

  /** Stable machine-readable identifier. */
  get code() {
    return "protocol_error";
  }
}

export class InvalidCode extends ProtocolError {
  get code() {
    return "invalid_code";
  }
}

export class FrameError extends ProtocolError {
  get code() {
    return "malformed_frame";
  }
}

export class TruncatedFrame extends FrameError {
  get code() {
    return "truncated_frame";
  }
}

export class OversizedFrame extends FrameError {
  get code() {
    return "oversized_frame";
  }
}

export class MessageError extends ProtocolError {
  get code() {
    return "malformed_message";
  }
}

export class MediaError extends ProtocolError {
  get code() {
    return "malformed_media";
  }
}
