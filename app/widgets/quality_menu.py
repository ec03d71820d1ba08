"""The main window's Quality menu: settings (project and task), Ground Truth job (CVAT's frame
selection methods), consensus merge, task and project reports computed in the background, stored,
shown in a report dialog (summary table, charts, raw JSON) and exportable to CSV.

Which Ground Truth counts follows one rule, shared with the job window's quality panel: the GT job
must be accepted and completed (CVAT's rule) unless "Allow unfinished Ground Truth" is on (one
preference for both, :attr:`app.settings.Preferences.quality_allow_unfinished_gt`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMessageBox

from app import settings as preferences
from app.core.work import CancelToken, Outcome, ProgressFn
from app.domain.enums import JobType
from app.quality import gt_frames, honeypots, storage, workflow
from app.quality.consensus_run import MergeRun, merge_task_job
from app.quality.gt_frames import FrameSelectionError
from app.quality.service import (
    GT_RULE,
    QualityError,
    check_gt_ready,
    compute_project,
    compute_task,
    skipped_tasks,
)
from app.quality.settings import SettingsError, effective_settings, save_settings
from app.storage.store import Project
from app.widgets import workers
from app.widgets.progress_dialog import run_with_progress
from app.widgets.quality.gt_job_dialog import GroundTruthJobDialog
from app.widgets.quality.report_dialog import QualityReportDialog
from app.widgets.quality.settings_dialog import QualitySettingsDialog

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu



def allow_unfinished_gt() -> bool:
    """The user's choice on the GT rule (read at each computation: the panel may have changed it)."""
    return preferences.load().quality_allow_unfinished_gt


def gt_rule_note(allow_unfinished: bool) -> str:
    """One sentence: which Ground Truth this report counted."""
    if allow_unfinished:
        return ("Ground Truth: unfinished GT jobs were used too ('Allow unfinished Ground Truth' is on; "
                "CVAT would count only accepted, completed ones).")
    return "Ground Truth: only accepted, completed GT jobs were used (CVAT's rule)."


class MenuHost(Protocol):
    """What the Quality menu uses of the main window (its public surface; the window is not imported)."""

    project: Project | None
    help_menu: QMenu

    def add_action(self, menu: QMenu, text: str, slot: object, shortcut: str | None = None,
                   needs_project: bool = False) -> QAction: ...

    def selected_task_and_job(self) -> tuple[int | None, int | None]: ...


