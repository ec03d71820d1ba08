"""Canvas keys work wherever the focus is in the job window, except while typing in a text field.

The window's actions are window shortcuts already; the active tool's own keys (``[``/``]`` brush size,
``N`` finish, ``E`` eraser, ...) are read by the canvas's ``keyPressEvent``, which only sees them when
the canvas has the focus. After a click on a side panel (the objects list, a button, a tab) a list
or button would swallow them. :class:`KeyRouter` watches the key presses of the window's focus
widget (outside the canvas) and offers the printable ones (no Ctrl/Alt) to the canvas's tool first;
what the tool does not take goes on to the widget as before. Text fields (line edits, spin boxes,
editable combo boxes, text editors) keep every key.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from app.tools.base import KeyEvent, Modifier
from app.widgets.canvas.input_map import key_name, modifiers_of

_TYPING = (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)


def is_typing(widget: QWidget | None) -> bool:
    """Whether ``widget`` takes text (then it keeps the keys)."""
    return isinstance(widget, _TYPING) or (isinstance(widget, QComboBox) and widget.isEditable())


class KeyRouter(QObject):
    """Watches the focus widget of one job window (an event filter on it while it has the focus, so
    no other event pays for it)."""

    def __init__(self, window: QWidget, canvas: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = canvas
        self.watched: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus_changed)

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self.watched is not None:
            try:
                self.watched.removeEventFilter(self)
            except RuntimeError:  # it was deleted meanwhile
                pass
            self.watched = None
        if new is not None and new.window() is self.window and not self._in_canvas(new) and not is_typing(new):
            new.installEventFilter(self)
            self.watched = new

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.KeyPress or watched is not self.watched:
            return False
        assert isinstance(event, QKeyEvent)
        mods = event.modifiers()
        if mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return False
        text = event.text()
        if not text or not text.isprintable() or text.isspace():
            return False
        tool = getattr(self.canvas, "tool", None)
        if tool is None:
            return False
        return bool(tool.key(KeyEvent(key_name(event.key()), modifiers_of(mods) or Modifier.NONE)))

    def _in_canvas(self, widget: QWidget) -> bool:
        return widget is self.canvas or self.canvas.isAncestorOf(widget)
