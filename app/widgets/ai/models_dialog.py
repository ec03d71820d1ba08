"""The Models list: every registered function/model, checkpoint file and offline Hugging Face model.
Add a checkpoint (optionally trusted, or placed in the Hugging Face cache), register a function,
remove, verify, "From model". The list follows the models folder (``models_changed``)."""

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

from app.models import hf_cache
from app.models.functions import parse_params
from app.models.inventory import ModelEntry, inventory
from app.models.manager import ModelError, ModelManager, UnsafeModelError, models_changed
from app.models.registry import Registration, Registry, RegistryError
from app.models.spec_labels import labels_from_spec
from app.widgets import workers
from app.widgets.ai.model_choice import Choice, load_choice
from app.widgets.event_bridge import connect_event


def sam3_file(path: Path) -> bool:
    """A SAM 3 safetensors checkpoint (header check only: cheap enough for the GUI thread)."""
    from app.models.sam3.checkpoint import check_sam3

    if path.suffix.lower() != ".safetensors":
        return False
    try:
        check_sam3(path)
    except ModelError:
        return False
    return True


CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.ckpt *.bin *.safetensors);;All files (*)"


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
                                ("add_hf", "Add for Hugging Face id...", self.add_hf_checkpoint),
                                ("register", "Register function...", self.register_function),
                                ("remove", "Remove", self.remove_selected),
                                ("verify", "Verify", self.verify_selected),
                                ("from_model", "From model", self.copy_labels_from_model)):
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            buttons.addWidget(button)
            self.buttons[key] = button
        self.buttons["from_model"].setEnabled(project is not None)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addWidget(self.info)
        layout.addLayout(buttons)
        self.refresh()
        connect_event(self, models_changed, lambda _root: self.refresh())

    def refresh(self) -> None:
        self.entries: list[ModelEntry] = inventory(self.registry, self.manager)
        self.list.clear()
        for entry in self.entries:
            self.list.addItem(entry.describe())

    def titles(self) -> list[str]:
        return [entry.title for entry in self.entries]

    def selected(self) -> ModelEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def select(self, title: str) -> None:
        self.list.setCurrentRow(self.titles().index(title))

    def _error(self, message: str) -> None:
        self.info.setText(message)

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------------------ adding
    def add_checkpoint(self, path: str | None = None, *, trust: bool | None = None) -> None:
        """Copy a checkpoint into the models folder. A file whose pickle can run code is added but
        refused at load time unless trusted: ``trust`` None asks the user."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Add checkpoint", "", CHECKPOINT_FILTER)
        if not path:
            return
        if sam3_file(Path(path)):
            return self.add_sam3(path)
        try:
            added = self.manager.add(path)
            self.refresh()
            self._check_trust(added, trust)
        except ModelError as exc:
            return self._error(str(exc))

    def add_sam3(self, path: str, *, accept: bool | None = None) -> None:
        """Import a SAM 3 checkpoint: the one-time licence question (``accept`` None asks), then the
        SHA-256 and the copy in a background job."""
        from app.models.sam3.checkpoint import import_checkpoint
        from app.models.sam3.licence import LICENCE_NAME, LicenceStore

        try:
            if not LicenceStore(self.manager.root).accepted(LICENCE_NAME):
                if accept is None:
                    accept = self._ask(f"{LICENCE_NAME}", f"SAM 3's weights are licensed under Meta's "
                                       f"{LICENCE_NAME}.\n\nDo you accept the {LICENCE_NAME}? Fieldmark records "
                                       "your acceptance once, with this file's SHA-256.")
                if not accept:
                    return self._error(f"Not added: SAM 3 needs the {LICENCE_NAME} accepted")
        except ModelError as exc:
            return self._error(str(exc))
        self.info.setText(f"Adding {path} (checksum and copy)...")
        workers.start(lambda _token, _progress: import_checkpoint(path, accept_licence=bool(accept),
                                                                  manager=self.manager),
                      on_finished=self._sam3_added, on_failed=lambda message, _t: self._error(message))

    def _sam3_added(self, added: Path) -> None:
        from app.models.sam3.licence import LICENCE_NAME

        self.refresh()
        self.info.setText(f"Added SAM 3 checkpoint {added}; {LICENCE_NAME} accepted, SHA-256 recorded")

    def add_hf_checkpoint(self, path: str | None = None, repo_id: str | None = None, *,
                          trust: bool | None = None) -> None:
        """Place a checkpoint in the offline Hugging Face cache under a model id (``models add --hf-id``)."""
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Checkpoint for a Hugging Face model id", "",
                                                  CHECKPOINT_FILTER)
            if not path:
                return
        if repo_id is None:
            repo_id, ok = QInputDialog.getText(self, "Hugging Face model id", "Model id (ORG/NAME):",
                                               text="facebook/sam2.1-hiera-tiny")
            if not ok:
                return
        try:
            hf_cache.check_repo_id(repo_id)
            if not self._check_trust(Path(path), trust, added=False):
                return
            placed = hf_cache.place(self.manager.root, path, repo_id)
        except (ModelError, ValueError) as exc:
            return self._error(str(exc))
        self.manager.notify()
        self.refresh()
        self.info.setText(f"Placed {repo_id} ({', '.join(placed.files)}): functions loading it by id find it offline")

    def _check_trust(self, path: Path, trust: bool | None, *, added: bool = True) -> bool:
        try:
            self.manager.ensure_safe(path)
            self.info.setText(f"Added {path}" if added else "")
            return True
        except UnsafeModelError as exc:
            if trust is None:
                trust = self._ask("Trust this checkpoint?", f"{exc}\n\nTrust this file and allow loading it?")
            if trust:
                self.manager.trust(path)
                self.info.setText(f"Added and trusted {path}" if added else f"Trusted {path}")
                return True
            self.info.setText(str(exc) if not added else f"Added {path}, but it will be refused until trusted: {exc}")
            return False

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

    # ------------------------------------------------------------------------------ other actions
    def remove_selected(self, *, confirm: bool = True) -> None:
        """Remove a registration (files kept), a checkpoint file or a Hugging Face cache entry."""
        entry = self.selected()
        if entry is None:
            return
        if entry.kind == "registered":
            self.registry.remove(entry.title)
            return self.refresh()
        if confirm and not self._ask("Remove model", f"Delete {entry.target} from the models folder?"):
            return
        try:
            if entry.kind == "huggingface":
                hf_cache.remove(self.manager.root, entry.title)
                self.manager.notify()
            else:
                self.manager.remove(entry.path.name)
        except (ModelError, OSError) as exc:
            return self._error(str(exc))
        self.refresh()
        self.info.setText(f"Removed {entry.title}")

    def verify_selected(self) -> None:
        entry = self.selected()
        if entry is not None and entry.path is not None and entry.kind == "checkpoint":
            self.info.setText(self.manager.verify(str(entry.path)).message)

    def copy_labels_from_model(self) -> None:
        entry = self.selected()
        if entry is None or self.project is None:
            return
        if entry.registration is None:
            return self._error(f"{entry.title} is not a detector; labels come from detectors and functions")
        choice = Choice(entry.title, entry.registration)
        self.buttons["from_model"].setEnabled(False)
        workers.start(lambda _token, _progress: load_choice(choice), on_finished=self._add_labels,
                      on_failed=lambda message, _t: self._failed(message))

    def _failed(self, message: str) -> None:
        self.buttons["from_model"].setEnabled(True)
        self._error(message)

    def _add_labels(self, function: Any) -> None:
        self.buttons["from_model"].setEnabled(True)
        new = labels_from_spec(function.spec.labels, list(self.project.labels()))
        with self.project.transaction():
            for label in new:
                self.project.add_label(label)
        self.info.setText(f"Added {len(new)} labels to the project")
        if self.isVisible() and not new:
            QMessageBox.information(self, "From model", "The project already has all of this model's labels.")
