/**
 * Whether the console takes video (H.264, VP8) or asks for tiles, after a decode failure: the
 * viewer names the codecs in every refresh while video is on, and none while it is off
 * (docs/protocol.md section 5).
 *
 *     VIDEO ──failure──> TILES ──retry(now ≥ retryAt)──> VIDEO   (failures 1 .. max-1)
 *       ├──failure (the max-th)──> OFF                        (tiles until the next session)
 *       └──reclaimed──> VIDEO, a keyframe asked for           (not counted)
 *
 * A failure (corrupt data, a frame lost in a drop, a decoder that gave no picture in time)
 * turns video off at once; it comes back after a back-off that doubles with each failure,
 * until the max-th failure of the session keeps tiles for good. A decoder the browser
 * reclaimed (WebCodecs "Resource Reclamation": the codec is closed with a QuotaExceededError)
 * is not the data's fault: video stays on and the next keyframe starts a new decoder. The
 * deltas already on their way fail too, each with that same QuotaExceededError as its cause
 * (decoders/webcodecs.js keeps it): they are one reclaim, not several.
 *
 * Pure: time is an argument (ms, the caller's clock).
 */

/**
 * The first back-off (ms); each further failure doubles it. Long enough for what makes a
 * decoder fail once to pass (a CPU spike that made a picture miss DECODE_TIMEOUT_MS, a burst of
 * drops), short enough that the helper is soon back on video: tiles draw about 5x slower than
 * video (a 1080p JPEG 10.4 ms against 2.1 ms of H.264: PLATFORM-NOTES, "Video in the browser";
 * a loaded console that fell to tiles once stayed near 5 frames/s for the rest of its run).
 * Each try costs one keyframe (98.6 KB for a 1080p desktop) and at most one glitch.
 */
export const RETRY_AFTER_MS = 5000;

/**
 * Failures in one session after which tiles stay: one is what a passing trouble costs (seen
 * once in our loaded runs), two in a session is already unusual, a third says this browser
 * cannot decode this stream (say, a profile it claims in isConfigSupported and then fails).
 * At most two tries (after 5 s and 10 s) before that.
 */
export const MAX_FAILURES = 3;

/**
 * Chromium reclaims a decoder only after 90 s without a decode() (and only in a background tab,
 * under global codec pressure: blink's reclaimable_codec.h, kInactivityReclamationThreshold),
 * so a new decoder cannot be reclaimed sooner than this after the last one was. A "reclaimed"
 * error within it is something else (codec resources exhausted also gives QuotaExceededError)
 * that a new decoder at once would not cure: it counts as a failure.
 */
export const RECLAIM_GAP_MS = 90_000;

export const VideoMode = Object.freeze({
  /** Video on: refreshes name the codecs. */
  VIDEO: "video",
  /** Video off after a failure, until `retryAt`. */
  TILES: "tiles",
  /** Video off for the rest of the session: too many failures. */
  OFF: "off",
});

/** What `failed` asks the viewer to do. */
export const FailureAction = Object.freeze({
  /** Nothing new: video was already off, or it is the same reclaim again. Ask for a keyframe. */
  IGNORE: "ignore",
  /** Keep video: ask for a keyframe in a refresh that names the codecs (a new decoder). */
  RESYNC: "resync",
  /** Tiles now (a refresh naming no codec), video again at `retryAt`. */
  TILES: "tiles",
  /** Tiles for the rest of the session. */
  OFF: "off",
});

export class VideoFallback {
  constructor({ retryAfterMs = RETRY_AFTER_MS, maxFailures = MAX_FAILURES, reclaimGapMs = RECLAIM_GAP_MS } = {}) {
    this.retryAfterMs = retryAfterMs;
    this.maxFailures = maxFailures;
    this.reclaimGapMs = reclaimGapMs;
    this.reset();
  }

  /** A new session: video on, no failure counted. */
  reset() {
    this.mode = VideoMode.VIDEO;
    this.failures = 0;
    /** When video comes back (ms), in TILES; null otherwise. */
    this.retryAt = null;
    /** The browser's error of the last reclaim not counted, and when it came. */
    this.reclaim = null;
    this.reclaimAt = -Infinity;
  }

  /** Whether refreshes name the codecs (video on). */
  get offering() {
    return this.mode === VideoMode.VIDEO;
  }

  /**
   * A video tile did not decode (`error`, at `now`): what to do (FailureAction). Errors while
   * video is off are late ones of frames sent before the sharer heard it: they change nothing.
   */
  failed(error, now) {
    if (!this.offering) return FailureAction.IGNORE;
    const reclaim = reclaimOf(error);
    if (reclaim && reclaim === this.reclaim) return FailureAction.IGNORE;
    if (reclaim && now - this.reclaimAt >= this.reclaimGapMs) {
      this.reclaim = reclaim;
      this.reclaimAt = now;
      return FailureAction.RESYNC;
    }
    this.failures += 1;
    if (this.failures >= this.maxFailures) {
      this.mode = VideoMode.OFF;
      this.retryAt = null;
      return FailureAction.OFF;
    }
    this.mode = VideoMode.TILES;
    this.retryAt = now + this.retryAfterMs * 2 ** (this.failures - 1);
    return FailureAction.TILES;
  }

  /** Milliseconds from `now` until video comes back (0: due), or null when none is planned. */
  retryInMs(now) {
    return this.mode === VideoMode.TILES ? Math.max(0, this.retryAt - now) : null;
  }

  /** At `now`, turn video back on if its time has come; true if it did. */
  retry(now) {
    if (this.mode !== VideoMode.TILES || now < this.retryAt) return false;
    this.mode = VideoMode.VIDEO;
    this.retryAt = null;
    return true;
  }
}

/**
 * The browser's error if `error` (or one it wraps as `cause`) is the browser reclaiming the
 * codec, else null: the WebCodecs spec closes a reclaimed codec with a QuotaExceededError
 * (section 11, "Resource Reclamation"; Chromium's message: "Codec reclaimed due to inactivity.").
 */
export function reclaimOf(error) {
  for (let e = error, depth = 0; e && depth < 4; e = e.cause, depth++) {
    if (e.name === "QuotaExceededError") return e;
  }
  return null;
}
