"""The annotation overlay: the helper's pen strokes and laser pointer on the real screen.

A frameless, always-on-top window covering the shared monitor, with a window shape (mask) of
just the strokes, so the desktop shows through everywhere else even without a compositor, and
`WindowTransparentForInput` so clicks reach the windows below even on a stroke
(PLATFORM-NOTES: verified on Xvfb without a window manager). Because the strokes are real screen
pixels, the capture sends them to the helper too.

Pen strokes stay until the helper clears them; the laser pointer disappears on `laser_off` or
after a moment without updates.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, Qt, QTimer
from PySide6.QtGui import QBitmap, QColor, QPainter, QPainterPath, QPaintEvent, QPen, QRegion
from PySide6.QtWidgets import QWidget

from ...protocol.payloads import Annotation, ClearAnnotations, Laser, LaserOff, Stroke

#: The laser dot's radius in pixels, and how long it stays without an update.
LASER_RADIUS = 9
LASER_TIMEOUT_MS = 1500
LASER_COLOR = QColor(230, 0, 0)


@dataclass(frozen=True, slots=True)
class _Ink:
    color: QColor
    width: float
    points: tuple[tuple[float, float], ...]


class AnnotationOverlay(QWidget):
    """Draws annotations over one monitor; `apply` takes each annotation as it arrives."""

    def __init__(self) -> None:
        super().__init__(
            None,
            Qt.WindowType.Window
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowTransparentForInput
            | Qt.WindowType.WindowDoesNotAcceptFocus
            | Qt.WindowType.X11BypassWindowManagerHint
            | Qt.WindowType.Tool,
        )
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setWindowTitle("quickassist annotations")
        self._strokes: dict[str, _Ink] = {}
        self._laser: QPointF | None = None
        self._laser_timer = QTimer(self)
        self._laser_timer.setSingleShot(True)
        self._laser_timer.timeout.connect(self._laser_expired)

    # Geometry -----------------------------------------------------------------------------

    def cover(self, x: int, y: int, width: int, height: int) -> None:
        """Cover the shared monitor (X screen pixels). Set explicitly: without a window manager
        `showFullScreen()` gives 640x480 (PLATFORM-NOTES)."""
        self.setGeometry(QRect(x, y, width, height))
        self._refresh()

    # Annotations --------------------------------------------------------------------------

    def apply(self, annotation: Annotation) -> None:
        match annotation:
            case Stroke(id=stroke_id, color=color, width=width, points=points):
                self._strokes[stroke_id] = _Ink(QColor(color), width, points)
            case Laser(x=x, y=y):
                self._laser = QPointF(x, y)
                self._laser_timer.start(LASER_TIMEOUT_MS)
            case LaserOff():
                self._laser = None
            case ClearAnnotations():
                self._strokes.clear()
                self._laser = None
        self._refresh()

    def clear(self) -> None:
        self.apply(ClearAnnotations())

    @property
    def empty(self) -> bool:
        return not self._strokes and self._laser is None

    def _laser_expired(self) -> None:
        self._laser = None
        self._refresh()

    # Drawing ------------------------------------------------------------------------------

    def _refresh(self) -> None:
        if self.empty or self.width() <= 0 or self.height() <= 0:
            # An empty mask would mean "no mask" (the whole window): hide instead.
            self.hide()
            return
        mask = QBitmap(self.size())
        mask.fill(Qt.GlobalColor.color0)
        painter = QPainter(mask)
        self._draw(painter, for_mask=True)
        painter.end()
        self.setMask(QRegion(mask))
        if not self.isVisible():
            self.show()
        # Stays-on-top is not enforced without a window manager: raise on every change.
        self.raise_()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self._draw(painter, for_mask=False)
        painter.end()

    def _draw(self, painter: QPainter, *, for_mask: bool) -> None:
        """Draw everything; on the mask bitmap every colour is "set" (color1).

        The same code draws the mask and the pixels, so the window shape always matches the ink.
        The mask pen is one pixel wider so antialiased edges are never cut off.
        """

        def paint(color: QColor) -> QColor:
            return QColor(Qt.GlobalColor.color1) if for_mask else color

        painter.setRenderHint(QPainter.RenderHint.Antialiasing, not for_mask)
        for ink in self._strokes.values():
            pen = QPen(paint(ink.color))
            pen.setWidthF(max(1.0, ink.width) + (1.0 if for_mask else 0.0))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            if len(ink.points) == 1:
                (x, y) = ink.points[0]
                painter.drawPoint(QPointF(x, y))
                continue
            path = QPainterPath(QPointF(*ink.points[0]))
            for x, y in ink.points[1:]:
                path.lineTo(QPointF(x, y))
            painter.drawPath(path)
        if self._laser is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(paint(LASER_COLOR))
            painter.drawEllipse(self._laser, LASER_RADIUS, LASER_RADIUS)
