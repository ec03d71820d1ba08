"""Automatic annotation of a job or a whole task, like CVAT's "Automatic annotation" dialog.

Runs are recorded (:mod:`app.models.run_log`): when the task has an unfinished run (cancelled, stopped
by the frame timeout, or the app was killed) the dialog names it and offers Continue, which picks that
run's function and options and skips its finished frames; Annotate then refuses to annotate those
frames a second time unless "Clean old annotations" is checked."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.editing.stack import UndoStack
from app.models.label_matching import LabelMapping
from app.models.manager import ModelManager
from app.models.recipe import FunctionRecipe
from app.models.registry import Registry
from app.models.run_log import RunConflict, key_options, prepare_run, registration_identity, run_key, unfinished_run
from app.models.runner import Progress, RunOptions, RunResult, plan_job, plan_task
from app.widgets import workers
from app.widgets.ai.label_matching_dialog import LabelMatchingDialog
from app.widgets.ai.model_choice import Choice, available, safe_registry
from app.widgets.ai.run_control import RunHandle, RunRequest
from app.widgets.ai.run_place import RunPlaceField
from app.widgets.ai.sam3_prompts import PromptsDialog, is_sam3, loader
from app.widgets.ai.threshold_field import ThresholdField


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA --"
    seconds = int(round(seconds))
    return f"ETA {seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class AutoAnnotationDialog(QDialog):
    """Pick a model, scope and options; run in the background with progress, ETA and cancel."""

    def __init__(self, project: Any, task_id: int, job_id: int | None = None, *, undo_stack: UndoStack | None = None,
                 registry: Registry | None = None, manager: ModelManager | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Automatic annotation")
        self.project, self.task_id, self.job_id, self.undo_stack = project, task_id, job_id, undo_stack
        self.registry = registry if registry is not None else safe_registry()
        self.choices: list[Choice] = available(self.registry, manager or ModelManager())
        self.functions: dict[Any, Any] = {}
        self.prompts: dict[str, str] = {}  # SAM 3: label name -> text prompt (the Detectors tab's, if given)
        self.mapping: LabelMapping | None = None
        self.allow_unmatched = False
        self.handle: RunHandle | None = None
        self.last_result: RunResult | None = None
        self.last_error = ""
        self._build()

    def _build(self) -> None:
        self.model_combo = QComboBox()
        for choice in self.choices:
            self.model_combo.addItem(choice.title)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.job_scope = QRadioButton("Current job")
        self.task_scope = QRadioButton("Whole task")
        self.job_scope.setEnabled(self.job_id is not None)
        (self.job_scope if self.job_id is not None else self.task_scope).setChecked(True)
        self.threshold = ThresholdField()
        self.conv_mask = QCheckBox("Return masks as polygons")
        self.clear_existing = QCheckBox("Clean old annotations")
        self.frame_timeout = QDoubleSpinBox()
        self.frame_timeout.setRange(0.0, 3600.0)
        self.frame_timeout.setDecimals(1)
        self.frame_timeout.setSuffix(" s")
        self.frame_timeout.setSpecialValueText("no limit")
        self.frame_timeout.setToolTip("Stop the run when the model takes longer than this on one frame "
                                      "(finished frames are kept)")
        self.unfinished_label = QLabel()
        self.unfinished_label.setWordWrap(True)
        self.continue_button = QPushButton("Continue")
        self.continue_button.clicked.connect(self.continue_run)
        self.prompts_button = QPushButton("SAM 3 prompts...")
        self.prompts_button.clicked.connect(self.edit_prompts)
        self.match_button = QPushButton("Match labels...")
        self.match_button.clicked.connect(self.edit_mapping)
        self.mapping_label = QLabel("Labels matched by name")
        self.run_place = RunPlaceField()
        self.progress = QProgressBar()
        self.eta = QLabel(format_eta(None))
        self.run_button = QPushButton("Annotate")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        self.run_button.setEnabled(bool(self.choices))
        form = QFormLayout()
        form.addRow("Model", self.model_combo)
        scope = QHBoxLayout()
        scope.addWidget(self.job_scope)
        scope.addWidget(self.task_scope)
        form.addRow("Scope", scope)
        form.addRow("Threshold", self.threshold)
        form.addRow(self.conv_mask)
        form.addRow(self.clear_existing)
        form.addRow("Frame timeout", self.frame_timeout)
        form.addRow(self.unfinished_label, self.continue_button)
        form.addRow(self.match_button, self.mapping_label)
        form.addRow(self.prompts_button)
        self.prompts_button.setVisible(is_sam3(self.current_choice()))
        form.addRow("Run on", self.run_place)
        buttons = QHBoxLayout()
        buttons.addWidget(self.eta)
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)
        self.refresh_unfinished()

    # ------------------------------------------------------------------------------ options
    def current_choice(self) -> Choice | None:
        index = self.model_combo.currentIndex()
        return self.choices[index] if 0 <= index < len(self.choices) else None

    def _model_changed(self) -> None:
        self.mapping = None
        self.mapping_label.setText("Labels matched by name")
        self.prompts_button.setVisible(is_sam3(self.current_choice()))

    def edit_prompts(self) -> None:
        """SAM 3: edit the text prompt of each label (label name by default)."""
        dialog = PromptsDialog(list(self.project.labels()), self.prompts, self)
        if dialog.exec() == PromptsDialog.DialogCode.Accepted:
            self.prompts = dialog.prompts()

    def options(self) -> RunOptions:
        return RunOptions(conf_threshold=self.threshold.value(), conv_mask_to_poly=self.conv_mask.isChecked(),
                          clear_existing=self.clear_existing.isChecked(), allow_unmatched_labels=self.allow_unmatched,
                          mapping=self.mapping, frame_timeout=self.frame_timeout.value() or None)

    def _loader(self, choice: Choice) -> Any:
        """The function's loader (called in worker threads; SAM 3 gets the task labels and prompts)."""
        return loader(choice, list(self.project.labels()), self.prompts, self.functions)

    def edit_mapping(self) -> None:
        choice = self.current_choice()
        if choice is None:
            return
        self.match_button.setEnabled(False)
        load = self._loader(choice)
        workers.start(lambda _token, _progress: load(), on_finished=self._open_mapping,
                      on_failed=lambda message, _t: self._show_error(message))

    def _open_mapping(self, function: Any) -> None:
        self.match_button.setEnabled(True)
        dialog = LabelMatchingDialog(function.spec.labels, list(self.project.labels()), self.mapping,
                                     self.allow_unmatched, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_mapping(dialog.mapping(), dialog.allow_unmatched())

    def set_mapping(self, mapping: LabelMapping, allow_unmatched: bool) -> None:
        self.mapping, self.allow_unmatched = mapping, allow_unmatched
        self.mapping_label.setText(f"{len(mapping.labels)} model labels mapped")

    # ------------------------------------------------------------------------------ unfinished runs
    def refresh_unfinished(self) -> None:
        run = unfinished_run(self.project, self.task_id)
        self.unfinished_label.setText("" if run is None else f"Unfinished {run.summary()}")
        self.unfinished_label.setVisible(run is not None)
        self.continue_button.setVisible(run is not None)
        self.continue_button.setEnabled(run is not None and self.handle is None)

    def continue_run(self) -> None:
        """Pick the unfinished run's function and options and run the frames it did not finish."""
        run = unfinished_run(self.project, self.task_id)
        if run is None or self.handle is not None:
            return
        recorded = key_options(run.key)
        index = next((i for i, c in enumerate(self.choices)
                      if registration_identity(c.registration) == (recorded["function"], recorded["params"])), None)
        if index is None:
            self._show_error(f"cannot continue run #{run.id}: its function ({run.description}) with these "
                             "parameters is not registered any more")
            return
        self.model_combo.setCurrentIndex(index)
        self.threshold.set_value(recorded["conf_threshold"])
        self.conv_mask.setChecked(bool(recorded["conv_mask_to_poly"]))
        self.clear_existing.setChecked(False)
        self.allow_unmatched = bool(recorded["allow_unmatched_labels"])
        if recorded["mapping"] is not None:
            self.set_mapping(LabelMapping.from_cvat(recorded["mapping"]), self.allow_unmatched)
        self.start(resume=True)

    # ------------------------------------------------------------------------------ running
    def start(self, resume: bool = False) -> None:
        choice = self.current_choice()
        if choice is None or self.handle is not None:
            return
        try:
            ray = self.run_place.settings()
        except ValueError as exc:
            self._show_error(str(exc))
            return
        if self.job_scope.isChecked() and self.job_id is not None:
            items = plan_job(self.project, self.job_id)
        else:
            items = plan_task(self.project, self.task_id)
        options = self.options()
        identity, params = registration_identity(choice.registration)
        try:
            run = prepare_run(self.project, self.task_id, items, run_key(identity, params, options), choice.title,
                              resume=resume, clear_existing=options.clear_existing)
        except RunConflict as exc:
            self._show_error(str(exc))
            return
        items = run.items
        self.progress.setRange(0, max(len(items), 1))
        self.progress.setValue(0)
        self.last_error = ""
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        if ray is not None and is_sam3(choice):
            self._show_error("SAM 3 runs on this computer only (it needs the task's labels as prompts)")
            self.run_button.setEnabled(True)
            self.cancel_button.setEnabled(False)
            return
        recipe = FunctionRecipe.from_registration(choice.registration)
        request = RunRequest(self.project, self.task_id, items, self._loader(choice), options,
                             self.undo_stack, run, ray=ray, recipe=recipe)
        self.handle = RunHandle(request, self._on_progress, self._on_done, self._on_failed)
        self.refresh_unfinished()

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)

    def _on_progress(self, progress: Progress) -> None:
        self.progress.setValue(int(progress.done))
        self.eta.setText(format_eta(progress.eta))

    def _on_done(self, result: RunResult) -> None:
        self.handle, self.last_result = None, result
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.eta.setText(result.summary())
        self.refresh_unfinished()
        if result.message and self.isVisible():
            QMessageBox.warning(self, "Automatic annotation", result.summary())

    def _on_failed(self, message: str) -> None:
        self.handle = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.refresh_unfinished()
        self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.last_error = message
        self.match_button.setEnabled(True)
        self.eta.setText("failed")
        if self.isVisible():
            QMessageBox.warning(self, "Automatic annotation", message)

    def is_running(self) -> bool:
        return self.handle is not None
