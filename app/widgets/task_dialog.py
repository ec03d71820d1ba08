"""Create a task from images (files or a folder) or a video; media is validated in the background."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.media.errors import MediaError
from app.media.images import IMAGE_SUFFIXES
from app.media.ingest import create_task_from_prepared, prepare_media
from app.media.video import VIDEO_SUFFIXES
from app.storage.errors import ProjectError
from app.storage.store import Project
from app.widgets.progress_dialog import run_with_progress


class NewTaskDialog(QDialog):
    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New task")
        self.project = project
        self.inputs: list[Path] = []
        self.name = QLineEdit(f"task {len(project.tasks()) + 1}")
        self.media_label = QLabel("no media chosen")
        pick_images, pick_folder, pick_video = QPushButton("Images…"), QPushButton("Folder…"), QPushButton("Video…")
        pick_images.clicked.connect(self._pick_images)
        pick_folder.clicked.connect(self._pick_folder)
        pick_video.clicked.connect(self._pick_video)
        picks = QHBoxLayout()
        for button in (pick_images, pick_folder, pick_video):
            picks.addWidget(button)
        self.segment = QSpinBox()
        self.segment.setRange(0, 1_000_000)
        self.segment.setSpecialValueText("one job")
        self.overlap = QSpinBox()
        self.overlap.setRange(0, 1000)
        self.replicas = QSpinBox()
        self.replicas.setRange(0, 10)
        self.replicas.setSpecialValueText("no consensus")
        self.copy = QCheckBox("Copy media into a folder beside the project (portable)")
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Media", picks)
        form.addRow("", self.media_label)
        form.addRow("Segment size (frames per job)", self.segment)
        form.addRow("Overlap", self.overlap)
        form.addRow("Consensus replicas", self.replicas)
        form.addRow("", self.copy)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.task = None

    def set_inputs(self, inputs: list[Path]) -> None:
        self.inputs = inputs
        self.media_label.setText(", ".join(p.name for p in inputs[:4]) + (" …" if len(inputs) > 4 else ""))

    def _pick_images(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES))
        files, _ = QFileDialog.getOpenFileNames(self, "Images", "", f"Images ({patterns})")
        if files:
            self.set_inputs([Path(f) for f in files])

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Image folder")
        if folder:
            self.set_inputs([Path(folder)])

    def _pick_video(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES))
        file, _ = QFileDialog.getOpenFileName(self, "Video", "", f"Videos ({patterns})")
        if file:
            self.set_inputs([Path(file)])

    def _create(self) -> None:
        if not self.inputs:
            QMessageBox.warning(self, "New task", "Choose images, a folder or a video first.")
            return
        name, inputs = self.name.text().strip() or "task", list(self.inputs)
        options = dict(copy_media=self.copy.isChecked(), segment_size=self.segment.value(),
                       overlap=self.overlap.value(), consensus_replicas=self.replicas.value())
        self.setEnabled(False)

        # Decoding every file to validate it is slow for big folders: it runs in the background; the
        # (fast) database write happens back on the GUI thread, which owns the project connection.
        def work(_token: object, _progress: object) -> object:
            return prepare_media(inputs)

        def done(media: object) -> None:
            try:
                self.task = create_task_from_prepared(self.project, name, media, **options)  # type: ignore[arg-type]
            except (OSError, ValueError, ProjectError, MediaError) as exc:
                failed(str(exc), "")
                return
            self.accept()

        def failed(message: str, _trace: str) -> None:
            self.setEnabled(True)
            QMessageBox.warning(self, "New task", message)

        run_with_progress(self, "Reading media…", work, done, failed)
