"""Windows that grow to show their word-wrapped text whole.

Qt gives a top-level window the minimum size of its layout, and that minimum ignores
height-for-width: a word-wrapped label whose text grows after the window is shown (an error
sentence in the code window) keeps the height of its old text, and the new text is cut off at
the top and the bottom. A word too long to wrap (a fingerprint, an address) needs the width
too. `fit_to_text` makes the window at least as wide as its longest word needs and as tall as
its text needs at that width, and grows it to that. Windows call it when their text changes
and when they are resized (narrower means taller).
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def fit_to_text(window: QWidget, *, min_width: int) -> None:
    """Make `window` (never narrower than `min_width`) big enough for all of its text."""
    layout = window.layout()
    if layout is None:
        return
    layout.activate()  # the text just changed: let the layout see the new size hints first
    width = max(min_width, layout.totalMinimumSize().width())
    needed = layout.totalHeightForWidth(max(width, window.width()))
    window.setMinimumSize(width, needed)
    if window.width() < width or window.height() < needed:
        window.resize(max(width, window.width()), max(needed, window.height()))
