"""Model labels -> task labels, pre-filled by name; only type-compatible task labels are offered.

The lower half edits the selected pair: each model attribute -> a compatible task attribute, and for
skeletons each model keypoint -> a task keypoint and, for the selected keypoint, its attributes
(all pre-filled by name). The resulting
:class:`LabelMapping` is what the runner validates and remaps with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QMessageBox,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.labels import Label
from app.models.label_matching import (
    LabelMapping,
    LabelMatch,
    compatible_task_labels,
    match_problems,
    spec_type,
    suggest_label,
    suggest_mapping,
)
from app.widgets.ai.mapping_editors import DROP, AttributeMapEditor, KeypointMapEditor

__all__ = ["DROP", "LabelMatchingDialog"]


class LabelMatchingDialog(QDialog):
    """Edit a :class:`LabelMapping`; unmatched model labels are dropped or make the run fail."""

    def __init__(self, spec_labels: Sequence[Any], task_labels: Sequence[Label], mapping: LabelMapping | None = None,
                 allow_unmatched: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Match model labels to task labels")
        self.spec_labels = list(spec_labels)
        self.task_labels = list(task_labels)
        # a copy: editing must not change the caller's mapping unless the dialog is accepted
        initial = (LabelMapping.from_cvat(mapping.to_cvat()) if mapping is not None
                   else suggest_mapping(self.spec_labels, self.task_labels))
        self.matches: list[LabelMatch | None] = []
        self.detail_row = -1
        self.keypoint_row = -1
        self.table = QTableWidget(len(self.spec_labels), 3, self)
        self.table.setHorizontalHeaderLabels(["Model label", "Task label", "Attributes / keypoints"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.combos: list[QComboBox] = []
        for row, model_label in enumerate(self.spec_labels):
            self._add_row(row, model_label, initial.labels.get(model_label.name))
        self.table.resizeColumnsToContents()
        self.table.currentCellChanged.connect(lambda row, *_: self.show_details(row))
        self._build_details()
        self.drop_unmatched = QRadioButton("Drop outputs of unmatched model labels")
        self.fail_unmatched = QRadioButton("Stop with an error if a model label is unmatched")
        (self.drop_unmatched if allow_unmatched else self.fail_unmatched).setChecked(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        layout = QVBoxLayout(self)
        for widget in (splitter, self.drop_unmatched, self.fail_unmatched, buttons):
            layout.addWidget(widget)
        self.show_details(0 if self.spec_labels else -1)

    def _add_row(self, row: int, model_label: Any, chosen: LabelMatch | None) -> None:
        self.table.setCellWidget(row, 0, QLabel(f"{model_label.name} ({spec_type(model_label)})"))
        combo = QComboBox()
        combo.addItem(DROP)
        for task_label in compatible_task_labels(model_label, self.task_labels):
            combo.addItem(f"{task_label.name} ({task_label.type.value})", task_label.name)
        index = combo.findData(chosen.name) if chosen is not None else -1
        combo.setCurrentIndex(max(index, 0))
        if index > 0:
            # None means "by name" in a mapping; show (and keep) what that resolves to
            suggested = suggest_label(model_label, self._task_label_named(chosen.name))
            if chosen.attributes is None:
                chosen.attributes = suggested.attributes
            if chosen.sublabels is None:
                chosen.sublabels = suggested.sublabels
        self.matches.append(chosen if index > 0 else None)
        combo.currentIndexChanged.connect(lambda _i, r=row: self._label_changed(r))
        self.table.setCellWidget(row, 1, combo)
        self.combos.append(combo)
        self._update_summary(row)

    def _build_details(self) -> None:
        self.details = QGroupBox("Attributes and keypoints")
        self.detail_title = QLabel()
        self.attribute_editor = AttributeMapEditor()
        self.keypoint_editor = KeypointMapEditor()
        self.keypoint_attribute_editor = AttributeMapEditor()
        self.keypoint_attribute_editor.setHorizontalHeaderLabels(["Keypoint attribute", "Task"])
        self.attribute_editor.changed.connect(self._details_edited)
        self.keypoint_editor.changed.connect(self._details_edited)
        self.keypoint_editor.currentCellChanged.connect(lambda row, *_: self.show_keypoint_attributes(row))
        self.keypoint_attribute_editor.changed.connect(self._keypoint_attributes_edited)
        layout = QVBoxLayout(self.details)
        for widget in (self.detail_title, self.attribute_editor, self.keypoint_editor, self.keypoint_attribute_editor):
            layout.addWidget(widget)

    # ------------------------------------------------------------------------------ pairs
    def _task_label_named(self, name: str | None) -> Label | None:
        return next((label for label in self.task_labels if label.name == name), None)

    def _task_label(self, row: int) -> Label | None:
        return self._task_label_named(self.combos[row].currentData())

    def _label_changed(self, row: int) -> None:
        task_label = self._task_label(row)
        self.matches[row] = suggest_label(self.spec_labels[row], task_label) if task_label is not None else None
        self._update_summary(row)
        self.table.setCurrentCell(row, 1)
        self.show_details(row)

    def show_details(self, row: int) -> None:
        """Load the attribute and keypoint editors with the pair of ``row``."""
        self.detail_row = row
        model_label = self.spec_labels[row] if 0 <= row < len(self.spec_labels) else None
        match = self.matches[row] if model_label is not None else None
        task_label = self._task_label(row) if model_label is not None else None
        if model_label is None:
            self.detail_title.setText("")
        elif task_label is None:
            self.detail_title.setText(f"{model_label.name}: dropped")
        else:
            self.detail_title.setText(f"{model_label.name} -> {task_label.name}")
        self.attribute_editor.set_pair(model_label, task_label, match.attributes if match else None)
        skeleton = match is not None and match.sublabels is not None
        self.keypoint_editor.set_pair(model_label if skeleton else None, task_label if skeleton else None,
                                      match.sublabels if skeleton else None)
        self.keypoint_editor.setVisible(skeleton)
        self.attribute_editor.setVisible(bool(getattr(model_label, "attributes", None)))
        self.show_keypoint_attributes(-1)

    def show_keypoint_attributes(self, row: int) -> None:
        """Load the keypoint attribute editor with the keypoint pair of ``row`` of the keypoint editor."""
        self.keypoint_row = row
        model_sub, task_sub, match = (self.keypoint_editor.pair(row) if 0 <= row < len(self.keypoint_editor.names)
                                      else (None, None, None))
        self.keypoint_attribute_editor.set_pair(model_sub, task_sub, match.attributes if match else None)
        self.keypoint_attribute_editor.setVisible(bool(getattr(model_sub, "attributes", None)))

    def _keypoint_attributes_edited(self) -> None:
        if not 0 <= self.keypoint_row < len(self.keypoint_editor.names):
            return
        _model_sub, _task_sub, match = self.keypoint_editor.pair(self.keypoint_row)
        if match is not None:
            match.attributes = self.keypoint_attribute_editor.attributes()

    def _details_edited(self) -> None:
        match = self.matches[self.detail_row] if 0 <= self.detail_row < len(self.matches) else None
        if match is None:
            return
        match.attributes = self.attribute_editor.attributes()
        if match.sublabels is not None:
            match.sublabels = self.keypoint_editor.sublabels()
            self.show_keypoint_attributes(self.keypoint_row)
        self._update_summary(self.detail_row)

    def _update_summary(self, row: int) -> None:
        match, model_label = self.matches[row], self.spec_labels[row]
        text = ""
        if match is not None:
            parts = [f"{len(match.attributes or {})}/{len(getattr(model_label, 'attributes', None) or [])} attributes"]
            if match.sublabels is not None:
                parts.append(f"{len(match.sublabels)}/{len(getattr(model_label, 'sublabels', None) or [])} keypoints")
            text = ", ".join(parts)
        self.table.setCellWidget(row, 2, QLabel(text))

    # ------------------------------------------------------------------------------ result
    def mapping(self) -> LabelMapping:
        result = LabelMapping()
        for model_label, match in zip(self.spec_labels, self.matches):
            if match is not None:
                result.labels[model_label.name] = match
        return result

    def allow_unmatched(self) -> bool:
        return self.drop_unmatched.isChecked()

    def problems(self) -> list[str]:
        """Why the current choice cannot be accepted (empty when it can)."""
        mapping = self.mapping()
        if not mapping.labels:
            return ["map at least one model label to a task label"]
        problems = []
        unmatched = mapping.unmatched(self.spec_labels)
        if unmatched and not self.allow_unmatched():
            more = " ..." if len(unmatched) > 10 else ""
            problems.append(f"unmatched model labels: {', '.join(unmatched[:10])}{more}")
        for row, match in enumerate(self.matches):
            task_label = self._task_label(row)
            if match is not None and task_label is not None:
                problems += match_problems(self.spec_labels[row], task_label, match)
        return problems

    def accept(self) -> None:
        problems = self.problems()
        if problems:
            QMessageBox.warning(self, "Label matching", "\n".join(problems[:15]))
            return
        super().accept()
