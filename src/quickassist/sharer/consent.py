"""What the sharer is told when a helper asks for their screen: the same words in every UI."""

from __future__ import annotations

from dataclasses import dataclass

from ..protocol.roles import HelperCard, Mode

WARNING = "Only allow if you started this contact and trust this person."

#: Shown before the code box: remote support is what scammers abuse most.
SCAM_WARNING = (
    "Only share your screen with someone you contacted yourself, at a number or address you "
    "found yourself. Real support staff never call, text or pop up out of the blue asking to "
    "see your computer. If someone is rushing or pressuring you, stop and hang up."
)


@dataclass(frozen=True, slots=True)
class ConsentText:
    """The question, in parts a UI can lay out: who asks, what they ask, and the warning."""

    title: str
    who: str
    what: str
    warning: str = WARNING
    #: "Your helper should read you these digits: 123 456" (empty if there are none).
    check: str = ""

    def lines(self) -> list[str]:
        return [self.who, self.what, *([self.check] if self.check else []), self.warning]


def check_sentence(check: str) -> str:
    return f"Your helper should read you these digits: {check}" if check else ""


def consent_text(mode: Mode, helper: HelperCard, check: str = "") -> ConsentText:
    # "Ada L. · Contoso (verified: contoso.com)" or "... (organisation not verified)".
    who = helper.who
    if mode is Mode.CONTROL:
        title = "Allow full control?"
        what = (
            f"{helper.name} asks to see and control your screen: they will be able to use your "
            "mouse and keyboard."
        )
    else:
        title = "Allow screen sharing?"
        what = f"{helper.name} asks to see your screen. They will not be able to control it."
    return ConsentText(title=title, who=f"{who} is asking.", what=what, check=check_sentence(check))


def mode_label(mode: Mode | None) -> str:
    if mode is Mode.CONTROL:
        return "full control"
    if mode is Mode.VIEW:
        return "view only"
    return "not started"
