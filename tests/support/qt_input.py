"""Synthetic mouse/key input on a canvas viewport, in image coordinates (pytest-qt helpers)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

LEFT = Qt.MouseButton.LeftButton
NOMOD = Qt.KeyboardModifier.NoModifier


class Mouse:
    def __init__(self, qtbot: QtBot, canvas) -> None:  # noqa: ANN001 - CanvasView
        self.qtbot = qtbot
        self.canvas = canvas

    def at(self, x: float, y: float) -> QPointF:
        return self.canvas.image_to_view(x, y)

    def send(self, kind: QEvent.Type, x: float, y: float, button=LEFT, buttons=None, mods=NOMOD,  # noqa: ANN001
             screen: QPointF | None = None) -> None:
        pos = screen if screen is not None else self.at(x, y)
        viewport = self.canvas.viewport()
        held = buttons if buttons is not None else (Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease
                                                    else button)
        event = QMouseEvent(kind, pos, viewport.mapToGlobal(pos), button if kind != QEvent.Type.MouseMove
                            else Qt.MouseButton.NoButton, held, mods)
        QApplication.sendEvent(viewport, event)

    def press(self, x: float, y: float, mods=NOMOD, button=LEFT) -> None:  # noqa: ANN001
        self.send(QEvent.Type.MouseButtonPress, x, y, button, mods=mods)

    def release(self, x: float, y: float, mods=NOMOD, button=LEFT) -> None:  # noqa: ANN001
        self.send(QEvent.Type.MouseButtonRelease, x, y, button, mods=mods)

    def move(self, x: float, y: float, buttons=Qt.MouseButton.NoButton, mods=NOMOD) -> None:  # noqa: ANN001
        self.send(QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, buttons=buttons, mods=mods)

    def click(self, x: float, y: float, mods=NOMOD) -> None:  # noqa: ANN001
        self.press(x, y, mods)
        self.release(x, y, mods)

    def double_click(self, x: float, y: float) -> None:
        self.press(x, y)
        self.release(x, y)
        self.send(QEvent.Type.MouseButtonDblClick, x, y)
        self.release(x, y)

    def drag(self, a: tuple[float, float], b: tuple[float, float], mods=NOMOD, button=LEFT) -> None:  # noqa: ANN001
        """Press at ``a``, move in four steps and release at ``b``; screen positions are computed once,
        at the start, so a drag that pans the view still moves the pointer as a hand would."""
        points = [self.at(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in (0, 0.25, 0.5, 0.75, 1.0)]
        self.send(QEvent.Type.MouseButtonPress, 0, 0, button, mods=mods, screen=points[0])
        for p in points[1:]:
            self.send(QEvent.Type.MouseMove, 0, 0, Qt.MouseButton.NoButton, buttons=button, mods=mods, screen=p)
        self.send(QEvent.Type.MouseButtonRelease, 0, 0, button, mods=mods, screen=points[-1])

    def key(self, key: Qt.Key, mods=NOMOD) -> None:  # noqa: ANN001
        self.qtbot.keyClick(self.canvas, key, mods)
