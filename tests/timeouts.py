"""One scaled timeout for every wait in the tests (STYLE.md habit 9).

Set QUICKASSIST_TEST_TIMEOUT_SCALE on a slow machine; waits are for events, never sleeps.
"""

import os

SCALE = float(os.environ.get("QUICKASSIST_TEST_TIMEOUT_SCALE", "1"))
#: How long a test waits for something that should happen "now" (a message, a frame, a click).
WAIT = 10.0 * SCALE
#: How long a test watches for something that must NOT happen (a frame after pause, a sender
#: that should be held back). Loopback delivers in milliseconds, a capture round takes tens of
#: them: half a second is ten times the slowest, and each use costs the suite that long.
QUIET = 0.5 * SCALE
