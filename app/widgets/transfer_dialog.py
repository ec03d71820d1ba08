"""Import / export dialog: format, file, target (task or job), options, a progress bar and Cancel.

The work (reading, writing, the import transaction) runs on a worker thread (:mod:`app.widgets.workers`),
so the GUI thread never waits on it. Standalone: the caller passes an open project and shows the
dialog (``open()``); ``done_with(result)`` is emitted after a successful run.

Thread rule (see :class:`~app.storage.store.Project`): an import writes through its own writer handle
(:meth:`Project.open_writer`) in one transaction, an export reads through its own read-only handle;
the store tells its listeners of the import on the GUI thread (the project's dispatcher).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.work import CancelToken, Progress, ProgressFn
from app.formats.exporter import EXPORT_FORMATS, export_project
from app.formats.importer import FORMATS, import_file, import_file_as_new_tasks
from app.storage.store import Project
from app.widgets import workers


def _progress(token: CancelToken, progress: ProgressFn, text: str) -> Any:
    """The formats' ``(done, total)`` callback: checks the token (Cancelled unwinds, nothing written)."""
    def report(done: int, total: int) -> None:
        token.check()
        progress(Progress(done, total, text))
    return report


class TransferDialog(QDialog):
    """``mode`` is ``"import"`` or ``"export"``; ``task_id``/``job_id`` preselect the target."""

    done_with = Signal(object)  # ImportResult or ExportResult

    def __init__(self, project: Project, mode: str, parent: QWidget | None = None, *, task_id: int | None = None,
                 job_id: int | None = None) -> None:
        super().__init__(parent)
        if mode not in ("import", "export"):
            raise ValueError(f"mode must be 'import' or 'export', not {mode!r}")
        self.project = project
        self.mode = mode
        self.worker: workers.Worker | None = None
        self.setWindowTitle("Import annotations" if mode == "import" else "Export annotations")
        self._build(task_id, job_id)

    # ------------------------------------------------------------------ layout

    def _build(self, task_id: int | None, job_id: int | None) -> None:
        form = QFormLayout()
        self.format = QComboBox()
        self.format.addItems(list(FORMATS if self.mode == "import" else EXPORT_FORMATS))
        form.addRow("Format", self.format)
        self.path = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path)
        row.addWidget(browse)
        if self.mode == "import":  # every format reads a .zip (CVAT, Datumaro and Ultralytics exports are zips)
            self.browse_zip = QPushButton("Zip…")
            self.browse_zip.setToolTip("A .zip export of the dataset (CVAT, Datumaro, Ultralytics, labelme)")
            self.browse_zip.clicked.connect(self._browse_zip)
            row.addWidget(self.browse_zip)
        form.addRow("File, folder or zip" if self.mode == "import" else "File or folder", row)
        self.target = QComboBox()
        self.target.addItem("New task (one per subset)" if self.mode == "import" else "Whole project", None)
        if self.mode == "import" and self.project.tasks():
            # as CVAT imports a dataset into a project: each subset into its task, or a new one
            self.target.addItem("Project: the task of each subset (new tasks for the others)", "project")
        for task in self.project.tasks():
            self.target.addItem(f"Task {task.id}: {task.name}", f"task:{task.id}")
            for job in self.project.jobs(task.id):
                self.target.addItem(f"    Job {job.id} ({job.type.value}, frames {job.start_frame}-{job.stop_frame})",
                                    f"job:{job.id}")
        wanted = f"job:{job_id}" if job_id is not None else f"task:{task_id}" if task_id is not None else None
        if wanted is not None:
            index = self.target.findData(wanted)
            self.target.setCurrentIndex(max(index, 0))
        form.addRow("Target", self.target)
        self.replace = QCheckBox("Replace the target's annotations (otherwise append)")
        self.create_labels = QCheckBox("Create labels and attributes the project does not have")
        self.with_images = QCheckBox("Include images")
        self.yolo_task = QComboBox()
        self.yolo_task.addItems(["auto", "detect", "segment", "pose", "obb"])
        if self.mode == "import":
            form.addRow(self.replace)
            form.addRow(self.create_labels)
        else:
            form.addRow(self.with_images)
            form.addRow("YOLO task", self.yolo_task)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.start_button = QPushButton("Import" if self.mode == "import" else "Export")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

    def _browse(self) -> None:
        fmt = self.format.currentText()
        if self.mode == "import" and fmt == "cvat":
            path, _ = QFileDialog.getOpenFileName(self, "CVAT XML or zip", "", "CVAT (*.xml *.zip);;All files (*)")
        elif self.mode == "import" and fmt == "coco":
            path, _ = QFileDialog.getOpenFileName(self, "COCO JSON or zip", "", "COCO (*.json *.zip);;All files (*)")
        else:
            path = QFileDialog.getExistingDirectory(self, "Dataset folder")
        if path:
            self.path.setText(path)

    def _browse_zip(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Dataset zip", "", "Zip archive (*.zip);;All files (*)")
        if path:
            self.path.setText(path)

    # ------------------------------------------------------------------ running

    @property
    def running(self) -> bool:
        return self.worker is not None

    def start(self) -> None:
        path = Path(self.path.text().strip())
        if not self.path.text().strip():
            self._show_error("Choose a file or folder first.")
            return
        target = self.target.currentData()  # None, "task:<id>" or "job:<id>"
        fmt = self.format.currentText()
        kind, _, ident = (target or "").partition(":")
        task = int(ident) if kind == "task" else None
        job = int(ident) if kind == "job" else None
        if self.mode == "import":
            work = self._import_work(path, fmt, task, job, new_task=target is None)
            workers.gui_owned(self.project)
        else:
            work = self._export_work(path, fmt, task, job)
        self._set_running(True)
        self.worker = workers.start(work, on_finished=self._finished, on_failed=self._failed,
                                    on_progress=self._on_progress, on_cancelled=self._cancelled)

    def _import_work(self, path: Path, fmt: str, task: int | None, job: int | None, *, new_task: bool) -> Any:
        project, replace, create = self.project, self.replace.isChecked(), self.create_labels.isChecked()

        def work(token: CancelToken, progress: ProgressFn) -> Any:
            writer = project.open_writer()  # its own connection, on this thread; one transaction
            try:
                hints = list(writer.labels())
                sizes = {f.name: (f.width, f.height) for t in writer.tasks() for f in writer.frames(t.id)}
                if new_task:  # written as it is read (CVAT XML): a big file is never held whole
                    return import_file_as_new_tasks(writer, path, fmt, create_missing_labels=create,
                                                    create_missing=create, label_hints=hints, frame_sizes=sizes,
                                                    progress=_progress(token, progress, "Importing"))
                def writing() -> None:
                    token.check()
                    progress(Progress(0, 0, "Writing to the project"))

                # a .zip stays extracted for the whole import: its images are copied into tasks it creates
                return import_file(writer, path, fmt, task=task, job=job, new_task=new_task, replace=replace,
                                   create_missing_labels=create, create_missing=create, frame_sizes=sizes,
                                   label_hints=hints, progress=_progress(token, progress, "Reading"),
                                   on_read=writing)
            finally:
                writer.close()
        return work

    def _export_work(self, path: Path, fmt: str, task: int | None, job: int | None) -> Any:
        project, with_images = self.project, self.with_images.isChecked()
        options = {"yolo_task": self.yolo_task.currentText()} if fmt == "yolo" else {}

        def work(token: CancelToken, progress: ProgressFn) -> Any:
            reader = Project.open(project.location, read_only=True)  # its own connection: nothing shared
            try:
                return export_project(reader, fmt, path, task=task, job=job, with_images=with_images,
                                      progress=_progress(token, progress, "Writing"), **options)
            finally:
                reader.close()
        return work

    def _on_progress(self, progress: Progress) -> None:
        if progress.total > 0:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * progress.done / progress.total))
        else:
            self.bar.setRange(0, 0)  # busy
        if progress.message:
            self.status.setText(progress.message + "…")

    def _finished(self, result: Any) -> None:
        self._set_running(False)
        self.bar.setRange(0, 1000)
        self.bar.setValue(1000)
        if self.mode == "import":
            counts = result.counts
            where = (f"task {result.task_id}" if len(result.task_ids) <= 1
                     else f"tasks {', '.join(map(str, result.task_ids))}")
            notes = "".join(f"\n{line[0].upper()}{line[1:]}." for line in result.notes + result.warnings)
            self.status.setText(f"Imported into {where}: {counts['shapes']} shapes, {counts['tracks']} "
                                f"tracks, {counts['tags']} tags. {result.report.describe()}.{notes}")
        else:
            self.status.setText(f"Exported {result.frames} frames to {result.path}.")
        self.status.setStyleSheet("")
        self.done_with.emit(result)

    def _failed(self, message: str, _trace: str) -> None:
        self._set_running(False)
        self._show_error(message)

    def _cancelled(self, _outcome: Any = None) -> None:
        self._set_running(False)
        self.bar.setValue(0)
        self.status.setStyleSheet("")
        self.status.setText("Cancelled: nothing was written.")

    def _show_error(self, message: str) -> None:
        self.status.setStyleSheet("color: #c0392b;")
        self.status.setText(message)

    def _set_running(self, running: bool) -> None:
        if not running:
            self.worker = None
        self.start_button.setEnabled(not running)
        self.cancel_button.setText("Cancel" if running else "Close")
        for widget in (self.format, self.path, self.target, self.replace, self.create_labels, self.with_images,
                       self.yolo_task):
            widget.setEnabled(not running)

    def _cancel_or_close(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")
        else:
            self.reject()

    def reject(self) -> None:
        if self.worker is None:  # closing waits for a running job to end (or be cancelled)
            super().reject()
