"""The labels editor: names, colours, types, attributes (every input type) and skeleton templates
(keypoints and edges), with a "Raw" tab in CVAT's label JSON for bulk edits and copy/paste from CVAT."""

from __future__ import annotations

import copy
import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label, palette_color
from app.domain.labels_json import LabelSpecError, label_to_dict, labels_from_json
from app.storage.errors import ProjectError
from app.storage.store import Project

ATTR_COLUMNS = ["Name", "Type", "Mutable", "Values (one per line or comma)", "Default"]


class AttributeTable(QTableWidget):
    """Editable attribute specs of one label."""

    def __init__(self) -> None:
        super().__init__(0, len(ATTR_COLUMNS))
        self.setHorizontalHeaderLabels(ATTR_COLUMNS)
        self.horizontalHeader().setStretchLastSection(True)
        self._ids: list[int | None] = []

    def load(self, specs: list[AttributeSpec]) -> None:
        self.setRowCount(0)
        self._ids = []
        for spec in specs:
            self.add_row(spec)

    def add_row(self, spec: AttributeSpec | None = None) -> None:
        spec = spec or AttributeSpec(f"attribute{self.rowCount() + 1}", AttributeType.TEXT)
        row = self.rowCount()
        self.insertRow(row)
        self._ids.append(spec.id)
        self.setCellWidget(row, 0, QLineEdit(spec.name))
        kind = QComboBox()
        kind.addItems([t.value for t in AttributeType])
        kind.setCurrentText(spec.input_type.value)
        self.setCellWidget(row, 1, kind)
        mutable = QCheckBox()
        mutable.setChecked(spec.mutable)
        self.setCellWidget(row, 2, mutable)
        self.setCellWidget(row, 3, QLineEdit(", ".join(spec.values)))
        self.setCellWidget(row, 4, QLineEdit(spec.default_value))

    def remove_selected(self) -> None:
        row = self.currentRow()
        if row >= 0:
            self.removeRow(row)
            del self._ids[row]

    def specs(self) -> list[AttributeSpec]:
        specs = []
        for row in range(self.rowCount()):
            name = self.cellWidget(row, 0).text().strip()
            if not name:
                continue
            raw = self.cellWidget(row, 3).text()
            values = [v.strip() for v in raw.replace("\n", ",").split(",") if v.strip()]
            specs.append(AttributeSpec(
                name=name, input_type=AttributeType(self.cellWidget(row, 1).currentText()),
                mutable=self.cellWidget(row, 2).isChecked(), values=values,
                default_value=self.cellWidget(row, 4).text().strip(), id=self._ids[row],
            ))
        return specs


class SkeletonEditor(QGroupBox):
    """Keypoints (sublabels) and edges of a skeleton label."""

    def __init__(self) -> None:
        super().__init__("Skeleton template")
        self.keypoints = QListWidget()
        self.keypoints.setEditTriggers(QListWidget.EditTrigger.DoubleClicked)
        self.edges = QLineEdit()
        self.edges.setPlaceholderText("edges as keypoint pairs: 1-2, 2-3 (1-based)")
        add, remove = QPushButton("Add keypoint"), QPushButton("Remove keypoint")
        add.clicked.connect(lambda: self._add(f"kp{self.keypoints.count() + 1}", None))
        remove.clicked.connect(lambda: self.keypoints.takeItem(self.keypoints.currentRow()))
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.addWidget(self.keypoints)
        layout.addLayout(buttons)
        layout.addWidget(self.edges)

    def _add(self, name: str, label_id: int | None) -> None:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        item.setData(Qt.ItemDataRole.UserRole, label_id)
        self.keypoints.addItem(item)

    def load(self, label: Label) -> None:
        self.keypoints.clear()
        for sub in label.sublabels:
            self._add(sub.name, sub.id)
        self.edges.setText(", ".join(f"{a + 1}-{b + 1}" for a, b in label.edges))

    def apply_to(self, label: Label) -> None:
        old = {s.id: s for s in label.sublabels if s.id is not None}
        subs = []
        for i in range(self.keypoints.count()):
            item = self.keypoints.item(i)
            label_id = item.data(Qt.ItemDataRole.UserRole)
            sub = copy.deepcopy(old[label_id]) if label_id in old else Label(item.text(), type=LabelType.POINTS)
            sub.name = item.text().strip()
            sub.color = sub.color or palette_color(i + 5)
            subs.append(sub)
        edges = []
        for part in self.edges.text().replace(";", ",").split(","):
            if "-" in part:
                a, b = part.split("-", 1)
                a_i, b_i = int(a) - 1, int(b) - 1
                if not (0 <= a_i < len(subs) and 0 <= b_i < len(subs)):
                    raise LabelSpecError(f"edge {part.strip()} refers to a keypoint that does not exist")
                edges.append((a_i, b_i))
        label.sublabels, label.edges = subs, edges


