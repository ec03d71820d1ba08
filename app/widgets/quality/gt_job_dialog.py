"""The Ground Truth job dialog: CVAT's frame-selection methods and parameters, as ``fieldmark quality
gt-job`` takes them (random_uniform with a count or a share of the task, random_per_job with a count
or a share of each job, a manual frame list; an optional seed). The frames are drawn by
:func:`app.quality.gt_frames.select_frames`, the code the CLI uses; "Preview" shows them first."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.quality.gt_frames import FrameSelection, FrameSelectionError, parse_frames, select_frames

METHOD_TEXT = {"random_uniform": "Random (uniform over the task)", "random_per_job": "Random per job",
               "manual": "Manual frame list"}


class _CountOrShare(QWidget):
    """A count or a share (percent), one of the two."""

    def __init__(self, maximum: int, default_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.by_count = QRadioButton("Count")
        self.by_share = QRadioButton("Share %")
        self.count = QSpinBox()
        self.count.setRange(1, max(1, maximum))
        self.count.setValue(max(1, min(default_count, maximum)))
        self.share = QDoubleSpinBox()
        self.share.setRange(0.1, 100.0)
        self.share.setDecimals(1)
        self.share.setValue(10.0)
        group = QButtonGroup(self)
        group.addButton(self.by_count)
        group.addButton(self.by_share)
        self.by_count.setChecked(True)
        self.by_count.toggled.connect(self._sync)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.by_count, self.count, self.by_share, self.share):
            layout.addWidget(w)
        self._sync()

    def _sync(self) -> None:
        self.count.setEnabled(self.by_count.isChecked())
        self.share.setEnabled(self.by_share.isChecked())

    def values(self) -> tuple[int | None, float | None]:
        if self.by_count.isChecked():
            return self.count.value(), None
        return None, self.share.value() / 100.0


class GroundTruthJobDialog(QDialog):
    """``task_size``: frames of the task; ``job_frames``: the frames of each annotation job (for the
    per-job method and the preview)."""

    def __init__(self, task_size: int, job_frames: Sequence[Sequence[int]] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create Ground Truth job")
        self.task_size = int(task_size)
        self.job_frames = [list(f) for f in job_frames]
        self.method = QComboBox()
        for key, text in METHOD_TEXT.items():
            self.method.addItem(text, key)
        self.uniform = _CountOrShare(self.task_size, max(1, self.task_size // 10))
        largest = max((len(f) for f in self.job_frames), default=self.task_size)
        self.per_job = _CountOrShare(largest, 1)
        self.frames = QLineEdit()
        self.frames.setPlaceholderText(f"e.g. 0, 5, 10-14 (frames 0–{max(0, self.task_size - 1)})")
        self.stack = QStackedWidget()
        for page in (self.uniform, self.per_job, self.frames):
            self.stack.addWidget(page)
        self.random_seed = QCheckBox("Random seed")
        self.random_seed.setChecked(True)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setEnabled(False)
        self.random_seed.toggled.connect(lambda on: self.seed.setEnabled(not on))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.random_seed)
        seed_row.addWidget(self.seed, 1)
        self.preview_button = QPushButton("Preview frames")
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c0392b")

        form = QFormLayout()
        form.addRow("Frame selection", self.method)
        form.addRow("Frames", self.stack)
        form.addRow("Seed", seed_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The task has {self.task_size} frames in {len(self.job_frames)} job(s)."))
        layout.addLayout(form)
        layout.addWidget(self.preview_button)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.method.currentIndexChanged.connect(self._method_changed)
        self.preview_button.clicked.connect(self.show_preview)

    def _method_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.preview.setText("")
        self.error.setText("")

    def set_method(self, method: str) -> None:
        self.method.setCurrentIndex(list(METHOD_TEXT).index(method))

    def selection(self) -> FrameSelection:
        """The selection the dialog describes (raises FrameSelectionError on a bad frame list)."""
        method = self.method.currentData()
        seed = None if self.random_seed.isChecked() else self.seed.value()
        if method == "random_uniform":
            count, share = self.uniform.values()
            return FrameSelection(method, frame_count=count, frame_share=share, seed=seed)
        if method == "random_per_job":
            count, share = self.per_job.values()
            return FrameSelection(method, frames_per_job_count=count, frames_per_job_share=share, seed=seed)
        return FrameSelection(method, frames=parse_frames(self.frames.text()), seed=seed)

    def selected_frames(self) -> tuple[list[int], int]:
        """The frames the selection draws (and the seed), by the code that creates the job."""
        return select_frames(self.selection(), range(self.task_size), self.job_frames)

    def show_preview(self) -> None:
        try:
            frames, seed = self.selected_frames()
        except FrameSelectionError as exc:
            self.error.setText(str(exc))
            return
        self.error.setText("")
        shown = ", ".join(map(str, frames[:40])) + (" …" if len(frames) > 40 else "")
        self.preview.setText(f"{len(frames)} frames (seed {seed}): {shown}")
        if self.random_seed.isChecked():  # the preview's draw is the one created
            self.random_seed.setChecked(False)
            self.seed.setValue(seed)

    def _accept(self) -> None:
        try:
            self.selected_frames()
        except FrameSelectionError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
