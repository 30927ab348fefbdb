"""The committed bitrate vectors (tests/vectors/bitrate.json) are what sharer/bitrate.py and
sharer/pacing.py decide now; the browser sharer's twin (core/bitrate.js, core/link-estimator.js)
replays the same file (tests/js/bitrate.test.mjs), so a change to the rules shows up as a
failing test here until the vectors, and the JS, follow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from quickassist.sharer.bitrate import CEILING_BITRATE, FLOOR_BITRATE
from tests.vectors import generate_bitrate

VECTORS = Path(generate_bitrate.__file__).with_name("bitrate.json")


def test_the_committed_vectors_are_current() -> None:
    assert VECTORS.read_text("utf-8") == generate_bitrate.render(
        generate_bitrate.bitrate_vectors()
    ), "tests/vectors/bitrate.json is out of date: run tests/vectors/generate_bitrate.py"


def test_the_check_mode_of_the_script_agrees() -> None:
    script = Path(generate_bitrate.__file__)
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True)
    assert done.returncode == 0, done.stdout


def test_the_vectors_reach_every_rule() -> None:
    data = json.loads(VECTORS.read_text("utf-8"))
    answers = [call[-3:] for sequence in data["controller"] for call in sequence["calls"]]
    rates = {rate for rate, _, _ in answers}
    assert {CEILING_BITRATE, FLOOR_BITRATE} <= rates
    assert max(probes for _, probes, _ in answers) >= 5
    assert max(backoffs for _, _, backoffs in answers) >= 3
    ops = {call[0] for sequence in data["controller"] for call in sequence["calls"]}
    assert ops == {"seed", "observe", "lost", "reset"}
    assert all(sequence["deliveries"] for sequence in data["link"])
