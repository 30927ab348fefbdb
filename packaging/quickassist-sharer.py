"""Entry point of the one-file sharer app (PyInstaller runs this script; see sharer.spec).

The app is the sharer's part only: with no arguments it opens the code window for the service
it was handed out by (sharer/preset.py), `install-desktop` adds it to the app menu, and any
other arguments are those of `quickassist share`. `self-check` (for the build's test, not for
people) runs each part a session needs once and reports it (sharer_self_check.py).
"""

import sys

if sys.argv[1:] == ["self-check"]:
    from sharer_self_check import run

    sys.exit(run())

from quickassist.sharer.commands import run_bundle

sys.exit(run_bundle(sys.argv[1:]))
