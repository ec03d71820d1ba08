"""File ▸ Export job package… and File ▸ Merge package… (field packages, docs/packages.md), and opening a
package file: its media are unpacked beside it first. The work runs off the GUI thread through its own
writer handle (:meth:`Project.open_writer`, the store's thread rule); its change events reach the GUI's
listeners on the GUI thread."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.work import CancelToken, Progress, ProgressFn
from app.domain.enums import JobType
from app.media.errors import MediaError
from app.media.sources import open_task_source
from app.packages import container
from app.packages.export import export_package
from app.packages.manifest import PACKAGE_SUFFIX, PackageError
from app.packages.merge import MergePreview, apply_merge, prepare_merge
from app.packages.undo import undo_merge
from app.storage.errors import ProjectError
from app.storage.store import Project
from app.widgets import workers
from app.widgets.merge_conflicts import ConflictView
from app.widgets.progress_dialog import run_with_progress


class PackageHost(Protocol):
    """What these dialogs use of the main window (a protocol: the window imports this module)."""

    project: Project | None
    package_worker: Any

    def refresh(self) -> None: ...

    def selected_job_id(self) -> int | None: ...

    def open_project(self, path: Path) -> Any: ...

KEEP_CHOICES = [("", "as the policy says"), ("package", "package"), ("project", "project")]
ASK_CHOICE = [("ask", "Decide each conflict in the Keep column")]
POLICY_CHOICES = [
    ("package", "Keep the package's version (the field work wins)"),
    ("project", "Keep the project's version"),
    ("replica", "Bring the package in as a consensus replica, for review"),
]


def _on_writer(project: Project, fn: Any) -> workers.Job:
    """A background job calling ``fn(handle, token, progress)`` with a writer handle of ``project`` opened
    (and closed) on the worker thread; the project's listeners hear its changes on the GUI thread."""
    workers.gui_owned(project)

    def work(token: CancelToken, progress: ProgressFn) -> Any:
        handle = project.open_writer()
        try:
            return fn(handle, token, progress)
        finally:
            handle.close()

    return work


def _choose_job(window: PackageHost, project: Project) -> int | None:
    job_id = window.selected_job_id()
    if job_id is not None:
        return int(job_id)
    jobs = [j for j in project.jobs() if j.type == JobType.ANNOTATION]
    if not jobs:
        QMessageBox.information(window, "Export job package", "The project has no annotation job.")
        return None
    names = [f"Job #{j.id} (task {j.task_id}, frames {j.start_frame}–{j.stop_frame})" for j in jobs]
    name, ok = QInputDialog.getItem(window, "Export job package", "Job", names, 0, False)
    return jobs[names.index(name)].id if ok else None


def export_job_package(window: PackageHost) -> None:
    project = window.project
    if project is None:
        return
    job_id = _choose_job(window, project)
    if job_id is None:
        return
    path, _ = QFileDialog.getSaveFileName(window, "Export job package", f"job{job_id}{PACKAGE_SUFFIX}",
                                          f"Fieldmark field package (*{PACKAGE_SUFFIX})")
    if not path:
        return
    out = Path(path) if path.endswith(PACKAGE_SUFFIX) else Path(path + PACKAGE_SUFFIX)

    def work(handle: Project, token: CancelToken, progress: ProgressFn) -> Any:
        def step(what: str, done: int, total: int) -> None:
            token.check()
            progress(Progress(done, total, what))

        return export_package(handle, [job_id], out, progress=step)

    def finished(manifest: Any) -> None:
        window.refresh()
        QMessageBox.information(window, "Export job package",
                                f"Wrote {out.name} ({len(manifest.media)} media files). Job #{job_id} is now in "
                                "the field: it is read-only here until the package is merged back.")

    def failed(message: str, _trace: str) -> None:
        QMessageBox.warning(window, "Export job package", message)

    window.package_worker = run_with_progress(window, "Exporting job package", _on_writer(project, work), finished,
                                              failed)


def merge_package_dialog(window: PackageHost) -> None:
    project = window.project
    if project is None:
        return
    path, _ = QFileDialog.getOpenFileName(window, "Merge package", "", f"Fieldmark field package (*{PACKAGE_SUFFIX})")
    if not path:
        return

    def work(handle: Project, token: CancelToken, progress: ProgressFn) -> MergePreview:
        def step(done: int, total: int) -> None:
            token.check()
            progress(Progress(done, total, "Verifying"))

        return prepare_merge(handle, path, progress=step)

    def failed(message: str, _trace: str) -> None:
        QMessageBox.warning(window, "Merge package", message)

    def ready(preview: MergePreview) -> None:
        MergePackageDialog(project, preview, window).exec()
        window.refresh()

    window.package_worker = run_with_progress(window, "Checking the package", _on_writer(project, work), ready, failed)


