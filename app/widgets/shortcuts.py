"""Keyboard shortcuts of the job window: CVAT-like defaults, user overrides from
``Preferences.shortcuts`` (action id -> key sequence), and a dialog that lists and rebinds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import settings


@dataclass(frozen=True)
class ShortcutSpec:
    action_id: str
    text: str
    default: str
    group: str = "Edit"


SHORTCUTS: tuple[ShortcutSpec, ...] = (
    ShortcutSpec("draw.repeat", "Draw / repeat the last drawing tool (N also finishes a polygon)", "N", "Draw"),
    ShortcutSpec("tool.select", "Select / edit tool", "S", "Draw"),
    ShortcutSpec("tool.rectangle", "Rectangle tool", "Shift+R", "Draw"),
    ShortcutSpec("tool.polygon", "Polygon tool", "Shift+P", "Draw"),
    ShortcutSpec("tool.polyline", "Polyline tool", "Shift+L", "Draw"),
    ShortcutSpec("tool.points", "Points tool", "Shift+O", "Draw"),
    ShortcutSpec("tool.ellipse", "Ellipse tool", "Shift+E", "Draw"),
    ShortcutSpec("tool.mask", "Mask brush tool", "B", "Draw"),
    ShortcutSpec("tool.skeleton", "Skeleton tool", "Shift+K", "Draw"),
    ShortcutSpec("tool.tag", "Tag the frame", "Shift+T", "Draw"),
    ShortcutSpec("track.mode", "Track mode (draw tracks)", "Ctrl+T", "Tracks"),
    ShortcutSpec("frame.next", "Next frame", "F", "Navigate"),
    ShortcutSpec("frame.previous", "Previous frame", "D", "Navigate"),
    ShortcutSpec("frame.next_key", "Next keyframe of the selected track", "R", "Navigate"),
    ShortcutSpec("frame.previous_key", "Previous keyframe of the selected track", "E", "Navigate"),
    ShortcutSpec("frame.goto", "Go to frame", "Ctrl+G", "Navigate"),
    ShortcutSpec("view.fit", "Fit image to the window", "Ctrl+0", "View"),
    ShortcutSpec("view.one", "Zoom 1:1", "Ctrl+1", "View"),
    ShortcutSpec("edit.undo", "Undo", "Ctrl+Z"),
    ShortcutSpec("edit.redo", "Redo", "Ctrl+Shift+Z"),
    ShortcutSpec("edit.delete", "Delete the selection", "Del"),
    ShortcutSpec("edit.copy", "Copy the selection", "Ctrl+C"),
    ShortcutSpec("edit.paste", "Paste (also onto another frame)", "Ctrl+V"),
    ShortcutSpec("edit.propagate", "Propagate the selection to the next frames", "Ctrl+B"),
    ShortcutSpec("edit.group", "Group the selection", "G"),
    ShortcutSpec("edit.ungroup", "Ungroup the selection", "Shift+G"),
    ShortcutSpec("edit.hide", "Hide / show the selection", "H"),
    ShortcutSpec("edit.hide_all", "Hide / show all objects", "Shift+H"),
    ShortcutSpec("edit.lock", "Lock / unlock the selection", "L"),
    ShortcutSpec("edit.occluded", "Occluded flag of the selection", "Q"),
    ShortcutSpec("edit.forward", "Bring forward (z-order)", "+"),
    ShortcutSpec("edit.backward", "Send backward (z-order)", "-"),
    ShortcutSpec("edit.deselect", "Cancel / deselect", "Esc"),
    ShortcutSpec("track.keyframe", "Toggle keyframe of the selected track", "K", "Tracks"),
    ShortcutSpec("track.outside", "Toggle outside of the selected track", "O", "Tracks"),
    ShortcutSpec("track.from_shape", "Turn the selected shape into a track", "Ctrl+Shift+T", "Tracks"),
    ShortcutSpec("track.split", "Split the selected track at this frame", "Alt+X", "Tracks"),
    ShortcutSpec("track.merge", "Merge the selected tracks", "Alt+M", "Tracks"),
    ShortcutSpec("help.shortcuts", "Show the keyboard shortcuts", "F1", "Help"),
)

BY_ID = {s.action_id: s for s in SHORTCUTS}


def _normalise(text: str) -> str:
    return QKeySequence(text).toString(QKeySequence.SequenceFormat.PortableText)


def bindings(prefs: settings.Preferences | None = None) -> dict[str, str]:
    """Action id -> key sequence (portable text), user overrides applied."""
    prefs = prefs if prefs is not None else settings.load()
    out = {s.action_id: _normalise(s.default) for s in SHORTCUTS}
    for action_id, keys in prefs.shortcuts.items():
        if action_id in out:
            out[action_id] = _normalise(keys)
    return out


def conflicts(bound: dict[str, str]) -> dict[str, list[str]]:
    """Key sequences bound to more than one action."""
    seen: dict[str, list[str]] = {}
    for action_id, keys in bound.items():
        if keys:
            seen.setdefault(keys, []).append(action_id)
    return {k: v for k, v in seen.items() if len(v) > 1}


def save_bindings(bound: dict[str, str]) -> None:
    """Store the bindings that differ from the defaults in the preferences."""
    prefs = settings.load()
    prefs.shortcuts = {a: k for a, k in bound.items() if a in BY_ID and k != _normalise(BY_ID[a].default)}
    settings.save(prefs)


class ShortcutsDialog(QDialog):
    """Lists every shortcut; double-click the key column to rebind (saved to the preferences)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(620, 640)
        self.bound = bindings()
        self.table = QTableWidget(len(SHORTCUTS), 3, self)
        self.table.setHorizontalHeaderLabels(["Group", "Action", "Keys"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        for row, spec in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(spec.group))
            self.table.setItem(row, 1, QTableWidgetItem(spec.text))
            editor = QKeySequenceEdit(QKeySequence(self.bound[spec.action_id]), self.table)
            editor.setObjectName(spec.action_id)
            editor.keySequenceChanged.connect(lambda seq, a=spec.action_id: self._rebind(a, seq))
            self.table.setCellWidget(row, 2, editor)
        for col in (0, 1):
            for row in range(self.table.rowCount()):
                item = self.table.item(row, col)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.warning = QLabel("", self)
        self.warning.setStyleSheet("color: #fa3253")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._defaults)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Click a key cell and press the new keys. Changes apply to windows opened later "
                                "and to this one when saved.", self))
        layout.addWidget(self.table)
        layout.addWidget(self.warning)
        layout.addWidget(buttons)

    def _rebind(self, action_id: str, seq: QKeySequence) -> None:
        self.bound[action_id] = seq.toString(QKeySequence.SequenceFormat.PortableText)
        clashes = conflicts(self.bound)
        self.warning.setText("; ".join(f"{k} is bound to {', '.join(v)}" for k, v in clashes.items()))

    def _defaults(self) -> None:
        for row, spec in enumerate(SHORTCUTS):
            editor = self.table.cellWidget(row, 2)
            assert isinstance(editor, QKeySequenceEdit)
            editor.setKeySequence(QKeySequence(spec.default))

    def _save(self) -> None:
        if conflicts(self.bound):
            return
        save_bindings(self.bound)
        self.accept()
