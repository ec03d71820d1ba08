"""The expanded card of the selected object (or of the frame tag picked in the list), as in CVAT's
objects sidebar: its id and type, a label dropdown, toggles for lock, hide, pin and occluded, a delete
button, the track controls (previous/next keyframe, keyframe, outside) and the attribute editors.

The card edits nothing itself: every button runs a job window action by id (the same handler as the
action's shortcut, so each edit is one command on the job's undo stack, and hide/lock go through the
session), the label dropdown asks for a label change, and the attribute editors are the
:class:`~app.widgets.panels.attributes.AttributesPanel` embedded below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.editing.session import SessionChange
from app.widgets.panels.attributes import AttributesPanel
from app.widgets.panels.labels import swatch

if TYPE_CHECKING:
    from app.editing.frame_objects import FrameObject
    from app.editing.session import EditSession

# (button text, action id, tooltip, checkable)
OBJECT_BUTTONS = (
    ("Lock", "edit.lock", "Lock: the object cannot be edited on the canvas (L)", True),
    ("Hide", "edit.hide", "Hide the object on the canvas (H)", True),
    ("Pin", "edit.pin", "Pin: the object cannot be moved or rotated; its vertices can still be edited", True),
    ("Occluded", "edit.occluded", "Occluded flag (Q)", True),
    ("Delete", "edit.delete", "Delete the object (Del)", False),
)
TRACK_BUTTONS = (
    ("◀ Key", "frame.previous_key", "Go to the previous keyframe of this track (E)", False),
    ("Keyframe", "track.keyframe", "Keyframe on this frame (K)", True),
    ("Outside", "track.outside", "The object leaves the frame here (O)", True),
    ("Key ▶", "frame.next_key", "Go to the next keyframe of this track (R)", False),
)


class ObjectCard(QFrame):
    def __init__(self, session: EditSession, trigger: Callable[[str], None],
                 change_label: Callable[[int], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("objectCard")
        self.session = session
        self._change_label = change_label
        self.header = QLabel(self)
        self.header.setWordWrap(True)
        self.label_box = QComboBox(self)
        self.label_box.setToolTip("The object's label (one undo step; attributes restart from its defaults)")
        self.label_box.activated.connect(self._on_label_activated)
        self.buttons: dict[str, QToolButton] = {}
        self.object_row = self._button_row(OBJECT_BUTTONS, trigger)
        self.track_row = self._button_row(TRACK_BUTTONS, trigger)
        self.attributes = AttributesPanel(session, self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.label_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.object_row)
        layout.addWidget(self.track_row)
        layout.addWidget(self.attributes)
        session.changed.connect(self._on_session)
        self.attributes.title.hide()  # the card's header says what is shown
        self.reload()

    def _button_row(self, specs: tuple, trigger: Callable[[str], None]) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for text, action_id, tip, checkable in specs:
            button = QToolButton(row)
            button.setText(text)
            button.setToolTip(tip)
            button.setCheckable(checkable)
            button.setAutoRaise(False)
            button.clicked.connect(lambda _on=False, a=action_id: trigger(a))
            layout.addWidget(button)
            self.buttons[action_id] = button
        layout.addStretch(1)
        return row

    def current(self) -> FrameObject | None:
        keys = self.session.selection()
        return self.session.objects().get(keys[0]) if len(keys) == 1 else None

    def show_tag(self, tag_id: int | None) -> None:
        self.attributes.show_tag(tag_id)
        self.reload()

    def _on_session(self, _change: SessionChange) -> None:
        self.reload()

    def reload(self) -> None:
        obj = self.current()
        tag = self.attributes.current_tag() if obj is None else None
        self.object_row.setVisible(obj is not None)
        self.track_row.setVisible(obj is not None and obj.is_track)
        self.label_box.setVisible(obj is not None)
        self.attributes.setVisible(obj is not None or tag is not None)
        if obj is None:
            n = len(self.session.selection())
            self.header.setText(self.attributes.title.text() if tag is not None else
                                f"{n} objects selected" if n else
                                "No object selected: click one on the canvas or in the list above")
            return
        kind, oid = obj.key
        state = ("keyframe" if obj.keyframe else "interpolated") if obj.is_track else ""
        label = self.session.labels.get(obj.shape.label_id)
        color = label.color if label is not None else "#ffffff"
        self.header.setText(f"<span style='color:{color}'>■</span> <b>{'T' if kind == 'track' else '#'}{oid}</b> "
                            f"{obj.shape.type.value} {'track, ' + state if state else ''}")
        self._fill_labels(obj)
        checks = {"edit.lock": self.session.is_locked(obj.key), "edit.hide": self.session.is_hidden(obj.key),
                  "edit.pin": self.session.is_pinned(obj.key),
                  "edit.occluded": obj.shape.occluded, "track.keyframe": obj.keyframe, "track.outside": False}
        for action_id, on in checks.items():
            self.buttons[action_id].setChecked(on)
        locked = self.session.is_locked(obj.key)
        for action_id in ("edit.occluded", "edit.delete", "track.keyframe", "track.outside"):
            self.buttons[action_id].setEnabled(not locked)
        self.label_box.setEnabled(not locked)

    def _fill_labels(self, obj: FrameObject) -> None:
        box = self.label_box
        box.blockSignals(True)
        box.clear()
        for label in self.session.labels:
            if label.id is not None and label.type.accepts(obj.shape.type):
                box.addItem(swatch(label.color), label.name, label.id)
        box.setCurrentIndex(max(0, box.findData(obj.shape.label_id)))
        box.blockSignals(False)

    def _on_label_activated(self, index: int) -> None:
        obj = self.current()
        label_id = self.label_box.itemData(index)
        if obj is not None and label_id is not None and label_id != obj.shape.label_id:
            self._change_label(int(label_id))
