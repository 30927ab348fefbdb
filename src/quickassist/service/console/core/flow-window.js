/**
 * Video pacing by the console's acknowledgements, for the browser sharer: the small twin of
 * sharer/pacing.py's FlowWindow (without its link estimate: WebCodecs' realtime mode sets its
 * own rate).
 *
 * The console says `{"t":"drawn","seq"}` once it is done with a video frame (drawn, or dropped
 * while it waits for a keyframe); acknowledgements are cumulative (the transport keeps order).
 * At most `maxFrames` frames are in flight: while the window is full the sharer takes no new
 * capture, so what leaves next is the screen then, never a backlog. If no acknowledgement comes
 * (a console that never acknowledges, frames the relay dropped), the window opens again after
 * `ackTimeoutMs`, so the stream slows, never stalls. Pure: time is an argument (ms).
 */

/** Two in flight: one crosses the link while the next is captured and encoded (pacing.py). */
export const MAX_FRAMES = 2;
/** As pacing.py's UNKNOWN_ACK_TIMEOUT: generous, a retransmission takes 200 ms and more. */
export const ACK_TIMEOUT_MS = 2000;

export class FlowWindow {
  constructor({ maxFrames = MAX_FRAMES, ackTimeoutMs = ACK_TIMEOUT_MS } = {}) {
    this.maxFrames = maxFrames;
    this.ackTimeoutMs = ackTimeoutMs;
    /** [sequence, sentAtMs] of frames not yet acknowledged, oldest first. */
    this.inFlight = [];
  }

  /** Whether a new video frame may leave at `now`. */
  open(now) {
    if (this.inFlight.length && now - this.inFlight[0][1] >= this.ackTimeoutMs) this.inFlight = [];
    return this.inFlight.length < this.maxFrames;
  }

  sent(sequence, now) {
    this.inFlight.push([sequence, now]);
  }

  /** The console is done with every frame up to `sequence`. True if that freed a slot. */
  drawn(sequence) {
    const before = this.inFlight.length;
    this.inFlight = this.inFlight.filter(([seq]) => seq > sequence);
    return this.inFlight.length < before;
  }

  /** New keys or a new connection: what was in flight is gone with the old one. */
  reset() {
    this.inFlight = [];
  }
}
