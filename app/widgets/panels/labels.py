"""Labels of the project: pick the label new objects get; "Apply to selection" relabels the selection."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from app.editing.session import EditSession


def swatch(color: str) -> QPixmap:
    pixmap = QPixmap(14, 14)
    pixmap.fill(QColor(color or "#ffffff"))
    return pixmap


class LabelsPanel(QWidget):
    label_chosen = Signal(int)
    apply_requested = Signal(int)

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.list = QListWidget(self)
        self.apply = QPushButton("Apply to selection", self)
        self.apply.setToolTip("Give the selected objects this label")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.list)
        layout.addWidget(self.apply)
        self.list.currentItemChanged.connect(self._on_list_current_changed)
        self.apply.clicked.connect(self._on_apply_clicked)
        self.reload()

    def reload(self) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for label in self.session.labels:
            item = QListWidgetItem(swatch(label.color), f"{label.name}  ({label.type.value})")
            item.setData(Qt.ItemDataRole.UserRole, label.id)
            self.list.addItem(item)
        self.list.blockSignals(False)
        current = self.session.current_label_id
        self.set_current(current if current is not None else (self.session.labels.labels[0].id
                                                              if len(self.session.labels) else None))

    def set_current(self, label_id: int | None) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == label_id:
                self.list.setCurrentRow(row)
                return

    def _on_list_current_changed(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        label_id = int(item.data(Qt.ItemDataRole.UserRole))
        self.session.current_label_id = label_id
        self.label_chosen.emit(label_id)

    def _on_apply_clicked(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.apply_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))
