/**
 * Frame statistics for the status line: frames per second, latency and bandwidth over the last
 * second. Latency is the time from capture (the frame header's timestamp: milliseconds on the
 * sharer's clock, mod 2**32, read as the instant nearest ours) to the moment the frame was drawn
 * here; it includes any clock
 * difference between the two machines, so it is a guide, not a measurement.
 */

export const WINDOW_MS = 1000;

export class FrameStats {
  constructor() {
    this.drawn = []; // [nowMs, latencyMs|null]
    this.received = []; // [nowMs, bytes]
    this.lastLatencyMs = null;
  }

  /** A binary frame of `bytes` arrived at `nowMs` (any kind: it all counts as bandwidth). */
  recordBytes(bytes, nowMs) {
    this.received.push([nowMs, bytes]);
    this.trim(nowMs);
  }

  /** A video frame captured at `timestampUs` (0 = unknown) was drawn at `nowMs`. */
  recordDrawn(timestampUs, nowMs) {
    const ts = Number(timestampUs);
    const latency = ts > 0 ? Math.max(0, nowMs - ts / 1000) : null;
    this.drawn.push([nowMs, latency]);
    if (latency !== null) this.lastLatencyMs = latency;
    this.trim(nowMs);
  }

  trim(nowMs) {
    const cut = nowMs - WINDOW_MS;
    while (this.drawn.length && this.drawn[0][0] <= cut) this.drawn.shift();
    while (this.received.length && this.received[0][0] <= cut) this.received.shift();
  }

  /**
   * {fps, latencyMs, bytesPerSecond} over the last second before `nowMs`. A still screen sends
   * no frames, so latency falls back to the last frame's; null only before any timed frame.
   */
  snapshot(nowMs) {
    this.trim(nowMs);
    const latencies = this.drawn.map(([, l]) => l).filter((l) => l !== null);
    return {
      fps: this.drawn.length,
      latencyMs: latencies.length
        ? latencies.reduce((a, b) => a + b, 0) / latencies.length
        : this.lastLatencyMs,
      bytesPerSecond: this.received.reduce((n, [, b]) => n + b, 0),
    };
  }
}

/** "1.2 MB/s", "340 kB/s", "12 B/s" (decimal units, like network tools). */
export function formatRate(bytesPerSecond) {
  if (bytesPerSecond >= 1e6) return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  if (bytesPerSecond >= 1e3) return `${Math.round(bytesPerSecond / 1e3)} kB/s`;
  return `${Math.round(bytesPerSecond)} B/s`;
}