class LabelsDialog(QDialog):
    """Edit the project's labels; changes are written when the user presses Save."""

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Labels")
        self.resize(900, 600)
        self.project = project
        self.labels: list[Label] = copy.deepcopy(list(project.labels()))
        self.deleted: list[int] = []
        self._current = -1

        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._select)
        add, delete = QPushButton("Add label"), QPushButton("Delete label")
        add.clicked.connect(self._add_label)
        delete.clicked.connect(self._delete_label)
        left = QVBoxLayout()
        left.addWidget(self.list)
        left.addWidget(add)
        left.addWidget(delete)

        self.name = QLineEdit()
        self.color = QPushButton()
        self.color.clicked.connect(self._pick_color)
        self.type = QComboBox()
        self.type.addItems([t.value for t in LabelType])
        self.type.currentTextChanged.connect(lambda t: self.skeleton.setVisible(t == LabelType.SKELETON.value))
        self.attributes = AttributeTable()
        add_attr, del_attr = QPushButton("Add attribute"), QPushButton("Remove attribute")
        add_attr.clicked.connect(lambda: self.attributes.add_row())
        del_attr.clicked.connect(self.attributes.remove_selected)
        self.skeleton = SkeletonEditor()
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Colour", self.color)
        form.addRow("Type", self.type)
        attr_buttons = QHBoxLayout()
        attr_buttons.addWidget(add_attr)
        attr_buttons.addWidget(del_attr)
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.attributes)
        right.addLayout(attr_buttons)
        right.addWidget(self.skeleton)
        editor = QWidget()
        split = QHBoxLayout(editor)
        split.addLayout(left, 1)
        split.addLayout(right, 3)

        self.raw = QPlainTextEdit()
        self.tabs = QTabWidget()
        self.tabs.addTab(editor, "Constructor")
        self.tabs.addTab(self.raw, "Raw (CVAT JSON)")
        self.tabs.currentChanged.connect(self._tab_changed)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self._refresh_list()

    # ---------------------------------------------------------------- constructor tab

    def _refresh_list(self, select: int = 0) -> None:
        self._current = -1
        self.list.clear()
        for label in self.labels:
            item = QListWidgetItem(f"{label.name}  [{label.type.value}]")
            item.setForeground(QColor(label.color or "#888888"))
            self.list.addItem(item)
        if self.labels:
            self.list.setCurrentRow(min(select, len(self.labels) - 1))

    def _commit_form(self) -> None:
        if not 0 <= self._current < len(self.labels):
            return
        label = self.labels[self._current]
        label.name = self.name.text().strip()
        label.color = self.color.text()
        label.type = LabelType(self.type.currentText())
        label.attributes = self.attributes.specs()
        if label.type is LabelType.SKELETON:
            self.skeleton.apply_to(label)

    def _select(self, row: int) -> None:
        self._commit_form()
        self._current = row
        if not 0 <= row < len(self.labels):
            return
        label = self.labels[row]
        self.name.setText(label.name)
        self._set_color(label.color)
        self.type.setCurrentText(label.type.value)
        self.attributes.load(label.attributes)
        self.skeleton.load(label)
        self.skeleton.setVisible(label.type is LabelType.SKELETON)

    def _set_color(self, color: str) -> None:
        self.color.setText(color)
        self.color.setStyleSheet(f"background-color: {color};")

    def _pick_color(self) -> None:
        chosen = QColorDialog.getColor(QColor(self.color.text() or "#ffffff"), self)
        if chosen.isValid():
            self._set_color(chosen.name())

    def _add_label(self) -> None:
        self._commit_form()
        self.labels.append(Label(f"label{len(self.labels) + 1}", palette_color(len(self.labels))))
        self._refresh_list(len(self.labels) - 1)

    def _delete_label(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        label = self.labels[row]
        if label.id is not None:
            count = self.project.counts()["by_label"].get(label.name, 0)
            if count and QMessageBox.question(
                self, "Delete label", f"Delete {label.name!r} and its {count} annotations?"
            ) != QMessageBox.StandardButton.Yes:
                return
            self.deleted.append(label.id)
        self._current = -1
        del self.labels[row]
        self._refresh_list(row)

    # ---------------------------------------------------------------- raw tab

    def _tab_changed(self, index: int) -> None:
        if index == 1:
            self._commit_form()
            self.raw.setPlainText(json.dumps([label_to_dict(label) for label in self.labels], indent=2))
        else:
            self._apply_raw()

    def _apply_raw(self) -> bool:
        try:
            parsed = labels_from_json(json.loads(self.raw.toPlainText() or "[]"))
        except (ValueError, LabelSpecError) as exc:
            QMessageBox.warning(self, "Labels", f"The JSON is not valid: {exc}")
            return False
        by_name = {label.name: label for label in self.labels}
        for new in parsed:  # keep ids of labels (and attributes) that keep their names
            old = by_name.get(new.name)
            if old is not None:
                new.id = old.id
                for spec in new.attributes:
                    match = old.attribute(spec.name)
                    spec.id = match.id if match else None
                for sub in new.sublabels:
                    match = old.sublabel(sub.name)
                    sub.id = match.id if match else None
        kept = {label.id for label in parsed if label.id is not None}
        self.deleted += [label.id for label in self.labels if label.id is not None and label.id not in kept]
        self.labels = parsed
        self._refresh_list()
        return True

    # ---------------------------------------------------------------- save

    def _save(self) -> None:
        if self.tabs.currentIndex() == 1 and not self._apply_raw():
            return
        self._commit_form()
        names = [label.name for label in self.labels]
        if any(not n for n in names) or len(set(names)) != len(names):
            QMessageBox.warning(self, "Labels", "Every label needs a unique, non-empty name.")
            return
        try:
            with self.project.transaction():
                for label_id in self.deleted:
                    self.project.delete_label(label_id)
                for label in self.labels:
                    if label.id is None:
                        self.project.add_label(label)
                    else:
                        self.project.update_label(label)
        except (ProjectError, LabelSpecError) as exc:
            QMessageBox.warning(self, "Labels", str(exc))
            return
        self.accept()
