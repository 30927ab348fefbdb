"""Init scripts that make the sharer's Chromium answer as another browser would, for the
browser-sharer tests and bench/browser_sharer.py alike."""

#: As a browser without an H.264 encoder answers (Chromium builds without one, some Firefox
#: set-ups): H.264 not supported, everything else as the browser says.
NO_H264_ENCODE = """
(() => {
  const ask = VideoEncoder.isConfigSupported.bind(VideoEncoder);
  VideoEncoder.isConfigSupported = (config) =>
    String(config.codec).startsWith("avc1")
      ? Promise.resolve({ supported: false, config })
      : ask(config);
})();
"""
#: As Firefox and Safari: no MediaStreamTrackProcessor (the page reads a <video> instead).
NO_TRACK_PROCESSOR = "delete window.MediaStreamTrackProcessor;"
#: As an older Firefox too: no requestVideoFrameCallback either (the page polls on a timer).
NO_FRAME_CALLBACK = (
    NO_TRACK_PROCESSOR + " delete HTMLVideoElement.prototype.requestVideoFrameCallback;"
)
#: Records the page's encoder aims (share/app.js's `body[data-quality]`) each time they change:
#: `window.__aims`, [mode, codec, bits/s, frames/s] each (JPEG: [mode, "jpeg", quality]).
RECORD_AIMS = """
(() => {
  window.__aims = [];
  document.addEventListener("DOMContentLoaded", () => {
    const record = () => {
      const [mode, codec, ...rest] = (document.body.dataset.quality || "").split(" ");
      if (codec) window.__aims.push([mode, codec, ...rest.map(Number)]);
    };
    new MutationObserver(record).observe(document.body, { attributeFilter: ["data-quality"] });
  });
})();
"""
