"""`quickassist-sharer self-check`: proves the one-file app still carries what a session needs.

The spec leaves out much of what PyInstaller's hooks collect (Qt plugins, GTK, translations,
modules the sharer never imports) to keep the download small; a part left out by mistake would
only show in a session, on the person's machine. This runs each part the sharer uses once, with
no service: Qt's xcb platform and the SVG window icon, an H.264 keyframe from libx264 through
PyAV (the sharer's own encoder), a JPEG tile, a screen grab with mss, XTEST through Xlib, and
AES-GCM and X25519 from cryptography. It prints one line per part and exits 0 only if all pass.
It needs an X display (DISPLAY), like the app itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import numpy as np


def _qt_window_with_icon() -> str:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication, QWidget

    from quickassist.sharer.desktop_entry import icon_file

    app = QApplication.instance() or QApplication([])
    icon = QIcon(icon_file())
    # An SVG icon with no SVG plugin is a null icon that draws nothing: ask for its pixels.
    if icon.pixmap(32, 32).isNull():
        raise RuntimeError("the SVG window icon cannot be drawn (iconengines/imageformats)")
    window = QWidget()
    window.setWindowIcon(icon)
    window.show()
    app.processEvents()
    window.close()
    return f"{QApplication.platformName()}, icon 32x32"


def _h264_keyframe() -> str:
    from quickassist.sharer.codecs.h264 import H264Encoder

    encoder = H264Encoder()
    picture = np.zeros((64, 64, 4), dtype=np.uint8)
    picture[:, :32] = 255
    try:
        encoded = encoder.encode(picture, 0, keyframe=True)
    finally:
        encoder.close()
    if not encoded.keyframe or not encoded.data.startswith((b"\0\0\0\1", b"\0\0\1")):
        raise RuntimeError("libx264 gave no Annex B keyframe")
    return f"libx264 keyframe, {len(encoded.data)} bytes"


def _jpeg_tile() -> str:
    import simplejpeg

    tile = np.full((64, 64, 4), 128, dtype=np.uint8)
    data = simplejpeg.encode_jpeg(tile, quality=80, colorspace="BGRA")
    return f"simplejpeg, {len(data)} bytes"


def _screen_grab() -> str:
    from quickassist.protocol.payloads import MonitorInfo
    from quickassist.sharer.capture import ScreenGrabber

    grabber = ScreenGrabber()
    try:
        pixels = grabber.grab(MonitorInfo(0, 0, 0, 16, 16, primary=True, name="self-check"))
    finally:
        grabber.close()
    return f"mss grab {pixels.shape[1]}x{pixels.shape[0]}"


def _xtest() -> str:
    from quickassist.sharer.x11_display import has_extension, open_display

    display = open_display()
    try:
        if not has_extension(display, "XTEST"):
            raise RuntimeError("the X server has no XTEST")
        version = display.xtest_get_version(2, 2)
        return f"XTEST {version.major_version}.{version.minor_version}"
    finally:
        display.close()


def _crypto() -> str:
    from cryptography.hazmat.primitives.asymmetric import x25519
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    ours, theirs = x25519.X25519PrivateKey.generate(), x25519.X25519PrivateKey.generate()
    key = ours.exchange(theirs.public_key())
    sealed = AESGCM(key).encrypt(b"\0" * 12, b"frame", b"header")
    if AESGCM(key).decrypt(b"\0" * 12, sealed, b"header") != b"frame":
        raise RuntimeError("AES-GCM did not round-trip")
    return "X25519 + AES-GCM"


CHECKS: dict[str, Callable[[], str]] = {
    "qt": _qt_window_with_icon,
    "h264": _h264_keyframe,
    "jpeg": _jpeg_tile,
    "capture": _screen_grab,
    "xtest": _xtest,
    "crypto": _crypto,
}


def run() -> int:
    """Run every check; one line each (`ok NAME: what` or `FAILED NAME: why`)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    failed = 0
    for name, check in CHECKS.items():
        try:
            print(f"ok {name}: {check()}", flush=True)
        except Exception as exc:  # reported, then the next check runs: one line per part
            failed += 1
            print(f"FAILED {name}: {type(exc).__name__}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run())
