"""The project window's tree of tasks and their jobs, with annotation counts.

:func:`fill_tree` rebuilds it and keeps the row that was selected (by task or job id), so a refresh
never loses the user's selection. A task's count is its annotation jobs' objects; Ground Truth jobs
are counted apart ("GT: …"), as they are references, not annotations. Each job row has its own count.
In a team project the user's own jobs come first and a job being edited says by whom (its lease).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog, QMenu, QTreeWidget, QTreeWidgetItem, QWidget

from app.domain.enums import JobStage, JobState, JobType

if TYPE_CHECKING:
    from app.storage.store import Project

TASK_ROLE = Qt.ItemDataRole.UserRole + 1  # a task row's task id (job rows: UserRole = job id)


def count_text(counts: dict) -> str:
    return f"{counts['shapes']} shapes, {counts['tracks']} tracks, {counts['tags']} tags"


def _selected(tree: QTreeWidget) -> tuple[str, int] | None:
    item = tree.currentItem()
    if item is None:
        return None
    job_id = item.data(0, Qt.ItemDataRole.UserRole)
    if job_id is not None:
        return ("job", int(job_id))
    task_id = item.data(0, TASK_ROLE)
    return ("task", int(task_id)) if task_id is not None else None


def fill_tree(tree: QTreeWidget, project: Project, columns: int) -> None:
    """Rebuild ``tree`` from ``project`` and select again what was selected."""
    keep = _selected(tree)
    tree.clear()
    leases = project.job_leases()  # team context: who is on which job right now
    me = project.location.url.username if project.location.url is not None else None
    again: QTreeWidgetItem | None = None
    for task in project.tasks():
        task_item = QTreeWidgetItem([f"{task.name}  (#{task.id})", task.media_type, str(task.size), "", "", "", ""])
        task_item.setData(0, TASK_ROLE, task.id)
        tree.addTopLevelItem(task_item)
        work = {"shapes": 0, "tracks": 0, "tags": 0}
        gt = dict(work)
        for job in sorted(project.jobs(task.id), key=lambda j: bool(me) and j.assignee != me):
            frames = job.frame_list()  # the user's own jobs first in a team project
            lease = leases.get(job.id)
            assignee = job.assignee + (f"  (being edited by {lease.user} on {lease.host})" if lease else "")
            if lease and lease.host.startswith("field package"):
                assignee = job.assignee + f"  (in the field: {lease.host}, by {lease.user})"
            counts = project.counts(job_id=job.id)
            into = gt if job.type is JobType.GROUND_TRUTH else work
            for kind in into:
                into[kind] += counts[kind]
            item = QTreeWidgetItem([
                f"Job #{job.id}", job.type.value, f"{frames[0]}–{frames[-1]} ({len(frames)})",
                job.stage.value, job.state.value, assignee, count_text(counts),
            ])
            item.setData(0, Qt.ItemDataRole.UserRole, job.id)
            task_item.addChild(item)
            if keep == ("job", job.id):
                again = item
        has_gt = any(j.type is JobType.GROUND_TRUTH for j in project.jobs(task.id))
        task_item.setText(6, count_text(work) + (f"  (GT: {count_text(gt)})" if has_gt else ""))
        task_item.setExpanded(True)
        if keep == ("task", task.id):
            again = task_item
    if again is not None:
        tree.setCurrentItem(again)
    for column in range(columns):
        tree.resizeColumnToContents(column)


def job_context_menu(window: Any, project: Project, job_id: int, at: QPoint) -> None:
    """A job row's menu: open it, its stage, state and assignee, and the quality workflow actions
    (``window.quality_menu``)."""
    menu = QMenu(window)
    menu.addAction("Open", lambda: window.open_job(job_id))
    stage_menu = menu.addMenu("Stage")
    for stage in JobStage:
        stage_menu.addAction(stage.value, lambda s=stage: project.update_job(job_id, stage=s))
    state_menu = menu.addMenu("State")
    for state in JobState:
        state_menu.addAction(state.value, lambda s=state: project.update_job(job_id, state=s))
    menu.addAction("Assignee…", lambda: ask_assignee(window, project, job_id))
    menu.addSeparator()
    window.quality_menu.add_workflow_actions(menu, job_id)
    menu.exec(at)


def ask_assignee(parent: QWidget, project: Project, job_id: int) -> None:
    name, ok = QInputDialog.getText(parent, "Assignee", "Name", text=project.job(job_id).assignee)
    if ok:
        project.update_job(job_id, assignee=name.strip())
