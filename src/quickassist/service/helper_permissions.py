"""What a helper may ask of a session, decided by the service whatever the client sends.

A helper without the full-control permission (``helpers.full_control``, set by an administrator
with ``quickassist user set --full-control no`` or in the console) gets view only: the hub
refuses ``choose_mode`` with ``control`` and ``request_control`` from them, the same way for the
REST action route and the WebSocket (both end in `SessionHub.act`). The permission is read when
the session is created, so a change applies to the helper's next session.
"""

from __future__ import annotations

from ..protocol.errors import IllegalEvent
from ..protocol.messages import ChooseMode, ClientMessage, RequestControl
from ..protocol.roles import Mode


class ControlNotPermitted(IllegalEvent):
    """The helper asked for full control without the permission (409, or an ``error`` frame)."""

    code = "control_not_permitted"


NOT_PERMITTED = "Your account may ask for view only. An administrator can allow you full control."


def asks_for_control(message: ClientMessage) -> bool:
    """Whether a helper's message would lead to full control."""
    if isinstance(message, ChooseMode):
        return message.mode is Mode.CONTROL
    return isinstance(message, RequestControl)
