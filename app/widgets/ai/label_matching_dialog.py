"""Model labels -> task labels, pre-filled by name; only type-compatible task labels are offered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QRadioButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.labels import Label
from app.models.label_matching import (
    LabelMapping,
    compatible_task_labels,
    spec_type,
    suggest_label,
    suggest_mapping,
)

DROP = "(drop)"


class LabelMatchingDialog(QDialog):
    """Edit a :class:`LabelMapping`. Attributes and skeleton keypoints of each pair are matched by name
    (shown in the third column); unmatched model labels are dropped or make the run fail."""

    def __init__(self, spec_labels: Sequence[Any], task_labels: Sequence[Label], mapping: LabelMapping | None = None,
                 allow_unmatched: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Match model labels to task labels")
        self.spec_labels = list(spec_labels)
        self.task_labels = list(task_labels)
        initial = mapping if mapping is not None else suggest_mapping(self.spec_labels, self.task_labels)
        self.table = QTableWidget(len(self.spec_labels), 3, self)
        self.table.setHorizontalHeaderLabels(["Model label", "Task label", "Attributes / keypoints"])
        self.combos: list[QComboBox] = []
        for row, model_label in enumerate(self.spec_labels):
            self.table.setCellWidget(row, 0, QLabel(f"{model_label.name} ({spec_type(model_label)})"))
            combo = QComboBox()
            combo.addItem(DROP)
            for task_label in compatible_task_labels(model_label, self.task_labels):
                combo.addItem(f"{task_label.name} ({task_label.type.value})", task_label.name)
            chosen = initial.labels.get(model_label.name)
            if chosen is not None:
                index = combo.findData(chosen.name)
                combo.setCurrentIndex(max(index, 0))
            combo.currentIndexChanged.connect(lambda _i, r=row: self._update_details(r))
            self.table.setCellWidget(row, 1, combo)
            self.combos.append(combo)
            self._update_details(row)
        self.table.resizeColumnsToContents()
        self.drop_unmatched = QRadioButton("Drop outputs of unmatched model labels")
        self.fail_unmatched = QRadioButton("Stop with an error if a model label is unmatched")
        (self.drop_unmatched if allow_unmatched else self.fail_unmatched).setChecked(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.table, self.drop_unmatched, self.fail_unmatched, buttons):
            layout.addWidget(widget)

    def _task_label(self, row: int) -> Label | None:
        name = self.combos[row].currentData()
        return next((label for label in self.task_labels if label.name == name), None)

    def _update_details(self, row: int) -> None:
        task_label = self._task_label(row)
        text = ""
        if task_label is not None:
            match = suggest_label(self.spec_labels[row], task_label)
            parts = [f"{len(match.attributes or {})}/{len(getattr(self.spec_labels[row], 'attributes', None) or [])} attributes"]
            if match.sublabels is not None:
                total = len(getattr(self.spec_labels[row], "sublabels", None) or [])
                parts.append(f"{len(match.sublabels)}/{total} keypoints")
            text = ", ".join(parts)
        self.table.setCellWidget(row, 2, QLabel(text))

    def mapping(self) -> LabelMapping:
        result = LabelMapping()
        for row, model_label in enumerate(self.spec_labels):
            task_label = self._task_label(row)
            if task_label is not None:
                result.labels[model_label.name] = suggest_label(model_label, task_label)
        return result

    def allow_unmatched(self) -> bool:
        return self.drop_unmatched.isChecked()

    def problems(self) -> list[str]:
        """Why the current choice cannot be accepted (empty when it can)."""
        mapping = self.mapping()
        if not mapping.labels:
            return ["map at least one model label to a task label"]
        unmatched = mapping.unmatched(self.spec_labels)
        if unmatched and not self.allow_unmatched():
            return [f"unmatched model labels: {', '.join(unmatched[:10])}" + (" ..." if len(unmatched) > 10 else "")]
        return []

    def accept(self) -> None:
        problems = self.problems()
        if problems:
            QMessageBox.warning(self, "Label matching", "\n".join(problems))
            return
        super().accept()
