"""Quality reports in the project's ``quality_report`` table: save, list (history), load, staleness.

Each row stores the scope (job/task/project) and target id, the parent report (job -> task -> project),
the creation time, the settings used, the revisions of every job the report read (job.revision is bumped
on every annotation change), the REST summary and the full report JSON. A report is out of date once any
of those revisions or the effective settings differ from now.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from app.domain.enums import JobType
from app.quality.report import Report
from app.quality.service import TaskResult
from app.quality.settings import QualitySettings, effective_settings
from app.storage.store import now_iso


@dataclass
class ReportInfo:
    id: int
    scope: str
    target_id: int
    parent_id: int | None
    created: str
    settings: dict[str, Any]
    revisions: dict[str, int]
    summary: dict[str, Any]


@dataclass
class PreparedReport:
    """A report serialized for storage (JSON text), with its child reports; built off the GUI thread."""

    scope: str
    target_id: int
    settings: str
    revisions: str
    summary: str
    data: str
    children: list[PreparedReport]


def prepare(scope: str, target_id: int, settings: QualitySettings, revisions: dict[int, int], report: Report,
            children: list[PreparedReport] | None = None) -> PreparedReport:
    return PreparedReport(scope, target_id, json.dumps(settings.to_dict()),
                          json.dumps({str(k): v for k, v in revisions.items()}), json.dumps(report.summary()),
                          json.dumps(report.to_data()), children or [])


def _revisions(project, job_ids: list[int]) -> dict[int, int]:
    return {j: project.job(j).revision for j in job_ids}


def prepare_task_result(project, task_id: int, result: TaskResult) -> PreparedReport:
    """Serialize a task report and its job reports, with the job revisions read from ``project``."""
    job_ids = [j.id for j in project.jobs(task_id)]
    children = [prepare("job", job_id, result.settings, _revisions(project, [job_id, result.gt_job_id]), report)
                for job_id, report in result.jobs.items()]
    return prepare("task", task_id, result.settings, _revisions(project, job_ids), result.task, children)


def insert_prepared(project, prepared: PreparedReport, parent_id: int | None = None) -> int:
    """Write a prepared report and its children in one transaction; returns the top report's id."""
    created = now_iso()
    with project.transaction() as conn:
        return _insert_tree(conn, prepared, parent_id, created)


def _insert_tree(conn, item: PreparedReport, parent_id: int | None, created: str) -> int:
    row = int(conn.execute(text(
        "INSERT INTO quality_report (scope, target_id, parent_id, created, settings, revisions, summary, data) "
        "VALUES (:scope, :target_id, :parent_id, :created, :settings, :revisions, :summary, :data) RETURNING id"),
        {"scope": item.scope, "target_id": item.target_id, "parent_id": parent_id, "created": created,
         "settings": item.settings, "revisions": item.revisions, "summary": item.summary, "data": item.data},
    ).scalar_one())
    for child in item.children:
        _insert_tree(conn, child, row, created)
    return row


def save_task_result(project, task_id: int, result: TaskResult, parent_id: int | None = None) -> int:
    """Store a task report and its job reports (children) atomically; returns the task report id."""
    return insert_prepared(project, prepare_task_result(project, task_id, result), parent_id)


def save_project_report(project, report: Report, task_results: dict[int, TaskResult]) -> int:
    settings, _ = effective_settings(project, None)
    job_ids = [j.id for t in task_results for j in project.jobs(t)]
    children = [prepare_task_result(project, t, r) for t, r in task_results.items()]
    return insert_prepared(project, prepare("project", 0, settings, _revisions(project, job_ids), report, children))


def _info(r) -> ReportInfo:
    return ReportInfo(id=r[0], scope=r[1], target_id=r[2], parent_id=r[3], created=r[4], settings=json.loads(r[5]),
                      revisions=json.loads(r[6]), summary=json.loads(r[7]))


_COLUMNS = "id, scope, target_id, parent_id, created, settings, revisions, summary"


def history(project, scope: str, target_id: int) -> list[ReportInfo]:
    """Reports of one job/task (target id) or of the project (target 0), newest first."""
    rows = project.conn.execute(text(
        f"SELECT {_COLUMNS} FROM quality_report WHERE scope = :scope AND target_id = :target ORDER BY id DESC"),
        {"scope": scope, "target": target_id})
    return [_info(r) for r in rows]


def latest(project, scope: str, target_id: int) -> ReportInfo | None:
    items = history(project, scope, target_id)
    return items[0] if items else None


def children(project, report_id: int) -> list[ReportInfo]:
    rows = project.conn.execute(
        text(f"SELECT {_COLUMNS} FROM quality_report WHERE parent_id = :id ORDER BY id"), {"id": report_id})
    return [_info(r) for r in rows]


def load(project, report_id: int) -> Report:
    row = project.conn.execute(text("SELECT data FROM quality_report WHERE id = :id"), {"id": report_id}).first()
    if row is None:
        raise KeyError(f"no quality report {report_id}")
    return Report.from_data(json.loads(row[0]))


def outdated_reason(project, info: ReportInfo) -> str | None:
    """Why a stored report no longer describes the project (None when it is current)."""
    for job_id, revision in info.revisions.items():
        try:
            job = project.job(int(job_id))
        except Exception:  # noqa: BLE001 - ProjectError: the job was deleted since
            return f"job {job_id} was deleted"
        if job.revision != revision:
            return f"job {job_id} changed (revision {revision} -> {job.revision})"
    task_id = None
    if info.scope == "task":
        task_id = info.target_id
    elif info.scope == "job":
        task_id = project.job(info.target_id).task_id
    current, _ = effective_settings(project, task_id)
    stored = QualitySettings.from_dict(info.settings, strict=False)
    if stored.comparison_key() != current.comparison_key():
        return "quality settings changed"
    if info.scope == "task":
        jobs_now = {str(j.id) for j in project.jobs(info.target_id)}
        if jobs_now != set(info.revisions):
            return "the task's jobs changed"
        if not any(j.type is JobType.GROUND_TRUTH for j in project.jobs(info.target_id)):
            return "the Ground Truth job was removed"
    return None


def is_outdated(project, info: ReportInfo) -> bool:
    return outdated_reason(project, info) is not None
