"""Compute quality reports of a project's jobs, tasks and the project (CVAT v2.73 procedure).

A task report needs the task's Ground Truth job (stage ``acceptance``, state ``completed`` unless
``require_accepted_gt=False``). Jobs of the task other than the GT job are filtered by ``job_filter``;
each included job is compared on the GT frames it contains (for honeypot jobs: its pool frames).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.work import CancelToken, Progress, ProgressFn
from app.domain.enums import JobStage, JobState, JobType
from app.domain.project import JobInfo
from app.quality import jsonlogic
from app.quality.frames import FrameMeta, StoreFrames
from app.quality.gt_frames import gt_job
from app.quality.objects import LabelIndex
from app.quality.report import Report, project_report, task_report
from app.quality.settings import QualitySettings, effective_settings
from app.quality.store_compare import store_job_report


class QualityError(RuntimeError):
    """A report cannot be computed (reason in the message)."""


@dataclass
class TaskResult:
    task: Report
    jobs: dict[int, Report]
    settings: QualitySettings
    inherited: bool
    gt_job_id: int


def job_filter_passes(job: JobInfo, task_name: str, rule: object) -> bool:
    if rule is None:
        return True
    data = {"id": job.id, "type": job.type.value, "state": job.state.value, "stage": job.stage.value,
            "assignee": job.assignee or None, "task_id": job.task_id, "task_name": task_name}
    return bool(jsonlogic.evaluate(rule, data))


GT_RULE = ("Quality reports count a task's Ground Truth job only once it is accepted and completed "
           "(CVAT's rule), unless unfinished Ground Truth is allowed ('Allow unfinished Ground Truth' in the "
           "Quality menu or the quality panel; --any-gt on the command line).")


def gt_is_finished(gt: JobInfo) -> bool:
    """CVAT's rule: the GT job is at the acceptance stage and in the completed state."""
    return gt.stage is JobStage.ACCEPTANCE and gt.state is JobState.COMPLETED


def gt_problem(gt: JobInfo | None, task_id: int, require_accepted: bool) -> str | None:
    """Why the task's GT job cannot be used under the rule (None when it can)."""
    if gt is None:
        return f"task {task_id} has no Ground Truth job"
    if require_accepted and not gt_is_finished(gt):
        return (f"the Ground Truth job {gt.id} of task {task_id} is {gt.stage.value}/{gt.state.value}, "
                f"not acceptance/completed")
    return None


def check_gt_ready(gt: JobInfo | None, task_id: int, require_accepted: bool) -> JobInfo:
    problem = gt_problem(gt, task_id, require_accepted)
    if problem is not None:
        hint = f". {GT_RULE}" if gt is not None else ""
        raise QualityError(problem + hint)
    return gt  # type: ignore[return-value]


def skipped_tasks(project, *, require_accepted_gt: bool = True) -> dict[int, str]:
    """Tasks a project report leaves out as not configured, with the reason for each."""
    out = {}
    for task in project.tasks():
        problem = gt_problem(gt_job(project, task.id), task.id, require_accepted_gt)
        if problem is not None:
            out[task.id] = problem
    return out


def compute_task(project, task_id: int, *, require_accepted_gt: bool = True, progress: ProgressFn | None = None,
                 token: CancelToken | None = None, only_job: int | None = None) -> TaskResult:
    """Job reports for the included jobs and the task roll-up. A cancelled ``token`` raises
    :class:`app.core.work.Cancelled` within one chunk of frames; nothing is kept."""
    task = project.task(task_id)
    gt = check_gt_ready(gt_job(project, task_id), task_id, require_accepted_gt)
    settings, inherited = effective_settings(project, task_id)
    params = settings.parameters(inherited=inherited)
    rule = jsonlogic.parse(settings.job_filter)
    all_jobs = [j for j in project.jobs(task_id) if j.type is not JobType.GROUND_TRUTH]
    included = [j for j in all_jobs if job_filter_passes(j, task.name, rule)]
    if only_job is not None:
        included = [j for j in included if j.id == only_job]
    labels = LabelIndex(list(project.labels()))
    infos = {f.index: f for f in project.frames(task_id)}
    gt_frames_list = sorted(gt.frame_list())
    gt_metas = [FrameMeta(f, infos[f].name, infos[f].width, infos[f].height) for f in gt_frames_list if f in infos]
    gt_source = StoreFrames(project, gt.id, labels)
    reports: dict[int, Report] = {}
    for k, job in enumerate(included):
        if token is not None:
            token.check()
        in_job = set(job.frame_list())
        metas = [m for m in gt_metas if m.frame_id in in_job]
        ds_source = StoreFrames(project, job.id, labels)

        def step(done: int, total: int, _k: int = k, _job: JobInfo = job) -> None:
            if token is not None:
                token.check()
            if progress is not None:
                progress(Progress(_k * 1000 + done * 1000 // max(total, 1), len(included) * 1000, f"job {_job.id}"))

        reports[job.id] = store_job_report(settings, list(project.labels()), gt_source, ds_source, metas,
                                           len(job.frame_list()), params, progress=step)
    task_rep = task_report(reports, [j.id for j in all_jobs], params)
    return TaskResult(task_rep, reports, settings, inherited, gt.id)


def compute_project(project, *, task_results: dict[int, TaskResult] | None = None,
                    require_accepted_gt: bool = True, progress: ProgressFn | None = None,
                    token: CancelToken | None = None) -> tuple[Report, dict[int, TaskResult]]:
    """The project roll-up; task results are computed for every task with a usable GT job unless given."""
    settings, _ = effective_settings(project, None)
    tasks = project.tasks()
    results: dict[int, TaskResult] = dict(task_results or {})
    for k, task in enumerate(tasks):
        if task.id in results:
            continue
        if token is not None:
            token.check()
        if progress is not None:
            progress(Progress(k, len(tasks), f"task {task.id}"))
        try:
            results[task.id] = compute_task(project, task.id, require_accepted_gt=require_accepted_gt,
                                            token=token)
        except QualityError:
            continue  # not configured: counted in the project's task stats
    report = project_report({t: r.task for t, r in results.items()}, [t.id for t in tasks],
                            settings.parameters(), {t: r.inherited for t, r in results.items()})
    return report, results
