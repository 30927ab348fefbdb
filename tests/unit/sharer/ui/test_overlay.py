"""The overlay's window shape follows the ink: strokes, laser, clear (offscreen Qt)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt

from quickassist.protocol.payloads import ClearAnnotations, Laser, LaserOff, Stroke
from quickassist.sharer.ui.overlay import AnnotationOverlay


def test_the_overlay_lets_input_through_and_stays_on_top(qapp: Any) -> None:
    overlay = AnnotationOverlay()
    flags = overlay.windowFlags()
    assert flags & Qt.WindowType.WindowTransparentForInput
    assert flags & Qt.WindowType.WindowStaysOnTopHint
    assert flags & Qt.WindowType.FramelessWindowHint


def test_strokes_shape_the_window_and_clear_hides_it(qapp: Any) -> None:
    overlay = AnnotationOverlay()
    overlay.cover(0, 0, 800, 600)
    assert not overlay.isVisible()  # nothing drawn: nothing on screen
    overlay.apply(Stroke("s1", "#ff0000", 6, ((100, 100), (300, 100)), done=False))
    assert overlay.isVisible()
    assert overlay.geometry().width() == 800
    mask = overlay.mask()
    assert mask.contains(QPoint(200, 100))
    assert not mask.contains(QPoint(200, 200))
    assert not mask.contains(QPoint(500, 500))
    # The stroke grows under the same id.
    overlay.apply(Stroke("s1", "#ff0000", 6, ((100, 100), (300, 100), (300, 300)), done=True))
    assert overlay.mask().contains(QPoint(300, 200))
    overlay.apply(ClearAnnotations())
    assert not overlay.isVisible()
    assert overlay.empty


def test_the_laser_comes_and_goes(qapp: Any) -> None:
    overlay = AnnotationOverlay()
    overlay.cover(0, 0, 800, 600)
    overlay.apply(Laser(400, 300))
    assert overlay.isVisible()
    assert overlay.mask().contains(QPoint(400, 300))
    overlay.apply(Laser(100, 50))
    assert overlay.mask().contains(QPoint(100, 50))
    assert not overlay.mask().contains(QPoint(400, 300))
    overlay.apply(LaserOff())
    assert not overlay.isVisible()