class MergePackageDialog(QDialog):
    """What the merge will do (per job: fast-forward or three-way, the counts, each conflict by frame and
    object) and how to settle the conflicts: a policy for all, or a side per conflict in the table's Keep
    column; the selected conflict's two versions are drawn on the frame. Merge writes it in one transaction
    through the same core as the CLI (:func:`apply_merge` with the policy and the per-conflict choices)."""

    def __init__(self, project: Project, preview: MergePreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project, self.preview, self.report = project, preview, None
        self.busy = False
        self.setWindowTitle(f"Merge {preview.path.name}")
        layout = QVBoxLayout(self)
        lines = [f"Job #{j.job_id}: {'fast-forward' if j.fast_forward else 'three-way'} — "
                 + ", ".join(f"{n} {k}" for k, n in j.plan.counts().items()) for j in preview.jobs]
        layout.addWidget(QLabel("\n".join(lines)))
        self.conflicts = preview.conflicts()
        self.table = QTableWidget(len(self.conflicts), 6)
        self.table.setHorizontalHeaderLabels(["Job", "Frame", "Object", "Id", "Conflict", "Keep"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.keep: list[QComboBox] = []
        for row, c in enumerate(self.conflicts):
            for column, value in enumerate((c["job"], c["frame"], c["kind"], c["uid"][:8], c["what"])):
                self.table.setItem(row, column, QTableWidgetItem(str(value)))
            keep = QComboBox()
            for key, text in KEEP_CHOICES:
                keep.addItem(text, key)
            self.table.setCellWidget(row, 5, keep)
            self.keep.append(keep)
        self.view = ConflictView()
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(self.view)
        split.setVisible(bool(self.conflicts))
        layout.addWidget(split, 1)
        form = QFormLayout()
        self.policy = QComboBox()
        for key, text in POLICY_CHOICES + (ASK_CHOICE if self.conflicts else []):
            self.policy.addItem(text, key)
        self.policy.currentIndexChanged.connect(self._policy_changed)
        form.addRow("Conflicts" if self.conflicts else "No conflicts", self.policy)
        layout.addLayout(form)
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setVisible(False)
        layout.addWidget(self.output)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = self.buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.clicked.connect(self.merge)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.table.currentCellChanged.connect(lambda row, *_: self.show_conflict(row))
        if self.conflicts:
            self.table.selectRow(0)
            self.show_conflict(0)

    def show_conflict(self, row: int) -> None:
        """Draw the two versions of conflict ``row`` over its frame (read now, from the package and the
        project)."""
        if not 0 <= row < len(self.conflicts):
            return
        conflict = self.conflicts[row]
        try:
            package_obj, project_obj = self.preview.versions(self.project, conflict)
        except (PackageError, ProjectError) as exc:
            self.view.legend.setText(str(exc))
            return
        self.view.show_conflict(self.project, conflict, package_obj, project_obj,
                                self._frame_image(conflict["job"], int(conflict["frame"])))

    def _frame_image(self, job_id: int, frame: int) -> Any:
        try:
            source = open_task_source(self.project, self.project.job(job_id).task_id)
        except (MediaError, ProjectError, OSError):
            return None
        try:
            return source.read(frame)
        except (MediaError, OSError, IndexError):
            return None  # the media are not here: the versions are drawn without the image
        finally:
            source.close()

    def choices(self) -> dict[str, str]:
        """The per-conflict sides chosen in the Keep column (conflict uid -> package or project)."""
        return {c["uid"]: keep.currentData() for c, keep in zip(self.conflicts, self.keep, strict=True)
                if keep.currentData() in ("package", "project")}

    def _policy_changed(self) -> None:
        per_object = self.policy.currentData() != "replica"  # a replica takes the package whole
        for keep in self.keep:
            keep.setEnabled(per_object)

    def merge(self) -> None:
        policy, choices = self.policy.currentData(), self.choices()
        self.merge_button.setEnabled(False)
        self.busy = True
        project, preview = self.project, self.preview
        self.worker = workers.start(
            _on_writer(project, lambda handle, _t, _p: apply_merge(handle, preview, policy, choices)),
            on_finished=self._merged, on_failed=self._failed)

    def done(self, result: int) -> None:
        if self.busy:
            return  # the merge is being written: it ends by itself, all or nothing
        self.preview.close()  # its temporary comparison table
        super().done(result)

    def _merged(self, report: dict[str, Any]) -> None:
        self.busy = False
        self.report = report
        self.output.setPlainText(json.dumps(report, indent=2))
        self.output.setVisible(True)
        self.merge_button.setVisible(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        self.undo_button = self.buttons.addButton("Undo this merge", QDialogButtonBox.ButtonRole.ActionRole)
        self.undo_button.clicked.connect(self.undo)

    def undo(self) -> None:
        project, package_id = self.project, self.preview.manifest.package_id
        self.undo_button.setEnabled(False)
        self.worker = workers.start(_on_writer(project, lambda handle, _t, _p: undo_merge(handle, package_id)),
                                    on_finished=self._undone, on_failed=self._failed)

    def _undone(self, jobs: list[int]) -> None:
        self.report = None
        self.output.setPlainText(f"Merge undone: job(s) {', '.join(map(str, jobs))} are as before it and out in "
                                 "the field again.")
        self.undo_button.setVisible(False)

    def _failed(self, message: str, _trace: str) -> None:
        self.busy = False
        self.merge_button.setEnabled(True)
        QMessageBox.warning(self, "Merge package", message)


def unpack_before_open(window: PackageHost, path: Path) -> bool:
    """For a package file whose media are not beside it yet: unpack them in the background, then open it.
    Returns True when the caller may open the file now."""
    if not container.is_package(path):
        return True
    try:
        manifest = container.read_manifest(path)
    except PackageError as exc:
        QMessageBox.warning(window, "Open package", str(exc))
        return False
    folder = path.resolve().parent / container.MEDIA_FOLDER / manifest.package_id
    if all((folder / m.name).is_file() for m in manifest.media):
        return True

    def work(_token: CancelToken, _progress: ProgressFn) -> Path:
        return container.unpack_media(path, manifest)

    def failed(message: str, _trace: str) -> None:
        QMessageBox.warning(window, "Open package", message)

    window.package_worker = run_with_progress(window, "Unpacking the package's media", work,
                                              lambda _folder: window.open_project(path), failed)
    return False
