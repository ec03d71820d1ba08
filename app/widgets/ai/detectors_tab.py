"""The Detectors tab of the AI tools panel: run a model on the current frame."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.editing.stack import UndoStack
from app.models.manager import ModelManager, models_changed
from app.models.registry import Registry, RegistryError
from app.models.runner import RunOptions, RunResult, plan_job
from app.widgets.ai.model_choice import Choice, available, safe_registry
from app.widgets.ai.run_control import RunHandle, RunRequest
from app.widgets.ai.sam3_prompts import PromptsDialog, is_sam3, loader
from app.widgets.ai.threshold_field import ThresholdField
from app.widgets.event_bridge import connect_event


class DetectorsTab(QWidget):
    """Choose a registered model/function and annotate the frame shown in the canvas.

    The main window calls :meth:`set_context` whenever the job or frame changes."""

    def __init__(self, *, registry: Registry | None = None, manager: ModelManager | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry if registry is not None else safe_registry()
        self.manager = manager or ModelManager()
        self.project: Any = None
        self.job_id: int | None = None
        self.frame: int | None = None
        self.undo_stack: UndoStack | None = None
        self.functions: dict[Any, Any] = {}
        self.prompts: dict[str, str] = {}  # SAM 3: label name -> text prompt, where edited
        self.handle: RunHandle | None = None
        self.status = QLabel("")
        self.status.setWordWrap(True)  # the hint names a folder: it must not widen the AI tools dock
        self.model_combo = QComboBox()
        self.threshold = ThresholdField()
        self.conv_mask = QCheckBox("Masks as polygons")
        self.clear_existing = QCheckBox("Replace this frame's annotations")
        self.allow_unmatched = QCheckBox("Ignore model labels not in the project")
        self.allow_unmatched.setChecked(True)
        self.run_button = QPushButton("Annotate frame")
        self.run_button.clicked.connect(self.run_current_frame)
        self.prompts_button = QPushButton("Prompts...")
        self.prompts_button.clicked.connect(self.edit_prompts)
        self.model_combo.currentIndexChanged.connect(lambda _i: self._update_enabled())
        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        form.addRow(self.prompts_button)
        form.addRow("Threshold", self.threshold)
        for box in (self.conv_mask, self.clear_existing, self.allow_unmatched):
            form.addRow(box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.run_button)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.refresh_models()
        connect_event(self, models_changed, lambda _root: self.refresh_models())

    def refresh_models(self) -> None:
        """Re-read the registry and the models folder, keeping the chosen model where it still exists."""
        current = self.model_combo.currentText()
        if self.registry is not None:
            try:
                self.registry.reload()
            except RegistryError:
                pass
        self.choices: list[Choice] = available(self.registry, self.manager)
        self.model_combo.clear()
        for choice in self.choices:
            self.model_combo.addItem(choice.title)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findText(current)))
        self.status.setText("")
        if not self.choices:
            self.model_combo.setPlaceholderText("no models yet")
            self.status.setText(f"No detectors yet. Drop a YOLO or torchvision checkpoint into {self.manager.root} "
                                "or register a CVAT function in AI ▸ Models…")
        self._update_enabled()

    def set_context(self, project: Any, job_id: int | None, frame: int | None,
                    undo_stack: UndoStack | None = None) -> None:
        self.project, self.job_id, self.frame, self.undo_stack = project, job_id, frame, undo_stack
        self._update_enabled()

    def _update_enabled(self) -> None:
        ready = bool(self.choices) and self.project is not None and self.job_id is not None and self.frame is not None
        self.run_button.setEnabled(ready and self.handle is None)
        self.prompts_button.setVisible(is_sam3(self.current_choice()))
        self.prompts_button.setEnabled(self.project is not None)

    def current_choice(self) -> Choice | None:
        index = self.model_combo.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def edit_prompts(self) -> None:
        """SAM 3: edit the text prompt of each label (label name by default)."""
        if self.project is None:
            return
        dialog = PromptsDialog(list(self.project.labels()), self.prompts, self)
        if dialog.exec() == PromptsDialog.DialogCode.Accepted:
            self.prompts = dialog.prompts()

    def run_current_frame(self) -> None:
        index = self.model_combo.currentIndex()
        if self.handle is not None or not 0 <= index < len(self.choices) or self.job_id is None or self.frame is None:
            return
        choice = self.choices[index]
        options = RunOptions(conf_threshold=self.threshold.value(), conv_mask_to_poly=self.conv_mask.isChecked(),
                             clear_existing=self.clear_existing.isChecked(),
                             allow_unmatched_labels=self.allow_unmatched.isChecked(), batch_frames=1)
        job = self.project.job(self.job_id)
        load = loader(choice, list(self.project.labels()), self.prompts, self.functions)
        request = RunRequest(self.project, job.task_id, plan_job(self.project, self.job_id, [self.frame]),
                             load, options, self.undo_stack)
        self.status.setText(f"Running {choice.title}...")
        self.handle = RunHandle(request, lambda _p: None, self._done, self._failed)
        self._update_enabled()

    def _done(self, result: RunResult) -> None:
        self.handle = None
        self.status.setText(f"{result.shapes} shapes, {result.tags} tags ({result.detect_seconds * 1000:.0f} ms)")
        self._update_enabled()

    def _failed(self, message: str) -> None:
        self.handle = None
        self.status.setText(message)
        self._update_enabled()
