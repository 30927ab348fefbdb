"""Quitting while a join finishes: the join's answer, queued for the Qt thread, starts nothing.

Found with the one-file app: a SIGTERM just after a join gave "RuntimeError: Event loop is
closed" from starting the session on the stopped loop thread.
"""

from __future__ import annotations

from typing import Any

from quickassist.protocol.roles import HelperCard
from quickassist.sharer.client import JoinTicket


def test_a_join_answered_after_quit_starts_no_session(qt_sharer: Any) -> None:
    from quickassist.sharer.ui.qt_app import _Joined

    qt_sharer.quit(wait=1.0)
    assert qt_sharer.loop_thread.loop.is_closed()
    ticket = JoinTicket("s1", "token", HelperCard("Ada L.", "Contoso"), "/ws/sharer/s1")
    qt_sharer._on_item(_Joined(ticket))  # raised RuntimeError: Event loop is closed
    assert qt_sharer.session is None and qt_sharer.session_done is None
