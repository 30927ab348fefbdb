/**
 * Pictures from a captured video track, one VideoFrame at a time, for the browser sharer.
 *
 * - `MediaStreamTrackProcessor` (Chromium): the track's own frames, as the capturer makes them.
 * - Elsewhere (Firefox, Safari): the track plays in a muted <video> element that is never shown,
 *   and each new picture of it becomes a VideoFrame (`new VideoFrame(video)`). The element says
 *   when it has one with `requestVideoFrameCallback` where the browser has it; else a timer at
 *   the capture's rate asks, and takes a picture only when the element presented a new one
 *   (`getVideoPlaybackQuality().totalVideoFrames`), so a still screen makes no frames.
 *
 * The caller gets each frame and closes it; reading stops when `current()` turns false or the
 * track ends.
 */

/** The timer's period where the element cannot say when it has a new picture: 30 a second. */
export const POLL_MS = 33;

/**
 * Read `track` until `current()` is false, handing each picture to `onFrame`.
 * @param {MediaStreamTrack} track
 * @param {{onFrame: (frame: VideoFrame) => void, current: () => boolean}} options
 * @returns {Promise<void>} settles once the reading started (the processor: once it stopped)
 */
export async function readTrack(track, { onFrame, current }) {
  if (typeof MediaStreamTrackProcessor !== "undefined") {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    while (current()) {
      const { value: frame, done } = await reader.read();
      if (done) break;
      if (current()) onFrame(frame);
      else frame.close();
    }
    reader.cancel().catch(() => {});
    return;
  }
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  await video.play();
  const stop = () => {
    video.pause();
    video.srcObject = null;
  };
  const take = () => {
    if (video.videoWidth === 0 || video.videoHeight === 0) return;
    onFrame(new VideoFrame(video, { timestamp: Math.round(performance.now() * 1000) }));
  };
  if (typeof video.requestVideoFrameCallback === "function") {
    const next = () => {
      if (!current()) return stop();
      take();
      video.requestVideoFrameCallback(next);
    };
    video.requestVideoFrameCallback(next);
    return;
  }
  let presented = -1;
  const timer = setInterval(() => {
    if (!current()) {
      clearInterval(timer);
      stop();
      return;
    }
    const count = video.getVideoPlaybackQuality?.().totalVideoFrames;
    if (count !== undefined && count === presented) return; // no new picture since the last
    presented = count ?? presented;
    take();
  }, POLL_MS);
}
