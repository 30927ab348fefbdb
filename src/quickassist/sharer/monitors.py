"""The sharer's monitors as RandR 1.5 reports them (fake ones from `xrandr --setmonitor` too).

A monitor is a rectangle of the X screen. Ids are positions in the server's monitor list, which
is stable while the layout does not change. Where RandR 1.5 is missing, the whole X screen is
one monitor.
"""

from __future__ import annotations

import Xlib.display

from quickassist.protocol.payloads import MonitorInfo

from .x11_display import has_extension, open_display

__all__ = ["MonitorInfo", "list_monitors", "pick_monitor", "query_monitors"]


def list_monitors(display: str | None = None) -> list[MonitorInfo]:
    """The monitors of `display` (default: $DISPLAY). Blocks for one X round trip."""
    d = open_display(display)
    try:
        return query_monitors(d)
    finally:
        d.close()


def query_monitors(d: Xlib.display.Display) -> list[MonitorInfo]:
    """The monitors seen through an open connection."""
    root = d.screen().root
    geometry = root.get_geometry()
    if has_extension(d, "RANDR"):
        version = d.xrandr_query_version()
        if (version.major_version, version.minor_version) >= (1, 5):
            reply = root.xrandr_get_monitors(is_active=True)
            found: list[MonitorInfo] = []
            for m in reply.monitors:
                # A monitor may reach past the X screen (a stale or hand-made layout): only
                # the part on the screen can be captured.
                x0, y0 = max(m.x, 0), max(m.y, 0)
                x1 = min(m.x + m.width_in_pixels, geometry.width)
                y1 = min(m.y + m.height_in_pixels, geometry.height)
                if x1 <= x0 or y1 <= y0:
                    continue
                name = d.get_atom_name(m.name) or f"Monitor {len(found) + 1}"
                found.append(
                    MonitorInfo(len(found), x0, y0, x1 - x0, y1 - y0, bool(m.primary), name)
                )
            if found:
                return found
    return [MonitorInfo(0, 0, 0, geometry.width, geometry.height, True, "Screen")]


def pick_monitor(monitors: list[MonitorInfo], monitor_id: int | None = None) -> MonitorInfo:
    """The monitor with `monitor_id`, else the primary one, else the first.

    Xvfb (and some drivers) flag no monitor as primary, hence the fallback to the first.
    """
    if not monitors:
        raise ValueError("no monitors")
    if monitor_id is not None:
        for monitor in monitors:
            if monitor.id == monitor_id:
                return monitor
    for monitor in monitors:
        if monitor.primary:
            return monitor
    return monitors[0]
