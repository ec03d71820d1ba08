"""Attributes of the selected object, or of the frame tag picked in the objects sidebar: one editor per
attribute type (select, radio, checkbox, number, text). Each change
is one command; values start at the label's defaults. It is the body of the object card
(:mod:`app.widgets.panels.object_card`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import AttributeType
from app.editing.session import EditSession, SessionChange

if TYPE_CHECKING:
    from app.domain.annotations import Tag
    from app.domain.labels import AttributeSpec
    from app.editing.frame_objects import FrameObject


class AttributesPanel(QWidget):
    attribute_edited = Signal(int, str)  # spec id, value (of the selected object)
    tag_attribute_edited = Signal(int, int, str)  # tag id, spec id, value

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.title = QLabel("Nothing selected", self)
        self.form_host = QWidget(self)
        self.form = QFormLayout(self.form_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.title)
        layout.addWidget(self.form_host)
        layout.addStretch(1)
        self.editors: dict[int, QWidget] = {}
        self._obj: FrameObject | None = None
        self.tag_id: int | None = None  # the frame tag shown when no object is selected
        session.changed.connect(self._on_session)

    def _on_session(self, change: SessionChange) -> None:
        if change is SessionChange.SELECTION and self.session.selection():
            self.tag_id = None
        if change is not SessionChange.FLAGS:
            self.reload()

    def show_tag(self, tag_id: int | None) -> None:
        """Show (and edit) a tag of the current frame; the object selection is cleared."""
        self.session.select([])
        self.tag_id = tag_id
        self.reload()

    def current_tag(self) -> Tag | None:
        if self.tag_id is None or self.session.selection():
            return None
        return next((t for t in self.session.tags() if t.id == self.tag_id), None)

    def current(self) -> FrameObject | None:
        keys = self.session.selection()
        return self.session.objects().get(keys[0]) if len(keys) == 1 else None

    def reload(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors = {}
        obj = self._obj = self.current()
        tag = self.current_tag() if obj is None else None
        if tag is not None:
            self._show_tag(tag)
            return
        if obj is None:
            n = len(self.session.selection())
            self.title.setText(f"{n} objects selected" if n else "Nothing selected")
            return
        label = self.session.labels.get(obj.shape.label_id)
        kind = "track" if obj.is_track else "shape"
        self.title.setText(f"{label.name if label else '?'} {obj.shape.type.value} {kind} {obj.key[1]}")
        if label is None:
            return
        for spec in label.attributes:
            if spec.id is None:
                continue
            value = obj.shape.attributes.get(spec.id, spec.default_value)
            editor = self._editor(spec, value, lambda v, sid=spec.id: self.attribute_edited.emit(sid, v))
            self.editors[spec.id] = editor
            self.form.addRow(spec.name, editor)

    def _show_tag(self, tag: Tag) -> None:
        label = self.session.labels.get(tag.label_id)
        self.title.setText(f"Tag {label.name if label else tag.label_id} (#{tag.id})")
        for spec in label.attributes if label is not None else []:
            if spec.id is None:
                continue
            value = tag.attributes.get(spec.id, spec.default_value)
            editor = self._editor(spec, value, lambda v, sid=spec.id, tid=tag.id: self.tag_attribute_edited.emit(
                tid, sid, v))
            self.editors[spec.id] = editor
            self.form.addRow(spec.name, editor)
        if not self.editors:
            self.form.addRow("", QLabel("This tag's label has no attributes.", self.form_host))

    def _editor(self, spec: AttributeSpec, value: str, emit: Callable[[str], None]) -> QWidget:
        t = spec.input_type
        if t is AttributeType.SELECT:
            box = QComboBox(self.form_host)
            box.addItems(spec.values)
            box.setCurrentText(value)
            box.currentTextChanged.connect(emit)
            return box
        if t is AttributeType.RADIO:
            host = QWidget(self.form_host)
            row = QHBoxLayout(host)
            row.setContentsMargins(0, 0, 0, 0)
            group = QButtonGroup(host)
            for choice in spec.values:
                button = QRadioButton(choice, host)
                button.setChecked(choice == value)
                button.toggled.connect(lambda on, c=choice: on and emit(c))
                group.addButton(button)
                row.addWidget(button)
            host.group = group  # type: ignore[attr-defined]  # keep the group alive with its buttons
            return host
        if t is AttributeType.CHECKBOX:
            check = QCheckBox(self.form_host)
            check.setChecked(value.lower() == "true")
            check.toggled.connect(lambda on: emit("true" if on else "false"))
            return check
        if t is AttributeType.NUMBER:
            spin = QDoubleSpinBox(self.form_host)
            bounds = list(spec.values[:3])
            bounds += ["0", "1e9", "1"][len(bounds):]
            lo, hi, step = (float(v) for v in bounds)
            spin.setRange(lo, hi)
            spin.setSingleStep(step)
            spin.setDecimals(0 if float(step).is_integer() else 3)
            spin.setValue(float(value or lo))
            spin.editingFinished.connect(lambda: emit(f"{spin.value():g}"))
            return spin
        line = QLineEdit(value, self.form_host)
        line.editingFinished.connect(lambda: emit(line.text()))
        return line