class QualityMenu:
    def __init__(self, window: QMainWindow) -> None:
        host: MenuHost = window  # type: ignore[assignment]
        self.window = window
        self.host = host
        menu = window.menuBar().addMenu("&Quality")
        self.menu = menu
        window.menuBar().insertMenu(host.help_menu.menuAction(), menu)
        add = host.add_action
        add(menu, "Project quality settings…", self.project_settings, needs_project=True)
        add(menu, "Task quality settings…", self.task_settings, needs_project=True)
        menu.addSeparator()
        add(menu, "Create Ground Truth job…", self.create_gt_job, needs_project=True)
        add(menu, "Set up honeypots…", self.setup_honeypots, needs_project=True)
        add(menu, "Re-draw the job's honeypots", self.redraw_honeypots, needs_project=True)
        add(menu, "Merge consensus replicas", self.merge_consensus, needs_project=True)
        menu.addSeparator()
        add(menu, "Task quality report…", self.task_report, needs_project=True)
        add(menu, "Project quality report…", self.project_report, needs_project=True)
        self.allow_unfinished = menu.addAction("Allow unfinished Ground Truth")
        self.allow_unfinished.setCheckable(True)
        self.allow_unfinished.setToolTip(GT_RULE)
        self.allow_unfinished.setChecked(allow_unfinished_gt())
        self.allow_unfinished.toggled.connect(
            lambda on: preferences.update(quality_allow_unfinished_gt=bool(on)))
        menu.aboutToShow.connect(lambda: self.allow_unfinished.setChecked(allow_unfinished_gt()))
        self.last_reports: list[tuple[str, int, Any]] = []
        self.last_dialog: QualityReportDialog | None = None
        self.last_worker: workers.Worker | None = None
        self.last_outcome: Any = None
        self.last_message = ""  # what the last workflow action said

    @property
    def project(self) -> Project | None:
        return self.host.project

    def _task(self) -> int | None:
        task_id, _job = self.host.selected_task_and_job()
        if task_id is None:
            QMessageBox.information(self.window, "Quality", "Select a task (or one of its jobs) first.")
        return task_id

    def _edit_settings(self, task_id: int | None) -> None:
        settings, inherited = effective_settings(self.project, task_id)
        if task_id is not None:
            settings.inherit = inherited
        dialog = QualitySettingsDialog(settings, task_scope=task_id is not None, parent=self.window)
        if dialog.exec():
            try:
                save_settings(self.project, dialog.settings(), task_id)
            except SettingsError as exc:
                QMessageBox.warning(self.window, "Quality settings", str(exc))

    def project_settings(self) -> None:
        if self.project is not None:
            self._edit_settings(None)

    def task_settings(self) -> None:
        task_id = self._task()
        if task_id is not None:
            self._edit_settings(task_id)

    def create_gt_job(self) -> None:
        task_id = self._task()
        if task_id is None:
            return
        if gt_frames.gt_job(self.project, task_id) is not None:
            QMessageBox.information(self.window, "Ground Truth job", f"Task {task_id} already has a Ground Truth job.")
            return
        size = self.project.task(task_id).size
        jobs = [j.frame_list() for j in self.project.jobs(task_id) if j.type is JobType.ANNOTATION]
        dialog = GroundTruthJobDialog(size, jobs, self.window)
        if not dialog.exec():
            return
        try:
            job = gt_frames.create_gt_job(self.project, task_id, dialog.selection())
        except (FrameSelectionError, ValueError) as exc:
            QMessageBox.warning(self.window, "Ground Truth job", str(exc))
            return
        seed = job.options.get("frame_selection", {}).get("seed")
        self.last_message = f"Ground Truth job #{job.id} with {len(job.frame_list())} frames (seed {seed})"
        self.window.statusBar().showMessage(self.last_message, 8000)

    def setup_honeypots(self) -> None:
        """A validation pool (the GT job) whose frames are mixed, hidden, into every annotation job."""
        task_id = self._task()
        if task_id is None:
            return
        size = self.project.task(task_id).size
        pool, ok = QInputDialog.getInt(self.window, "Honeypots", f"Validation pool size (frames of {size})",
                                       max(1, size // 10), 1, size)
        if not ok:
            return
        per_job, ok = QInputDialog.getInt(self.window, "Honeypots", "Honeypots per job", 1, 1, pool)
        if not ok:
            return
        try:
            gt = honeypots.setup_honeypots(self.project, task_id, pool_count=pool, frames_per_job=per_job)
        except (FrameSelectionError, ValueError) as exc:
            QMessageBox.warning(self.window, "Honeypots", str(exc))
            return
        self.window.statusBar().showMessage(f"Validation pool: Ground Truth job #{gt.id}, "
                                            f"{per_job} honeypot(s) in each job", 5000)

    def redraw_honeypots(self) -> None:
        _task, job_id = self.host.selected_task_and_job()
        if job_id is None:
            QMessageBox.information(self.window, "Honeypots", "Select a job first.")
            return
        try:
            job = honeypots.redraw_honeypots(self.project, job_id)
        except (FrameSelectionError, ValueError) as exc:
            QMessageBox.warning(self.window, "Honeypots", str(exc))
            return
        self.window.statusBar().showMessage(f"Job #{job.id}: honeypots re-drawn", 5000)

    def merge_consensus(self) -> None:
        """Merged in the background on a writer handle of its own; Cancel stops between parent jobs."""
        task_id = self._task()
        if task_id is None:
            return
        project = self.project
        workers.gui_owned(project)

        def work(token: CancelToken, progress: ProgressFn) -> MergeRun:
            writer = project.open_writer()
            try:
                return merge_task_job(writer, task_id, token, progress)
            finally:
                writer.close()

        def done(run: MergeRun) -> None:
            self.last_outcome = run
            self.window.statusBar().showMessage(run.summary(), 8000)

        def cancelled(outcome: Outcome[Any]) -> None:
            self.last_outcome = outcome.value
            self.window.statusBar().showMessage(outcome.message, 8000)

        run_with_progress(self.window, "Consensus merge", work, done,
                          lambda message, _trace: QMessageBox.warning(self.window, "Consensus", message), cancelled)

    # ---------------------------------------------------------------- workflow

    def add_workflow_actions(self, menu: Any, job_id: int) -> None:
        """Submit (automatic acceptance against the GT), send to validation, accept, reject."""
        menu.addAction("Submit (check against Ground Truth)", lambda: self.submit(job_id))
        menu.addAction("Send to validation", lambda: self._workflow(workflow.send_to_validation, job_id))
        menu.addAction("Accept", lambda: self._workflow(workflow.accept, job_id))
        menu.addAction("Reject", lambda: self._workflow(workflow.reject, job_id))

    def _workflow(self, action: Any, job_id: int) -> None:
        try:
            action(self.project, job_id)
        except workflow.WorkflowError as exc:
            QMessageBox.warning(self.window, "Workflow", str(exc))
            return
        done = {workflow.send_to_validation: "sent to validation", workflow.accept: "accepted",
                workflow.reject: "returned to the annotator (rejected)"}.get(action, "updated")
        self._tell("Workflow", f"Job #{job_id} {done}.")

    def _tell(self, title: str, text: str) -> None:
        """Say what a workflow action did: in the status bar and in a message that stays until read."""
        self.last_message = text
        self.window.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()  # not modal: the user keeps working

    def submit(self, job_id: int) -> None:
        """The report is computed in the background; the decision is written on the GUI thread."""
        try:
            workflow.check_submittable(self.project, job_id)
        except workflow.WorkflowError as exc:
            QMessageBox.warning(self.window, "Submit", str(exc))
            return

        def compute(project: Project, _token: CancelToken, _progress: ProgressFn) -> Any:
            return workflow.compute_for_submission(project, job_id)

        def decide(result: Any) -> None:
            try:
                outcome = workflow.apply_submission(self.project, job_id, result)
            except workflow.WorkflowError as exc:
                QMessageBox.warning(self.window, "Submit", str(exc))
                return
            self.last_outcome = outcome
            self._tell("Submit", submission_text(job_id, outcome))

        self._run("Checking the job against Ground Truth", compute, decide)

    # ---------------------------------------------------------------- reports

    def _run(self, title: str, compute: Any, store: Any) -> None:
        """``compute(project_ro, token, progress)`` runs in a worker on a read-only handle.

        ``store(result)`` runs on the GUI thread; a cancelled run says so in the status bar.
        """
        path = self.project.location

        def work(token: CancelToken, progress: ProgressFn) -> Any:
            with Project.open(path, read_only=True) as project:
                return compute(project, token, progress)

        def failed(message: str, _trace: str) -> None:
            QMessageBox.warning(self.window, title, message)

        def cancelled(_outcome: Outcome[Any]) -> None:
            self.last_message = f"{title}: cancelled, nothing was stored"
            self.window.statusBar().showMessage(self.last_message, 8000)

        self.last_worker = run_with_progress(self.window, title, work, store, failed, cancelled)

    def task_report(self) -> None:
        task_id = self._task()
        if task_id is None:
            return

        allow = allow_unfinished_gt()
        try:  # the rule is checked here too, so its message comes at once and not from a worker
            check_gt_ready(gt_frames.gt_job(self.project, task_id), task_id, not allow)
        except QualityError as exc:
            message = str(exc)
            QMessageBox.warning(self.window, "Task quality report", message[:1].upper() + message[1:])
            return

        def compute(project: Project, token: CancelToken, progress: ProgressFn) -> Any:
            return compute_task(project, task_id, require_accepted_gt=not allow, token=token, progress=progress)

        def store(result: Any) -> None:
            storage.save_task_result(self.project, task_id, result)
            self.show_report("task", task_id, result.task, [("job", j, r) for j, r in result.jobs.items()],
                             notes=[gt_rule_note(allow)])

        self._run("Task quality report", compute, store)

    def project_report(self) -> None:
        if self.project is None:
            return

        allow = allow_unfinished_gt()

        def compute(project: Project, token: CancelToken, progress: ProgressFn) -> Any:
            report, tasks = compute_project(project, require_accepted_gt=not allow, token=token, progress=progress)
            return report, tasks, skipped_tasks(project, require_accepted_gt=not allow)

        def store(result: Any) -> None:
            report, tasks, skipped = result
            storage.save_project_report(self.project, report, tasks)
            notes = [gt_rule_note(allow)]
            if skipped:
                reasons = "; ".join(f"{why}" for why in list(skipped.values())[:5])
                more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
                notes.append(f"{len(skipped)} task(s) left out: {reasons}{more}.")
            self.show_report("project", 0, report, [("task", t, r.task) for t, r in tasks.items()], notes=notes)

        self._run("Project quality report", compute, store)

    def show_report(self, scope: str, target: int, report: Any, parts: list[tuple[str, int, Any]],
                    notes: list[str] | None = None) -> QualityReportDialog:
        """The report dialog (not modal: the user can keep it open beside the project)."""
        self.last_reports = [(scope, target, report), *parts]
        history = storage.history(self.project, scope, target) if self.project is not None else []
        dialog = QualityReportDialog(scope, target, report, parts, history, notes or [], self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.last_dialog = dialog
        dialog.show()
        return dialog


def submission_text(job_id: int, outcome: workflow.SubmitOutcome) -> str:
    """One sentence on what a submission did (accepted, returned for rework, sent to validation)."""
    if outcome.value is None:
        return f"Job #{job_id} sent to validation: there are no Ground Truth frames to check it against."
    score = f"{outcome.metric} {outcome.value:.3f}"
    target = f"target {outcome.threshold:.3f}"
    if outcome.decision == "accepted":
        return f"Job #{job_id} accepted: {score} meets the {target}."
    if outcome.decision == "returned":
        return (f"Job #{job_id} returned for rework: {score} is below the {target} "
                f"(attempt {outcome.attempts}). Fix the conflicts in the Quality panel and submit again.")
    return f"Job #{job_id} sent to validation: {score} is below the {target} after {outcome.attempts} attempts."
