"""Attributes of the selected object: one editor per attribute type (select, radio, checkbox, number,
text), plus the occluded flag. Each change is one command; values start at the label's defaults."""

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
    from app.domain.labels import AttributeSpec
    from app.editing.frame_objects import FrameObject


class AttributesPanel(QWidget):
    attribute_edited = Signal(int, str)  # spec id, value
    occluded_toggled = Signal()

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
        self.occluded: QCheckBox | None = None
        self._obj: FrameObject | None = None
        session.changed.connect(self._on_session)

    def _on_session(self, change: SessionChange) -> None:
        if change is not SessionChange.FLAGS:
            self.reload()

    def current(self) -> FrameObject | None:
        keys = self.session.selection()
        return self.session.objects().get(keys[0]) if len(keys) == 1 else None

    def reload(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors, self.occluded = {}, None
        obj = self._obj = self.current()
        if obj is None:
            n = len(self.session.selection())
            self.title.setText(f"{n} objects selected" if n else "Nothing selected")
            return
        label = self.session.labels.get(obj.shape.label_id)
        kind = "track" if obj.is_track else "shape"
        self.title.setText(f"{label.name if label else '?'} {obj.shape.type.value} {kind} {obj.key[1]}")
        self.occluded = QCheckBox("occluded", self.form_host)
        self.occluded.setChecked(obj.shape.occluded)
        self.occluded.toggled.connect(lambda _on: self.occluded_toggled.emit())
        self.form.addRow("", self.occluded)
        if label is None:
            return
        for spec in label.attributes:
            if spec.id is None:
                continue
            value = obj.shape.attributes.get(spec.id, spec.default_value)
            editor = self._editor(spec, value, lambda v, sid=spec.id: self.attribute_edited.emit(sid, v))
            self.editors[spec.id] = editor
            self.form.addRow(spec.name, editor)

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
