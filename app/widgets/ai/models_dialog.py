"""Registered models and functions: add a checkpoint, register a function, verify, "From model"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.models.functions import parse_params
from app.models.manager import ModelError, ModelManager
from app.models.registry import Registration, Registry, RegistryError
from app.models.spec_labels import labels_from_spec
from app.widgets import workers
from app.widgets.ai.model_choice import Choice, available, load_choice


class ModelsDialog(QDialog):
    """Like CVAT's model list. ``project`` (optional) enables "From model"."""

    def __init__(self, registry: Registry, manager: ModelManager | None = None, project: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.registry, self.manager, self.project = registry, manager or ModelManager(), project
        self.list = QListWidget()
        self.info = QLabel(f"Checkpoints folder: {self.manager.root}")
        self.info.setWordWrap(True)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (("add", "Add checkpoint...", self.add_checkpoint),
                                ("register", "Register function...", self.register_function),
                                ("remove", "Remove", self.remove_selected),
                                ("verify", "Verify", self.verify_selected),
                                ("from_model", "From model", self.copy_labels_from_model)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[key] = button
        self.buttons["from_model"].setEnabled(project is not None)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.choices: list[Choice] = available(self.registry, self.manager)
        self.list.clear()
        for choice in self.choices:
            reg = choice.registration
            self.list.addItem(f"{choice.title}  [{reg.kind}]  {reg.target} {' '.join(reg.params)}".rstrip())

    def selected(self) -> Choice | None:
        row = self.list.currentRow()
        return self.choices[row] if 0 <= row < len(self.choices) else None

    def _error(self, message: str) -> None:
        self.info.setText(message)

    def add_checkpoint(self, path: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Add checkpoint", "", "Checkpoints (*.pt *.pth *.ckpt)")
        if not path:
            return
        try:
            added = self.manager.add(path)
        except ModelError as exc:
            return self._error(str(exc))
        self.info.setText(f"Added {added}")
        self.refresh()

    def register_function(self, path: str | None = None, name: str | None = None, params: str | None = None) -> None:
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Function file", "", "Python (*.py)")
            if not path:
                return
        if name is None:
            name, ok = QInputDialog.getText(self, "Register function", "Name:", text=Path(path).stem)
            if not ok:
                return
        if params is None:
            params, ok = QInputDialog.getText(self, "Register function", "Parameters (name=type:value ...):")
            if not ok:
                return
        items = params.split()
        try:
            parse_params(items)
            self.registry.add(Registration(name, "function-file", str(path), items))
        except (ValueError, RegistryError) as exc:
            return self._error(str(exc))
        self.refresh()

    def remove_selected(self) -> None:
        choice = self.selected()
        if choice is None or self.registry.get(choice.title) is None:
            return self._error("only registered entries can be removed here (delete checkpoint files in the folder)")
        self.registry.remove(choice.title)
        self.refresh()

    def verify_selected(self) -> None:
        choice = self.selected()
        if choice is not None and choice.registration.kind == "model":
            self.info.setText(self.manager.verify(choice.registration.target).message)

    def copy_labels_from_model(self) -> None:
        choice = self.selected()
        if choice is None or self.project is None:
            return
        self.buttons["from_model"].setEnabled(False)
        workers.start(lambda _token, _progress: load_choice(choice), on_finished=self._add_labels,
                      on_failed=lambda message, _t: self._error(message))

    def _add_labels(self, function: Any) -> None:
        self.buttons["from_model"].setEnabled(True)
        new = labels_from_spec(function.spec.labels, list(self.project.labels()))
        with self.project.transaction():
            for label in new:
                self.project.add_label(label)
        self.info.setText(f"Added {len(new)} labels to the project")
        if self.isVisible() and not new:
            QMessageBox.information(self, "From model", "The project already has all of this model's labels.")
