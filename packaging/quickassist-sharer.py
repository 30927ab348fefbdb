"""Entry point of the one-file sharer app (PyInstaller runs this script; see sharer.spec).

The app is the sharer's part only: with no arguments it opens the code window for the service
it was handed out by (sharer/preset.py), `install-desktop` adds it to the app menu, and any
other arguments are those of `quickassist share`. `self-check` (for the build's test, not for
people) runs each part a session needs once and reports it (sharer_self_check.py).
"""

import os
import sys

if sys.platform.startswith("linux"):
    # The app carries Qt's X11 platform only (sharer.spec): on a Wayland desktop Qt would look
    # for its Wayland plugin first, say so on stderr, then take X11 (XWayland) anyway.
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

if sys.argv[1:] == ["self-check"]:
    from sharer_self_check import run

    sys.exit(run())

from quickassist.sharer.commands import run_bundle

sys.exit(run_bundle(sys.argv[1:]))
