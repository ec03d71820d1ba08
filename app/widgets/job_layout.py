"""The job window's layout: the canvas gets the room.

- :class:`LayoutKeeper` restores the window's geometry and dock layout when it opens and saves them
  when it closes. The first time (nothing saved yet) the window fills the screen's free area and the
  docks get default widths in proportion to it, so the canvas has at least :data:`CANVAS_SHARE` of the
  width at 1920×1080 and at 1366×768; below :data:`WIDE` pixels the AI tools start collapsed.
- :class:`PanelStrip` is the narrow tool strip at the window's left edge with one toggle per side
  panel: a closed panel collapses to its button there and the button opens it again (CVAT's left
  toolbar and right sidebar).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar, QToolButton, QWidget

CANVAS_SHARE = 0.6  # the least share of the window's width the canvas gets on first open
WIDE = 1600  # narrower windows start with the AI tools collapsed to their strip button
LEFT_WIDTH = (0.15, 300)  # share of the window width, at most (px)
RIGHT_WIDTH = (0.22, 340)


class PanelStrip(QToolBar):
    """One checkable button per dock (its toggle-view action, with a short name)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Panels", parent)
        self.setObjectName("panelStrip")
        self.setOrientation(Qt.Orientation.Vertical)
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setToolTip("Side panels: click to open or collapse one")

    def add_dock(self, dock: QDockWidget, short_name: str) -> None:
        action = dock.toggleViewAction()
        action.setIconText(short_name)
        action.setToolTip(f"Show or hide the {dock.windowTitle()} panel")
        self.addAction(action)
        button = self.widgetForAction(action)
        if isinstance(button, QToolButton):  # a framed button even when its panel is collapsed: it reads as a button
            button.setAutoRaise(False)


def first_layout(window: QMainWindow, left: list[QDockWidget], right: list[QDockWidget]) -> None:
    """Default dock widths for the window's current width (the first open of a job window)."""
    width = window.width()
    if width < WIDE:
        for dock in left:
            dock.hide()
    else:
        window.resizeDocks(left, [int(min(width * LEFT_WIDTH[0], LEFT_WIDTH[1]))] * len(left),
                           Qt.Orientation.Horizontal)
    window.resizeDocks(right, [int(min(width * RIGHT_WIDTH[0], RIGHT_WIDTH[1]))] * len(right),
                       Qt.Orientation.Horizontal)
    if len(right) > 1:  # the first (objects) gets most of the height
        height = window.height()
        window.resizeDocks(right, [int(height * 0.75)] + [int(height * 0.16)] * (len(right) - 1),
                           Qt.Orientation.Vertical)


class LayoutKeeper(QObject):
    """Saves a window's geometry and dock layout when it closes; restores them when it opens (the
    first time, :func:`first_layout` once the window is shown at its size)."""

    KEY = "job-v2"  # v2: the panel strip and object cards; layouts saved before them (a 20 % canvas) are not reused

    def __init__(self, window: QMainWindow, left: list[QDockWidget], right: list[QDockWidget]) -> None:
        super().__init__(window)
        self.window = window
        self._first: tuple[list[QDockWidget], list[QDockWidget]] | None = None
        store = QSettings("Fieldmark", "Fieldmark")
        geometry, state = store.value(f"{self.KEY}/geometry"), store.value(f"{self.KEY}/state")
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            screen = window.screen()
            if screen is not None:
                window.setGeometry(screen.availableGeometry())
            if QGuiApplication.platformName() not in ("offscreen", "minimal"):
                # A window manager maximizes it with its frame on screen (without one the geometry stays).
                window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
        if state is None or not window.restoreState(state):
            self._first = (left, right)
            if window.isVisible():
                self._apply_first()
        window.installEventFilter(self)

    def _apply_first(self) -> None:
        if self._first is not None:
            left, right = self._first
            self._first = None
            first_layout(self.window, left, right)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Show and self._first is not None:
            QTimer.singleShot(0, self._apply_first)  # once the window has its size
        if watched is self.window and event.type() == QEvent.Type.Close:
            store = QSettings("Fieldmark", "Fieldmark")
            store.setValue(f"{self.KEY}/geometry", self.window.saveGeometry())
            store.setValue(f"{self.KEY}/state", self.window.saveState())
        return False
