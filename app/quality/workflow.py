"""Validation workflow of annotation jobs: submit (with automatic acceptance), accept, reject.

Stages and states are CVAT's (annotation/validation/acceptance; new/in progress/completed/rejected).
``submit`` computes the job's quality report against the task's GT job; when the target metric reaches
``target_metric_threshold`` the job is accepted automatically. Otherwise, while the job has used fewer
than ``max_validations_per_job`` attempts, it goes back to the annotator (rejected, immediate feedback);
once the attempts are used up (or with ``max_validations_per_job = 0``) it goes to validation, where a
reviewer accepts or rejects it. Every step is recorded in job.options["validation_history"].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.enums import JobStage, JobState, JobType
from app.domain.project import JobInfo
from app.quality import storage
from app.quality.service import QualityError, TaskResult, compute_task
from app.storage.store import now_iso


class WorkflowError(RuntimeError):
    """A workflow step is not allowed for the job in its current stage/state."""


@dataclass
class SubmitOutcome:
    decision: str  # "accepted" | "returned" | "validation"
    metric: str
    value: float | None
    threshold: float
    attempts: int
    report_id: int | None


def _record(project, job_id: int, event: dict[str, Any], **changes: Any) -> None:
    job = project.job(job_id)
    options = dict(job.options)
    options["validation_history"] = [*options.get("validation_history", []), {"time": now_iso(), **event}]
    if "attempts" in event:
        options["validation_attempts"] = event["attempts"]
    project.update_job(job_id, options=options, **changes)


def send_to_validation(project, job_id: int) -> None:
    job = project.job(job_id)
    if job.type is JobType.GROUND_TRUTH:
        raise WorkflowError("the Ground Truth job is not validated against itself")
    _record(project, job_id, {"event": "sent_to_validation"}, stage=JobStage.VALIDATION, state=JobState.NEW)


def accept(project, job_id: int, by: str = "") -> None:
    _record(project, job_id, {"event": "accepted", "by": by}, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)


def reject(project, job_id: int, by: str = "", reason: str = "") -> None:
    job = project.job(job_id)
    if job.stage is JobStage.ANNOTATION and job.state is JobState.NEW:
        raise WorkflowError(f"job {job_id} has not been submitted")
    _record(project, job_id, {"event": "rejected", "by": by, "reason": reason},
            stage=JobStage.ANNOTATION, state=JobState.REJECTED)


def check_submittable(project, job_id: int) -> JobInfo:
    """The job, if it can be submitted; else a WorkflowError saying why."""
    job = project.job(job_id)
    if job.type is not JobType.ANNOTATION:
        raise WorkflowError(f"job {job_id} is a {job.type.value} job; only annotation jobs are submitted")
    if job.stage is not JobStage.ANNOTATION:
        raise WorkflowError(f"job {job_id} is already at the {job.stage.value} stage")
    return job


def compute_for_submission(project, job_id: int, *, require_accepted_gt: bool = True) -> TaskResult | None:
    """The report a submission is judged by (None when the task has no usable GT). Read-only: it can
    run on a worker thread with its own read-only handle; :func:`apply_submission` then writes."""
    job = project.job(job_id)
    try:
        return compute_task(project, job.task_id, require_accepted_gt=require_accepted_gt, only_job=job_id)
    except QualityError:
        return None


def apply_submission(project, job_id: int, result: TaskResult | None) -> SubmitOutcome:
    """Accept the job, return it to the annotator, or send it to validation (CVAT's automatic
    acceptance: target metric >= threshold, at most ``max_validations_per_job`` attempts)."""
    job = check_submittable(project, job_id)
    attempts = int(job.options.get("validation_attempts", 0)) + 1
    report = result.jobs.get(job_id) if result else None
    if result is None or report is None or not report.frame_count:
        send_to_validation(project, job_id)
        return SubmitOutcome("validation", "accuracy", None, 0.0, attempts, None)
    settings = result.settings
    report_id = storage.save_task_result(project, job.task_id, result)
    value = float(report.summary()[settings.target_metric])
    event = {"event": "submitted", "attempts": attempts, "metric": settings.target_metric, "value": value,
             "report_id": report_id}
    if value >= settings.target_metric_threshold:
        decision, stage, state = "accepted", JobStage.ACCEPTANCE, JobState.COMPLETED
    elif attempts < settings.max_validations_per_job:
        decision, stage, state = "returned", JobStage.ANNOTATION, JobState.REJECTED
    else:
        decision, stage, state = "validation", JobStage.VALIDATION, JobState.NEW
    _record(project, job_id, {**event, "decision": decision}, stage=stage, state=state)
    return SubmitOutcome(decision, settings.target_metric, value, settings.target_metric_threshold, attempts,
                         report_id)


def submit(project, job_id: int, *, require_accepted_gt: bool = True) -> SubmitOutcome:
    """The annotator finished the job: check it against GT and accept, return or send it to validation."""
    check_submittable(project, job_id)
    result = compute_for_submission(project, job_id, require_accepted_gt=require_accepted_gt)
    return apply_submission(project, job_id, result)
