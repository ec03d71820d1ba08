"""The Trackers tab of the AI tools panel (CVAT's Trackers tab), plus "track to frame N".

- choose a tracker (TrackerMIL, SAM 2 sizes, registered CVAT tracking functions); it is built in a
  worker (SAM 2 loads its weights there);
- "Track" activates :class:`app.tools.tracking.TrackingTool`: drag a rectangle to create a tracked
  track, click objects to start/stop tracking them; "Track selected" marks the canvas selection;
- every step to the next frame (F) tracks the marked objects onto it in a worker and writes their
  keyframes (one undo step per frame); steps taken while one runs are queued;
- the list shows each tracked object with its tracker, and its check box turns tracking off and on;
  the canvas shows the tracker's name at each tracked object;
- "Track to frame" follows the selected objects (or every object the tracker can follow) from the
  current frame to the target frame, forward or backward, with progress and Cancel. A cancelled run
  keeps the frames already tracked, for every object alike, as one undo step.
- "SAM 3 concept tracking" follows every instance of a concept (a saved prompt, or a label and its
  text) from the current frame to the target frame, forward or backward, with the same progress,
  Cancel and partial result (the frames done become tracks, one undo step). It runs
  :func:`app.models.sam3.video.track_concept` (per-frame detection + box association, bounded memory)
  with the SAM 3 model the "SAM 3 concept" tab shares (:meth:`TrackersTab.set_concept_segmenter`).

Integration: :func:`install` puts the tab into a :class:`~app.widgets.job_window.JobWindow` (and into
an :class:`~app.widgets.ai.panel.AIToolsPanel` when given one).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGraphicsItem,
    QGraphicsSimpleTextItem,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.work import CancelToken, Outcome, Progress, ProgressFn
from app.editing.session import SessionChange
from app.models.manager import models_changed
from app.models.sam3.prompting import CONCEPT_TYPES, ConceptPrompt, concept_label, load_segmenter
from app.models.sam3.saved import saved_prompts
from app.models.sam3.tokens import PromptError
from app.models.sam3.video import ConceptTracking, track_concept, tracks_command
from app.models.trackers.base import Tracker, TrackerError
from app.models.trackers.choices import TrackerChoice, builtin_choices, create_tracker, function_choices
from app.models.trackers.interactive import InteractiveTracking
from app.models.trackers.keyframes import build_command
from app.models.trackers.plan import PlanError, plan_tracking
from app.models.trackers.runner import TrackingOutcome, run_plan
from app.tools.host import ToolHost
from app.tools.tracking import TrackingTool, captions
from app.widgets import workers
from app.widgets.ai.concept_tab import SharedSegmenter
from app.widgets.ai.threshold_field import ThresholdField
from app.widgets.event_bridge import connect_event

if TYPE_CHECKING:
    from app.editing.commands import Command
    from app.editing.stack import UndoStack
    from app.storage.store import Project

log = logging.getLogger(__name__)
RESOLUTIONS = [("Model default", 0), ("512 px (faster)", 512), ("256 px (fastest, coarse)", 256)]
TITLE = "Trackers"
LABEL_AND_TEXT = "Label and text below"


class TrackerCaptions:
    """Tracker names drawn on the canvas next to tracked objects (scene items in image coordinates)."""

    def __init__(self, canvas: Any, session: InteractiveTracking) -> None:
        self.canvas = canvas
        self.session = session
        self.items: list[QGraphicsSimpleTextItem] = []

    def texts(self) -> list[str]:
        return [item.text() for item in self.items]

    def refresh(self) -> None:
        scene = self.canvas.scene()
        for item in self.items:
            scene.removeItem(item)
        self.items = []
        for x, y, text in captions(self.session, self.canvas.session.objects()):
            item = QGraphicsSimpleTextItem(text)
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            item.setBrush(Qt.GlobalColor.yellow)
            item.setPos(x, y)
            item.setZValue(10)
            scene.addItem(item)
            self.items.append(item)


class TrackersTab(QWidget):
    """Parameters
    ----------
    project, job_id, undo_stack:
        Where edits go (through the canvas's editing session when a canvas is given, so it updates).
    frames:
        A :class:`~app.media.cache.FrameCache` (or frame source) of the job's task.
    canvas:
        The job window's canvas (captions) and through it the job's editing session (selection,
        current label). Optional (tests, headless use).
    choices, factory:
        Trackers offered and ``factory(key, image_size) -> Tracker`` (default: :func:`create_tracker`).
    concept_segmenter:
        What runs SAM 3 concept prompts (``find(key, rgb, frame, prompt, label_type)``, called on a
        worker thread): the concept tab's shared model in a job window; default: the imported
        checkpoint, loaded on first use.
    """

    tool_requested = Signal(object)  # the TrackingTool to activate on the canvas
    busy_changed = Signal(bool)
    tracking_changed = Signal()  # objects marked, unmarked or switched on/off

    def __init__(self, project: Project, job_id: int, undo_stack: UndoStack, frames: Any, *,
                 canvas: Any = None, frame: int | None = None, choices: list[TrackerChoice] | None = None,
                 factory: Callable[[str, int | None], Tracker] | None = None, concept_segmenter: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.job_id, self.undo_stack = project, job_id, undo_stack
        self.frames, self.canvas = frames, canvas
        self.job_frames = project.job(job_id).frame_list()
        if frame is None:
            frame = canvas.session.frame if canvas is not None else self.job_frames[0]
        self.frame = frame
        self.choices = choices if choices is not None else builtin_choices() + function_choices()
        self.factory = factory or (lambda key, size: create_tracker(key, image_size=size or None))
        self.session = InteractiveTracking()
        self.tracker: Tracker | None = None
        self._trackers: dict[tuple[str, int], Tracker] = {}
        self.tool = TrackingTool(self.session, lambda: self.tracker)
        self.tool.marked.connect(lambda _ids: self.refresh())
        self.captions = TrackerCaptions(canvas, self.session) if canvas is not None else None
        self._pending: list[tuple[int, int]] = []
        self._worker: workers.Worker | None = None
        self.concept_segmenter = concept_segmenter or SharedSegmenter(lambda: load_segmenter("sam3"))
        self.concept_prompts: list[ConceptPrompt] = []
        self.last_outcome: Outcome[Any] | None = None
        self._build()
        if canvas is not None:
            canvas.session.changed.connect(self._on_edit_session)
        self._choice_changed()
        connect_event(self, models_changed, lambda _root: self.models_folder_changed())

    def models_folder_changed(self) -> None:
        """A checkpoint was added or removed: retry the chosen tracker if it could not be loaded."""
        if self.tracker is None and not self.busy:
            self._choice_changed()

    def _on_edit_session(self, change: SessionChange) -> None:
        if change is SessionChange.OBJECTS:
            self.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.tracker_combo = QComboBox()
        for choice in self.choices:
            self.tracker_combo.addItem(choice.title, choice.key)
        self.resolution_combo = QComboBox()
        for text, size in RESOLUTIONS:
            self.resolution_combo.addItem(text, size)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.track_button = QPushButton("Track (draw or click objects)")
        self.track_button.clicked.connect(lambda: self.tool_requested.emit(self.tool))
        self.selected_button = QPushButton("Track selected")
        self.selected_button.clicked.connect(self.track_selected)
        self.objects_list = QListWidget()
        self.objects_list.itemChanged.connect(self._item_changed)
        self.convert_check = QCheckBox("Convert shapes to tracks")
        self.convert_check.setChecked(True)
        self.target_spin = QSpinBox()
        self.target_spin.setRange(min(self.job_frames), max(self.job_frames))
        self.target_spin.setValue(max(self.job_frames))
        self.run_button = QPushButton("Track to frame")
        self.run_button.clicked.connect(lambda: self.track_to_frame(self.target_spin.value()))
        self.progress = QProgressBar()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.concept_box = self._build_concept()

        form = QFormLayout()
        form.addRow("Tracker", self.tracker_combo)
        form.addRow("Resolution", self.resolution_combo)
        target = QHBoxLayout()
        target.addWidget(self.target_spin, 1)
        target.addWidget(self.run_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.description)
        buttons = QHBoxLayout()
        buttons.addWidget(self.track_button)
        buttons.addWidget(self.selected_button)
        layout.addLayout(buttons)
        layout.addWidget(QLabel("Tracked objects (uncheck to stop tracking)"))
        layout.addWidget(self.objects_list, 1)
        layout.addWidget(self.convert_check)
        layout.addLayout(target)
        layout.addWidget(self.concept_box)
        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.cancel_button)
        layout.addLayout(progress)
        layout.addWidget(self.message)
        self.tracker_combo.currentIndexChanged.connect(self._choice_changed)
        self.resolution_combo.currentIndexChanged.connect(self._choice_changed)

    def _build_concept(self) -> QGroupBox:
        box = QGroupBox("SAM 3 concept tracking")  # short: the AI panel must not widen (tests/gui/test_job_layout.py)
        box.setToolTip("Every instance of a concept becomes a track, from the current frame to the frame chosen "
                       "above (a frame before it: backward)")
        self.concept_combo = QComboBox()
        self.concept_label = QComboBox()
        self.concept_text = QLineEdit()
        self.concept_text.setPlaceholderText("e.g. parked car")
        self.concept_threshold = ThresholdField()
        self.concept_threshold.set_value(0.5)
        self.concept_button = QPushButton("Track concept to frame")
        self.concept_button.clicked.connect(lambda: self.track_concept_to_frame(self.target_spin.value()))
        self.concept_combo.currentIndexChanged.connect(self._concept_choice_changed)
        form = QFormLayout(box)
        form.addRow("Prompt", self.concept_combo)
        form.addRow("Label", self.concept_label)
        form.addRow("Text", self.concept_text)
        form.addRow("Threshold", self.concept_threshold)
        form.addRow(self.concept_button)
        self.refresh_concept_labels()
        self.refresh_concept_prompts()
        return box

    # ------------------------------------------------------------------ SAM 3 concept tracking
    def set_concept_segmenter(self, segmenter: Any) -> None:
        """Share a model (the concept tab's) so SAM 3 is never in memory twice."""
        self.concept_segmenter = segmenter

    def refresh_concept_labels(self) -> None:
        current = self.concept_label.currentText()
        self.concept_label.clear()
        for label in self.project.labels():
            if str(getattr(label.type, "value", label.type)) in CONCEPT_TYPES:
                self.concept_label.addItem(label.name)
        self.concept_label.setCurrentIndex(max(0, self.concept_label.findText(current)))

    def refresh_concept_prompts(self) -> None:
        """Re-read the project's saved prompts (call after one is saved or deleted)."""
        current = self.concept_combo.currentText()
        prompts, problems = saved_prompts(self.project)
        self.concept_prompts = prompts
        self.concept_combo.blockSignals(True)
        self.concept_combo.clear()
        self.concept_combo.addItem(LABEL_AND_TEXT)
        for prompt in prompts:
            self.concept_combo.addItem(prompt.name)
        self.concept_combo.setCurrentIndex(max(0, self.concept_combo.findText(current)))
        self.concept_combo.blockSignals(False)
        self._concept_choice_changed()
        if problems:
            self.message.setText("; ".join(problems))

    def _concept_choice_changed(self, *_args: object) -> None:
        manual = self.concept_combo.currentIndex() <= 0
        for widget in (self.concept_label, self.concept_text, self.concept_threshold):
            widget.setEnabled(manual)

    def concept_prompt(self) -> ConceptPrompt:
        """The chosen saved prompt, or the label and text typed here (:class:`PromptError` when unusable)."""
        index = self.concept_combo.currentIndex()
        if index > 0:
            return self.concept_prompts[index - 1]
        text = self.concept_text.text().strip()
        if not text:
            raise PromptError("type the text of the concept to track (or choose a saved prompt)")
        return ConceptPrompt(self.concept_label.currentText(), text,
                             threshold=float(self.concept_threshold.value() or 0.0))

    def track_concept_to_frame(self, target: int) -> bool:
        """Follow every instance of the concept from the current frame to ``target`` (backward when before)."""
        if self.busy:
            self.message.setText("A tracking run is in progress")
            return False
        if self._media_missing():
            return False
        order = [f for f in self.job_frames if min(self.frame, target) <= f <= max(self.frame, target)]
        order = order if target >= self.frame else order[::-1]
        try:
            prompt = self.concept_prompt()
            prompt.check()
            label = concept_label(self.project.labels(), prompt.label)
            blocked = next((f for f in order if not prompt.runs_on(f)), None)
            if blocked is not None:
                prompt.for_frame(blocked)  # raises, naming the exemplars' frame
        except PromptError as exc:
            self.message.setText(str(exc))
            return False
        kind, frames, segmenter = str(label.type.value), self.frames, self.concept_segmenter
        key = (self.job_id, "concept")
        name = prompt.name or prompt.text

        def work(token: CancelToken, progress: ProgressFn) -> ConceptTracking:
            return track_concept(frames, order, segmenter, prompt, kind, key=key, token=token, progress=progress)

        def store(result: ConceptTracking) -> None:
            """Finished or cancelled: the frames done become tracks, one undo step."""
            command = tracks_command(self.project, self.job_id, label, result, text=f"SAM 3 tracks: {name}")
            self._push(command)
            self.message.setText(result.summary() + ("; one undo step" if command is not None else ""))

        self._start(work, store, f"Tracking {name!r} over {len(order)} frames…",
                    on_cancelled=lambda outcome: store(outcome.value))
        return True

    # ------------------------------------------------------------------ tracker choice
    @property
    def busy(self) -> bool:
        return self._worker is not None

    def choose(self, key: str, image_size: int = 0) -> None:
        """Select a tracker by key (and SAM 2 resolution); it is built in the background."""
        self.resolution_combo.setCurrentIndex(max(0, self.resolution_combo.findData(image_size)))
        self.tracker_combo.setCurrentIndex(self.tracker_combo.findData(key))

    def _choice_changed(self, *_args: object) -> None:
        index = self.tracker_combo.currentIndex()
        if index < 0:
            return
        choice = self.choices[index]
        self.description.setText(choice.description)
        self.resolution_combo.setEnabled(choice.key.startswith("sam2:"))
        size = int(self.resolution_combo.currentData() or 0) if choice.key.startswith("sam2:") else 0
        cached = self._trackers.get((choice.key, size))
        if cached is not None:
            self.tracker = cached
            return
        self.tracker = None
        self.message.setText(f"Loading {choice.title}…")

        def loaded(tracker: Tracker) -> None:
            self._trackers[(choice.key, size)] = tracker
            if self.tracker_combo.currentData() == choice.key:
                self.tracker = tracker
                self.message.setText(f"{tracker.name} ready: tracks {', '.join(sorted(tracker.supported_types))}")

        workers.start(lambda _token, _progress: self.factory(choice.key, size or None), on_finished=loaded,
                      on_failed=lambda text, _tb: self.message.setText(f"Cannot load {choice.title}: {text}"))

    # ------------------------------------------------------------------ tracked objects
    def refresh(self) -> None:
        self.objects_list.blockSignals(True)
        self.objects_list.clear()
        labels = self.project.labels()
        ids = [e.track_id for e in self.session.entries()]
        tracks = {t.id: t for t in self.project.tracks(self.job_id, ids)} if ids else {}
        self.session.forget_missing(set(tracks))
        for entry in self.session.entries():
            label = labels.get(tracks[entry.track_id].label_id)
            item = QListWidgetItem(f"T{entry.track_id} {label.name if label else ''} — {entry.tracker.name}")
            item.setData(Qt.ItemDataRole.UserRole, entry.track_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if entry.enabled else Qt.CheckState.Unchecked)
            self.objects_list.addItem(item)
        self.objects_list.blockSignals(False)
        if self.captions is not None:
            self.captions.refresh()
        self.tracking_changed.emit()

    def _item_changed(self, item: QListWidgetItem) -> None:
        track_id = int(item.data(Qt.ItemDataRole.UserRole))
        if self.session.entry(track_id) is not None:
            self.session.set_enabled(track_id, item.checkState() == Qt.CheckState.Checked)
        if self.captions is not None:
            self.captions.refresh()

    def tracking_state(self, track_id: int) -> bool | None:
        """None when the object is not marked for tracking, else whether its tracking is on."""
        entry = next((e for e in self.session.entries() if e.track_id == int(track_id)), None)
        return None if entry is None else bool(entry.enabled)

    def set_tracking(self, track_id: int, enabled: bool) -> None:
        """The per-object switch (what the list's check box does)."""
        self.session.set_enabled(track_id, enabled)
        self.refresh()

    def track_selected(self) -> list[int]:
        if self.canvas is None:
            return []
        return self.tool.mark_keys(self.canvas.session.selection(), ctx=ToolHost(self.canvas.session, self.canvas))

    # ------------------------------------------------------------------ frame steps
    def on_frame_changed(self, frame: int) -> None:
        """Connect to the job window's ``frame_changed``: a step to the next frame tracks."""
        previous, self.frame = self.frame, frame
        index = self.job_frames.index(previous) if previous in self.job_frames else -1
        if 0 <= index < len(self.job_frames) - 1 and self.job_frames[index + 1] == frame:
            if any(e.enabled for e in self.session.entries()):
                self._pending.append((previous, frame))
                self._next_step()
        if self.captions is not None:
            self.captions.refresh()

    def _media_missing(self) -> bool:
        if self.frames is None:
            self.message.setText("The task's media cannot be opened, so nothing can be tracked")
            return True
        return False

    def _next_step(self) -> None:
        if self.busy or not self._pending or self._media_missing():
            return
        start, frame = self._pending.pop(0)
        plan = self.session.plan_step(self.project, self.job_id, start, frame)
        if not len(plan):
            self._next_step()
            return
        self._start(lambda _token, _progress: self.session.compute_step(plan, self.frames),
                    lambda result: self._push(self.session.step_command(self.project, result)),
                    f"Tracking {len(plan)} object(s) onto frame {frame}…")

    # ------------------------------------------------------------------ track to frame
    def track_to_frame(self, target: int) -> bool:
        """Track the selected objects (or all the tracker can follow) from the current frame to ``target``."""
        if self.busy:
            self.message.setText("A tracking run is in progress")
            return False
        if self._media_missing():
            return False
        tracker = self.tracker
        if tracker is None:
            self.message.setText("Choose a tracker first (it may still be loading)")
            return False
        keys = list(self.canvas.session.selection()) if self.canvas is not None else []
        shape_ids = [i for kind, i in keys if kind == "shape"] if keys else None
        track_ids = [i for kind, i in keys if kind == "track"] if keys else None
        try:
            plan = plan_tracking(self.project, self.job_id, self.frame, target, tracker.supported_types,
                                 shape_ids=shape_ids, track_ids=track_ids,
                                 convert_shapes=self.convert_check.isChecked())
        except PlanError as exc:
            self.message.setText(str(exc))
            return False
        if not plan.objects or not plan.frames:
            self.message.setText("Nothing to track: " + ("; ".join(plan.skipped) or "no object this tracker follows"))
            return False
        def work(token: CancelToken, progress: ProgressFn) -> TrackingOutcome:
            return run_plan(plan, self.frames, tracker, token=token, progress=progress)

        def store(outcome: TrackingOutcome) -> None:
            """Finished or cancelled: the frames tracked (all objects alike) as one undo step."""
            self._push(build_command(self.project, plan, outcome.results, text=f"Track with {tracker.name}"))
            self.message.setText(outcome.summary())

        self._start(work, store, f"Tracking {len(plan.objects)} object(s) to frame {target}…",
                    on_cancelled=lambda outcome: store(outcome.value))
        return True

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    # ------------------------------------------------------------------ plumbing
    def _start(self, work: workers.Job, done: Callable[[Any], None], text: str,
               on_cancelled: Callable[[Outcome[Any]], None] | None = None) -> None:
        self.message.setText(text)
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.run_button.setEnabled(False)
        self.concept_button.setEnabled(False)
        self.busy_changed.emit(True)

        def finish(outcome: Outcome[Any]) -> None:
            self._worker = None
            self.last_outcome = outcome
            self.concept_button.setEnabled(True)
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.cancel_button.setEnabled(False)
            self.run_button.setEnabled(True)
            try:
                if outcome.failed:
                    self.message.setText(f"Tracking failed: {outcome.message}")
                elif outcome.cancelled:
                    if on_cancelled is not None and outcome.value is not None:
                        on_cancelled(outcome)
                    else:
                        self.message.setText("Cancelled")
                else:
                    done(outcome.value)
            except (TrackerError, PromptError, ValueError) as exc:
                self.message.setText(f"Tracking failed: {exc}")
            self.busy_changed.emit(False)
            self.refresh()
            self._next_step()

        self._worker = workers.start(work, on_outcome=finish, on_progress=self._progress)

    def _progress(self, progress: Progress) -> None:
        if progress.total > 0:
            self.progress.setRange(0, int(progress.total))
            self.progress.setValue(int(progress.done))
        if progress.message:
            self.message.setText(progress.message)

    def _push(self, command: Command | None) -> None:
        if command is None:
            return
        if self.canvas is not None:
            self.canvas.session.push(command)
        else:
            self.undo_stack.push(command)


def install(window: Any, panel: Any = None, **options: Any) -> TrackersTab:
    """Create the tab for a job window: its tool goes to ``window.set_tool``, its steps follow
    ``window.frame_changed``; added to ``panel`` (an AIToolsPanel) or docked on its own."""
    tab = TrackersTab(window.project, window.job_id, window.undo_stack, window.cache, canvas=window.canvas,
                      frame=window.frame, **options)
    tab.tool_requested.connect(window.set_tool)
    window.frame_changed.connect(tab.on_frame_changed)
    if panel is not None:
        panel.add_tab(tab, TITLE)
    else:
        window.add_side_panel(tab, TITLE)
    return tab
