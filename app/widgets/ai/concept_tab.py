"""The "SAM 3 concept" tab of the AI tools panel: a concept prompt (label, text, example boxes drawn on
the canvas, threshold), the project's saved prompts, and concept tracking through a frame range.

- "Draw example boxes" activates :class:`app.tools.ai_concept.ConceptTool` (drag: like this, right or
  Shift drag: not like this); every change previews what SAM 3 finds; "Add found" (or N) adds them all
  as one undo step;
- saved prompts (:mod:`app.models.sam3.saved`) are listed; "Save" stores the current prompt under a
  name, "Use" loads one into the tool and runs it on the shown frame, "Delete" removes it;
- "Track to frame" follows every instance of the prompt from the shown frame to the target frame
  (forward or backward) in a worker, with progress and Cancel (within one frame); finished or
  cancelled, the frames done become tracks in one undo step.

One SAM 3 model serves the tool and the tracking (:class:`SharedSegmenter`: loaded once, calls
serialised), so it is never in memory twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.work import CancelToken, Outcome, ProgressFn
from app.models.sam3.prompting import CONCEPT_TYPES, ConceptPrompt, Found, concept_label, load_segmenter
from app.models.sam3.saved import delete_prompt, save_prompt, saved_prompts
from app.models.sam3.tokens import PromptError
from app.models.sam3.video import ConceptTracking, track_concept, tracks_command
from app.tools.ai_concept import ConceptTool
from app.widgets import workers
from app.widgets.ai.threshold_field import ThresholdField

TITLE = "SAM 3 concept"


class SharedSegmenter:
    """One :class:`~app.models.sam3.prompting.ConceptSegmenter`, loaded on first use, one call at a time."""

    def __init__(self, loader: Callable[[], Any]) -> None:
        self.loader = loader
        self.segmenter: Any = None
        self._lock = threading.Lock()

    def find(self, key: Hashable, rgb: np.ndarray, frame: int, prompt: ConceptPrompt, label_type: str) -> list[Found]:
        with self._lock:
            if self.segmenter is None:
                self.segmenter = self.loader()
            return self.segmenter.find(key, rgb, frame, prompt, label_type)


class ConceptTab(QWidget):
    tool_requested = Signal(str)
    prompts_changed = Signal()  # a prompt was saved or deleted (the Trackers tab lists them too)

    def __init__(self, project: Any, job_id: int, frames: Any, tool: ConceptTool, *, push: Callable[[Any], None],
                 frame: int = 0, frame_list: list[int] | None = None, segmenter: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.job_id, self.frames, self.tool, self.push = project, job_id, frames, tool, push
        self.frame = frame
        self.frame_list = sorted(frame_list or project.job(job_id).frame_list())
        self.segmenter = segmenter
        self._worker: Any = None
        self.last_outcome: Outcome[Any] | None = None
        self.label_combo = QComboBox()
        self.text = QLineEdit()
        self.text.setPlaceholderText("e.g. parked car (empty: example boxes only)")
        self.threshold = ThresholdField()
        self.threshold.set_value(0.5)
        self.draw_button = QPushButton("Draw example boxes")
        self.add_button = QPushButton("Add found")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.saved_list = QListWidget()
        self.name = QLineEdit()
        self.name.setPlaceholderText("name to save the prompt under")
        self.save_button, self.use_button, self.delete_button = (QPushButton(t) for t in ("Save", "Use", "Delete"))
        self.to_frame = QSpinBox()
        self.to_frame.setRange(self.frame_list[0], self.frame_list[-1])
        self.to_frame.setValue(self.frame_list[-1])
        self.track_button = QPushButton("Track to frame")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        form = QFormLayout()
        form.addRow("Label", self.label_combo)
        form.addRow("Text", self.text)
        form.addRow("Threshold", self.threshold)
        buttons = QHBoxLayout()
        buttons.addWidget(self.draw_button)
        buttons.addWidget(self.add_button)
        saved = QHBoxLayout()
        for button in (self.save_button, self.use_button, self.delete_button):
            saved.addWidget(button)
        track = QHBoxLayout()
        track.addWidget(self.to_frame)
        track.addWidget(self.track_button)
        track.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Saved prompts"))
        layout.addWidget(self.saved_list)
        layout.addWidget(self.name)
        layout.addLayout(saved)
        layout.addWidget(QLabel("Concept tracking from the shown frame"))
        layout.addLayout(track)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        self.draw_button.clicked.connect(self.draw)
        self.add_button.clicked.connect(self.add_found)
        self.save_button.clicked.connect(self.save_current)
        self.use_button.clicked.connect(self.use_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.track_button.clicked.connect(self.track)
        self.cancel_button.clicked.connect(self.cancel)
        self.text.editingFinished.connect(self._prompt_edited)
        self.label_combo.currentIndexChanged.connect(lambda _i: self._prompt_edited())
        tool.on_result = self._tool_answered
        self.set_labels()
        self.refresh_saved()

    # ------------------------------------------------------------------ prompt
    def set_labels(self) -> None:
        current = self.label_combo.currentText()
        self.label_combo.blockSignals(True)
        self.label_combo.clear()
        for label in self.project.labels():
            if str(getattr(label.type, "value", label.type)) in CONCEPT_TYPES:
                self.label_combo.addItem(label.name)
        self.label_combo.setCurrentIndex(max(0, self.label_combo.findText(current)))
        self.label_combo.blockSignals(False)

    def prompt(self) -> ConceptPrompt:
        exemplars = tuple(self.tool.exemplars)
        return ConceptPrompt(self.label_combo.currentText(), self.text.text().strip(), exemplars,
                             self.frame if exemplars else None, float(self.threshold.value() or 0.0),
                             self.name.text().strip())

    def _prompt_edited(self) -> None:
        self.tool.set_prompt(text=self.text.text().strip(), label_name=self.label_combo.currentText(),
                             threshold=float(self.threshold.value() or 0.0))

    def draw(self) -> None:
        self.tool.set_prompt(text=self.text.text().strip(), label_name=self.label_combo.currentText(),
                             threshold=float(self.threshold.value() or 0.0))
        self.tool_requested.emit(self.tool.tool_id)
        self.tool.refresh()

    def add_found(self) -> None:
        added = self.tool.accept()
        self.status.setText(f"Added {len(added)} shapes (one undo step)" if added else self.tool.last_error
                            or "Nothing found to add")

    def _tool_answered(self, tool: ConceptTool) -> None:
        self.status.setText(tool.last_error or f"{len(tool.found)} found; Add found (N) adds them")

    def on_frame_changed(self, frame: int) -> None:
        self.frame = frame

    # ------------------------------------------------------------------ saved prompts
    def refresh_saved(self) -> None:
        prompts, problems = saved_prompts(self.project)
        self.saved = prompts
        self.saved_list.clear()
        for prompt in prompts:
            boxes = f", {len(prompt.exemplars)} box(es) on frame {prompt.frame}" if prompt.exemplars else ""
            self.saved_list.addItem(f"{prompt.name}: {prompt.label} ← {prompt.text or '(boxes only)'}{boxes}")
        if problems:
            self.status.setText("; ".join(problems))

    def save_current(self) -> None:
        try:
            save_prompt(self.project, self.prompt())
        except PromptError as exc:
            self.status.setText(str(exc))
            return
        self.status.setText(f"Saved prompt {self.name.text().strip()!r}")
        self.refresh_saved()
        self.prompts_changed.emit()

    def selected(self) -> ConceptPrompt | None:
        row = self.saved_list.currentRow()
        return self.saved[row] if 0 <= row < len(self.saved) else None

    def use_selected(self) -> None:
        """Load the selected prompt (its boxes only on their own frame) and run it on the shown frame."""
        prompt = self.selected()
        if prompt is None:
            self.status.setText("choose a saved prompt first")
            return
        if not prompt.runs_on(self.frame):
            self.status.setText(f"{prompt.name!r} has example boxes on frame {prompt.frame} and no text: go to that "
                                "frame to use it")
            return
        self.label_combo.setCurrentText(prompt.label)
        self.text.setText(prompt.text)
        self.threshold.set_value(prompt.threshold)
        self.name.setText(prompt.name)
        self.tool_requested.emit(self.tool.tool_id)
        self.tool.set_prompt(text=prompt.text, label_name=prompt.label, threshold=prompt.threshold,
                             exemplars=list(prompt.exemplars) if prompt.frame == self.frame else [])

    def delete_selected(self) -> None:
        prompt = self.selected()
        if prompt is None:
            return
        delete_prompt(self.project, prompt.name)
        self.refresh_saved()
        self.prompts_changed.emit()

    # ------------------------------------------------------------------ tracking
    def is_running(self) -> bool:
        return self._worker is not None

    def track(self) -> None:
        if self._worker is not None:
            return
        prompt, target = self.prompt(), int(self.to_frame.value())
        try:
            prompt.check()
            label = concept_label(self.project.labels(), prompt.label)
            if not prompt.text:
                raise PromptError("tracking a concept through frames needs its text prompt")
        except PromptError as exc:
            self.status.setText(str(exc))
            return
        order = [f for f in self.frame_list if min(self.frame, target) <= f <= max(self.frame, target)]
        order = order if target >= self.frame else order[::-1]
        kind, frames, segmenter, task_key = str(label.type.value), self.frames, self.segmenter, (self.job_id, "concept")

        def work(token: CancelToken, progress: ProgressFn) -> ConceptTracking:
            return track_concept(frames, order, segmenter, prompt, kind, key=task_key, token=token, progress=progress)

        def finish(outcome: Outcome[Any]) -> None:
            self._worker = None
            self.last_outcome = outcome
            self.cancel_button.setEnabled(False)
            self.track_button.setEnabled(True)
            result = outcome.value
            if outcome.failed or result is None:
                self.status.setText(f"Concept tracking failed: {outcome.message}" if outcome.failed else "Cancelled")
                return
            command = tracks_command(self.project, self.job_id, label, result,
                                     text=f"SAM 3 tracks: {prompt.name or prompt.text}")
            if command is not None:
                self.push(command)
            self.status.setText(result.summary() + ("; one undo step" if command is not None else ""))

        self.track_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, len(order))
        self.progress.setValue(0)
        self.status.setText(f"Tracking {prompt.text!r} over {len(order)} frames…")
        self._worker = workers.start(work, on_outcome=finish, on_progress=self._progress)

    def _progress(self, progress: Any) -> None:
        self.progress.setValue(int(progress.done))
        if progress.message:
            self.status.setText(progress.message)

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()


def install(window: Any, panel: Any = None, *, spec: str = "sam3") -> ConceptTab:
    """The tab and its tool for a job window (the tool goes into ``window.tools``)."""
    shared = SharedSegmenter(lambda: load_segmenter(spec))
    tool = ConceptTool(lambda: shared)

    def push(command: Any) -> None:
        window.canvas.session.push(command)

    window.tools[tool.tool_id] = tool
    tab = ConceptTab(window.project, window.job_id, window.cache, tool, push=push, frame=window.frame,
                     frame_list=list(window.frames), segmenter=shared)
    tab.tool_requested.connect(window.set_tool)
    window.frame_changed.connect(tab.on_frame_changed)
    window.frame_changed.connect(lambda _frame: tool.frame_changed())
    window.destroyed.connect(lambda *_: tool.worker.shutdown() if tool.worker is not None else None)
    if panel is not None:
        panel.add_tab(tab, TITLE)
    else:
        window.add_side_panel(tab, TITLE)
    return tab
