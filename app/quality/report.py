"""Reports: a job report from compared frames, task and project roll-ups, CVAT's JSON layout.

``data`` follows CVAT's stored report (parameters, comparison_summary, frame_results); :meth:`Report.summary`
gives the REST summary fields (total_frames, validation_frames, validation_frame_share, conflict counts,
valid/ds/gt/total counts, accuracy, precision, recall, and tasks/jobs stats where they apply).
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.core.gc_pause import paused_gc
from app.quality.conflicts import Conflict, Severity
from app.quality.frame_compare import FrameComparator, FrameResult
from app.quality.objects import QFrame
from app.quality.stats import AnnotationsSummary, Components, FrameStats


@dataclass
class Report:
    """One comparison report (job, task or project)."""

    scope: str  # "job" | "task" | "project"
    parameters: dict[str, Any]
    frames: list[int] | None
    frame_count: int
    total_frames: int
    conflicts: list[Conflict]
    annotations: AnnotationsSummary
    components: Components
    frame_results: dict[int, FrameResult] | None = None
    frame_names: dict[int, str] = field(default_factory=dict)
    jobs: dict[str, list[int]] | None = None  # all, excluded, not_checkable
    tasks: dict[str, list[int]] | None = None  # all, custom, not_configured, excluded

    # ---------------------------------------------------------------- derived values

    @property
    def frame_share(self) -> float:
        return self.frame_count / (self.total_frames or 1)

    @property
    def mean_conflict_count(self) -> float:
        return len(self.conflicts) / (self.frame_count or 1)

    def conflict_counts(self) -> tuple[int, int, int, dict[str, int]]:
        by_severity = Counter(c.severity for c in self.conflicts)
        by_type = Counter(str(c.type) for c in self.conflicts)
        return (len(self.conflicts), by_severity.get(Severity.WARNING, 0), by_severity.get(Severity.ERROR, 0),
                dict(by_type))

    def jobs_summary(self) -> dict[str, int] | None:
        if self.jobs is None:
            return None
        total, excluded = len(self.jobs["all"]), len(self.jobs["excluded"])
        return {"total": total, "excluded": excluded, "not_checkable": len(self.jobs["not_checkable"]),
                "included": total - excluded}

    def tasks_summary(self) -> dict[str, int] | None:
        if self.tasks is None:
            return None
        n = {k: len(v) for k, v in self.tasks.items()}
        return {"total": n["all"], "custom": n["custom"], "not_configured": n["not_configured"],
                "excluded": n["excluded"], "included": n["all"] - n["custom"] - n["not_configured"] - n["excluded"]}

    def summary(self) -> dict[str, Any]:
        """CVAT's REST summary of the report."""
        count, warnings, errors, by_type = self.conflict_counts()
        a = self.annotations
        data: dict[str, Any] = {
            "total_frames": self.total_frames, "validation_frames": self.frame_count,
            "validation_frame_share": self.frame_share, "conflict_count": count, "warning_count": warnings,
            "error_count": errors, "conflicts_by_type": by_type, "valid_count": a.valid_count,
            "ds_count": a.ds_count, "gt_count": a.gt_count, "total_count": a.total_count,
            "accuracy": a.accuracy, "precision": a.precision, "recall": a.recall,
        }
        if self.tasks is not None:
            data["tasks"] = self.tasks_summary()
        if self.jobs is not None:
            data["jobs"] = self.jobs_summary()
        return data

    def to_data(self, *, frame_results: bool = True) -> dict[str, Any]:
        """The stored report JSON (CVAT's layout). ``frame_results=False`` leaves them None (see
        :meth:`frame_entries` for writing them one by one)."""
        count, warnings, errors, by_type = self.conflict_counts()
        comparison = {
            "frames": self.frames, "total_frames": self.total_frames, "frame_count": self.frame_count,
            "frame_share": self.frame_share, "mean_conflict_count": self.mean_conflict_count,
            "conflict_count": count, "warning_count": warnings, "error_count": errors, "conflicts_by_type": by_type,
            "annotations": self.annotations.to_dict(), "annotation_components": self.components.to_dict(),
            "tasks": self.tasks, "jobs": self.jobs,
        }
        entries = dict(self.frame_entries()) if frame_results and self.frame_results is not None else None
        return {"scope": self.scope, "parameters": self.parameters, "comparison_summary": comparison,
                "frame_results": entries, "frame_names": {str(k): v for k, v in self.frame_names.items()}}

    def frame_entries(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(frame id as text, stored per-frame result) in frame order of the report."""
        for fid, fr in (self.frame_results or {}).items():
            fc = Counter(str(c.type) for c in fr.conflicts)
            sev = Counter(c.severity for c in fr.conflicts)
            entry = {"conflicts": [c.to_dict() for c in fr.conflicts], "conflict_count": len(fr.conflicts),
                     "warning_count": sev.get(Severity.WARNING, 0), "error_count": sev.get(Severity.ERROR, 0),
                     "conflicts_by_type": dict(fc)}
            if fr.stats is not None:
                entry.update(fr.stats.to_dict())
            yield str(fid), entry

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Report:
        cs = data["comparison_summary"]
        frame_results = None
        conflicts: list[Conflict] = []
        if data.get("frame_results") is not None:
            frame_results = {}
            for key, fr in data["frame_results"].items():
                fconf = [Conflict.from_dict(c) for c in fr.get("conflicts", [])]
                conflicts += fconf
                stats = None
                if "annotations" in fr:
                    stats = FrameStats(AnnotationsSummary.from_dict(fr["annotations"]),
                                       Components.from_dict(fr["annotation_components"]))
                frame_results[int(key)] = FrameResult(int(key), fconf, stats)
        else:
            conflicts = [Conflict.from_dict(c) for c in data.get("conflicts", [])]
        return cls(scope=data.get("scope", "job"), parameters=data.get("parameters", {}), frames=cs.get("frames"),
                   frame_count=int(cs["frame_count"]), total_frames=int(cs["total_frames"]), conflicts=conflicts,
                   annotations=AnnotationsSummary.from_dict(cs["annotations"]),
                   components=Components.from_dict(cs["annotation_components"]), frame_results=frame_results,
                   frame_names={int(k): v for k, v in data.get("frame_names", {}).items()},
                   jobs=cs.get("jobs"), tasks=cs.get("tasks"))


# ----------------------------------------------------------------------------- job reports


def job_report(comparator: FrameComparator, pairs: Iterable[tuple[QFrame, QFrame]], total_frames: int,
               parameters: dict[str, Any], progress: Any = None, count: int | None = None) -> Report:
    """Compare (GT frame, job frame) pairs in GT frame order and sum them up as CVAT's job report does.

    ``pairs`` may be a generator (frames built chunk by chunk); ``count`` is then its length for progress."""
    if count is None:
        pairs = list(pairs)
        count = len(pairs)

    def results() -> Iterator[tuple[FrameResult, str]]:
        for gt, ds in pairs:
            yield comparator.compare(gt, ds), ds.name

    with paused_gc():
        return report_from_results(results(), total_frames, parameters, comparator.matrix_labels,
                                   comparator.settings.empty_is_annotated, progress=progress, count=count)


def report_from_results(results: Iterable[tuple[FrameResult, str]], total_frames: int, parameters: dict[str, Any],
                        labels: list[str], empty_is_annotated: bool, *, progress: Any = None,
                        count: int | None = None) -> Report:
    """A job report from compared frames ((result, job frame name) in GT frame order), as they come.
    ``progress(done, count)`` is called after each frame when given."""
    by_frame: dict[int, FrameResult] = {}
    names: dict[int, str] = {}
    for k, (result, name) in enumerate(results):
        by_frame[result.frame_id] = result
        names[result.frame_id] = name
        if progress is not None:
            progress(k + 1, count)
    return summarize_job(by_frame, names, total_frames, parameters, labels, empty_is_annotated)


def summarize_job(results: dict[int, FrameResult], names: dict[int, str], total_frames: int,
                  parameters: dict[str, Any], labels: list[str], empty_is_annotated: bool) -> Report:
    size = len(labels)
    matrix = np.zeros((size, size), dtype=np.int64)
    components = Components()
    mean_ious = []
    empty_ds, empty_gt = set(), set()
    conflicts: list[Conflict] = []
    for fid, fr in results.items():
        conflicts += fr.conflicts
        rows = fr.stats.annotations.rows
        matrix += rows
        if empty_is_annotated and not np.any(rows[np.triu_indices_from(rows)]):
            empty_ds.add(fid)
        if empty_is_annotated and not np.any(rows[np.tril_indices_from(rows)]):
            empty_gt.add(fid)
        components.accumulate(fr.stats.components)
        mean_ious.append(fr.stats.components.shape.mean_iou)
    annotations = AnnotationsSummary.from_matrix(matrix, labels)
    if empty_is_annotated:
        annotations.valid_count += len(empty_ds & empty_gt)
        annotations.total_count += len(empty_ds | empty_gt)
        annotations.ds_count += len(empty_ds)
        annotations.gt_count += len(empty_gt)
    components.shape.mean_iou = float(np.mean(mean_ious)) if mean_ious else float("nan")
    return Report(scope="job", parameters=parameters, frames=list(results), frame_count=len(results),
                  total_frames=total_frames, conflicts=conflicts, annotations=annotations, components=components,
                  frame_results=results, frame_names=names)


# ----------------------------------------------------------------------------- roll-ups


def task_report(job_reports: dict[int, Report], all_job_ids: Iterable[int], parameters: dict[str, Any],
                *, cvat_mean_iou: bool = False) -> Report:
    """Micro-average of the job reports (CVAT v2.73). The shape mean IoU is the mean of the jobs' values
    (jobs without frames left out); CVAT v2.73 always reports 0 here (a bug), ``cvat_mean_iou=True``
    reproduces that."""
    all_ids = sorted(set(all_job_ids))
    frames: set[int] = set()
    frame_count = total_frames = 0
    conflicts: list[Conflict] = []
    annotations = AnnotationsSummary()
    components = Components()
    job_means = []
    merged: dict[int, FrameResult] = {}
    seen: dict[int, int] = {}
    names: dict[int, str] = {}
    for report in job_reports.values():
        frames.update(report.frames or [])
        frame_count += report.frame_count
        total_frames += report.total_frames
        conflicts += report.conflicts
        annotations.accumulate(report.annotations)
        components.accumulate(report.components)
        job_means.append(report.components.shape.mean_iou)
        names.update(report.frame_names)
        for fid, fr in (report.frame_results or {}).items():
            _merge_frame(merged, seen, fid, fr)
    if cvat_mean_iou:
        components.shape.mean_iou = 0.0
    else:
        valid = [m for m in job_means if m is not None and not math.isnan(m)]
        components.shape.mean_iou = float(np.mean(valid)) if valid else float("nan")
    jobs = {"all": all_ids, "excluded": sorted(set(all_ids) - set(job_reports)),
            "not_checkable": sorted(j for j, r in job_reports.items() if not r.frame_count)}
    return Report(scope="task", parameters=parameters, frames=sorted(frames), frame_count=frame_count,
                  total_frames=total_frames, conflicts=conflicts, annotations=annotations, components=components,
                  frame_results=merged, frame_names=names, jobs=jobs)


def _merge_frame(merged: dict[int, FrameResult], seen: dict[int, int], fid: int, fr: FrameResult) -> None:
    count = seen.get(fid, 0)
    if fid not in merged:
        merged[fid] = copy.deepcopy(fr)
    else:
        target = merged[fid]
        target.conflicts = target.conflicts + fr.conflicts
        if target.stats is not None and fr.stats is not None:
            target.stats.annotations.accumulate(fr.stats.annotations)
            target.stats.components.accumulate(fr.stats.components)
            shape = target.stats.components.shape
            shape.mean_iou = (shape.mean_iou * count + fr.stats.components.shape.mean_iou) / (count + 1)
    seen[fid] = count + 1


def project_report(task_reports: dict[int, Report], all_task_ids: Iterable[int], parameters: dict[str, Any],
                   inherited: dict[int, bool], *, cvat_mean_iou: bool = False) -> Report:
    """Roll-up of task reports: counts extrapolated per task with ``ceil(count / frame_share)``.
    The shape mean IoU is the mean of the included tasks' values (CVAT v2.73 leaves it 0)."""
    all_ids = set(all_task_ids)
    not_configured = all_ids - set(task_reports)
    custom = {t for t in task_reports if not inherited.get(t, True)}
    with_jobs = {t for t, r in task_reports.items() if (r.jobs_summary() or {}).get("included", 0)}
    excluded = all_ids - not_configured - custom - with_jobs
    included = set(task_reports) - custom - not_configured - excluded
    jobs = {"all": set(), "excluded": set(), "not_checkable": set()}
    annotations = AnnotationsSummary()
    components = Components()
    conflicts: list[Conflict] = []
    frame_count = total_frames = 0
    for task_id in sorted(included):
        report = task_reports[task_id]
        for key in jobs:
            jobs[key].update((report.jobs or {}).get(key, []))
        total_frames += report.total_frames
        frame_count += report.frame_count
        weight = 1 / (report.frame_share or 1)
        annotations.accumulate(report.annotations, weight)
        components.accumulate(report.components, weight)
        conflicts += report.conflicts
    means = [task_reports[t].components.shape.mean_iou for t in sorted(included)]
    means = [m for m in means if m is not None and not math.isnan(m)]
    components.shape.mean_iou = 0.0 if cvat_mean_iou else (float(np.mean(means)) if means else float("nan"))
    return Report(scope="project", parameters=parameters, frames=None, frame_count=frame_count,
                  total_frames=total_frames, conflicts=conflicts, annotations=annotations, components=components,
                  frame_results=None, jobs={k: sorted(v) for k, v in jobs.items()},
                  tasks={"all": sorted(all_ids), "custom": sorted(custom), "not_configured": sorted(not_configured),
                         "excluded": sorted(excluded)})
