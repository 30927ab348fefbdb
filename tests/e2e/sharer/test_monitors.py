"""Monitor listing through RandR 1.5, fake monitors included."""

from __future__ import annotations

import gc
import subprocess

import pytest

from quickassist.sharer.monitors import list_monitors, pick_monitor
from quickassist.sharer.x11_display import DisplayUnavailable
from tests.fixtures.xvfb import XvfbServer
from tests.timeouts import WAIT

pytestmark = pytest.mark.x11


def set_monitor(xvfb: XvfbServer, name: str, geometry: str) -> None:
    subprocess.run(
        ["xrandr", "--setmonitor", name, geometry, "none"], env=xvfb.env, check=True, timeout=WAIT
    )


def test_xvfb_has_one_monitor_not_flagged_primary(xvfb: XvfbServer) -> None:
    monitors = list_monitors(xvfb.display)
    assert [(m.x, m.y, m.width, m.height, m.primary) for m in monitors] == [
        (0, 0, 1920, 1080, False)
    ]
    assert pick_monitor(monitors) == monitors[0]  # no primary: the first


def test_fake_monitors_are_listed_and_the_primary_one_is_the_default(xvfb: XvfbServer) -> None:
    set_monitor(xvfb, "left", "960/254x1080/286+0+0")
    set_monitor(xvfb, "*right", "960/254x1080/286+960+0")  # '*': primary
    monitors = list_monitors(xvfb.display)
    by_name = {m.name: m for m in monitors}
    assert (by_name["left"].x, by_name["right"].x) == (0, 960)
    assert by_name["right"].primary and not by_name["left"].primary
    assert [m.id for m in monitors] == list(range(len(monitors)))
    assert pick_monitor(monitors) == by_name["right"]
    assert pick_monitor(monitors, by_name["left"].id) == by_name["left"]
    assert pick_monitor(monitors, 99) == by_name["right"]  # unknown id: the default


# python-xlib leaves its socket unclosed when the connection fails; not ours to close.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_no_display_is_a_plain_sentence() -> None:
    with pytest.raises(DisplayUnavailable, match="cannot be opened"):
        list_monitors(":9999")
    gc.collect()  # the leaked socket's warning fires here, where it is expected


def test_a_monitor_reaching_past_the_screen_is_cut_to_it(xvfb: XvfbServer) -> None:
    set_monitor(xvfb, "wide", "1000/264x500/132+1500+800")
    set_monitor(xvfb, "outside", "100/26x100/26+3000+0")
    by_name = {m.name: m for m in list_monitors(xvfb.display)}
    wide = by_name["wide"]
    assert (wide.x, wide.y, wide.width, wide.height) == (1500, 800, 420, 280)
    assert "outside" not in by_name
