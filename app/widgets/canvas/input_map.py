"""Qt input to the toolkit-neutral names of :mod:`app.tools.base` (keys, modifiers, buttons) and tool
cursor roles to Qt cursor shapes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from app.tools.base import Button, CursorRole, Modifier

CURSORS = {
    CursorRole.DEFAULT: Qt.CursorShape.ArrowCursor, CursorRole.CROSS: Qt.CursorShape.CrossCursor,
    CursorRole.MOVE: Qt.CursorShape.SizeAllCursor, CursorRole.POINTING: Qt.CursorShape.PointingHandCursor,
    CursorRole.BUSY: Qt.CursorShape.BusyCursor, CursorRole.RESIZE: Qt.CursorShape.SizeFDiagCursor,
    CursorRole.ROTATE: Qt.CursorShape.OpenHandCursor, CursorRole.FORBIDDEN: Qt.CursorShape.ForbiddenCursor,
}
_KEYS = {
    Qt.Key.Key_Escape: "Escape", Qt.Key.Key_Return: "Return", Qt.Key.Key_Enter: "Enter",
    Qt.Key.Key_Backspace: "Backspace", Qt.Key.Key_Delete: "Delete", Qt.Key.Key_Space: "Space",
    Qt.Key.Key_Left: "Left", Qt.Key.Key_Right: "Right", Qt.Key.Key_Up: "Up", Qt.Key.Key_Down: "Down",
    Qt.Key.Key_Control: "Control", Qt.Key.Key_Shift: "Shift", Qt.Key.Key_Alt: "Alt", Qt.Key.Key_Tab: "Tab",
}



def key_name(key: int) -> str:
    """Qt key code -> the toolkit-neutral name of :class:`app.tools.base.KeyEvent`."""
    if key in _KEYS:
        return _KEYS[key]  # type: ignore[index]
    return QKeySequence(key).toString().upper()


def modifiers_of(mods: Qt.KeyboardModifier) -> Modifier:
    out = Modifier.NONE
    if mods & Qt.KeyboardModifier.ShiftModifier:
        out |= Modifier.SHIFT
    if mods & Qt.KeyboardModifier.ControlModifier:
        out |= Modifier.CTRL
    if mods & Qt.KeyboardModifier.AltModifier:
        out |= Modifier.ALT
    return out


def buttons_of(buttons: Qt.MouseButton) -> Button:
    out = Button.NONE
    if buttons & Qt.MouseButton.LeftButton:
        out |= Button.LEFT
    if buttons & Qt.MouseButton.RightButton:
        out |= Button.RIGHT
    if buttons & Qt.MouseButton.MiddleButton:
        out |= Button.MIDDLE
    return out


