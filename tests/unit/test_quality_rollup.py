"""Per-frame statistics, job summaries and task/project roll-ups (formulas and CVAT quirks)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.domain.annotations import Annotations, Tag
from app.quality.compare import compare_jobs
from app.quality.frames import FrameMeta
from app.quality.report import Report, project_report, task_report
from app.quality.settings import QualitySettings
from app.quality.stats import AnnotationsSummary
from tests.unit.test_quality_matching import CAR, DOG, LABELS, ann, rect, run


def frames(*ids: int) -> list[FrameMeta]:
    return [FrameMeta(i, f"{i}.png", 200, 200) for i in ids]


def on(frame: int, *shapes, tags=()) -> Annotations:
    for s in shapes:
        s.frame = frame
    for t in tags:
        t.frame = frame
    return Annotations(shapes=list(shapes), tags=list(tags))


def merge(*parts: Annotations) -> Annotations:
    out = Annotations()
    for p in parts:
        out.extend(p)
    return out


def test_headline_metrics_count_tags_and_label_mismatches() -> None:
    gt = ann(rect(0, 0, 10, 10), rect(50, 50, 60, 60), rect(100, 100, 110, 110), tags=[Tag(0, CAR)])
    ds = ann(rect(0, 0, 10, 10), rect(50, 50, 60, 60, label=DOG), rect(150, 150, 160, 160), tags=[Tag(0, CAR)])
    a = run(gt, ds).stats.annotations
    # valid: box + tag; mismatch 1; missing 1; extra 1
    assert (a.valid_count, a.total_count, a.ds_count, a.gt_count) == (2, 5, 4, 4)
    assert (a.missing_count, a.extra_count) == (1, 1)
    assert a.accuracy == 2 / 5 and a.precision == 2 / 4 and a.recall == 2 / 4


def test_shape_and_label_components() -> None:
    gt = ann(rect(0, 0, 10, 10), rect(50, 50, 60, 60), tags=[Tag(0, CAR)])
    ds = ann(rect(0, 0, 10, 10), rect(50, 50, 60, 60, label=DOG), tags=[Tag(0, DOG)])
    c = run(gt, ds).stats.components
    assert (c.shape.valid_count, c.shape.total_count, c.shape.ds_count, c.shape.gt_count) == (2, 2, 2, 2)
    assert (c.label.valid_count, c.label.invalid_count, c.label.total_count) == (1, 2, 3)


def test_per_label_confusion_metrics() -> None:
    m = np.array([[2, 1, 0, 0], [0, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]])
    s = AnnotationsSummary.from_matrix(m, ["car", "dog", "skel", "unmatched"])
    per = s.per_label()
    assert per["precision"][:2] == [2 / 3, 1 / 2]
    assert per["recall"][:2] == [2 / 3, 1 / 2]
    assert per["jaccard_index"][0] == 2 / (3 + 3 - 2)
    assert per["accuracy"][0] == (6 - 1 - 1) / 6
    assert per["precision"][2] == 0


def test_empty_is_annotated_frame_and_job() -> None:
    settings = QualitySettings(empty_is_annotated=True)
    both_empty = run(ann(), ann(), settings).stats
    assert (both_empty.annotations.valid_count, both_empty.annotations.total_count) == (1, 1)
    assert both_empty.components.shape.valid_count == 1 and both_empty.components.label.total_count == 1
    off = run(ann(), ann()).stats.annotations
    assert (off.valid_count, off.total_count, off.accuracy) == (0, 0, 0.0)
    report = compare_jobs(LABELS, Annotations(), Annotations(), frames(0, 1), total_frames=2, settings=settings)
    assert (report.annotations.valid_count, report.annotations.total_count) == (2, 2)
    assert report.annotations.accuracy == 1.0


def test_empty_is_annotated_triangle_quirk() -> None:
    # one job tag 'skel' (label index 2) vs one GT tag 'car' (index 0): the frame counts as "job-empty"
    settings = QualitySettings(empty_is_annotated=True)
    gt = on(0, tags=[Tag(0, CAR)])
    ds = on(0, tags=[Tag(0, 10)])
    report = compare_jobs(LABELS, gt, ds, frames(0), total_frames=1, settings=settings)
    assert (report.annotations.ds_count, report.annotations.total_count) == (2, 2)
    assert report.annotations.valid_count == 0


def test_job_summary_frames_and_mean_iou() -> None:
    gt = merge(on(0, rect(0, 0, 10, 10)), on(3, rect(0, 0, 10, 10)))
    ds = merge(on(0, rect(2, 0, 12, 10)), on(3, rect(0, 0, 10, 10)))
    report = compare_jobs(LABELS, gt, ds, frames(0, 3, 5), total_frames=10)
    s = report.summary()
    assert (s["validation_frames"], s["total_frames"], s["validation_frame_share"]) == (3, 10, 0.3)
    assert report.frames == [0, 3, 5]
    # mean of per-frame means; the empty frame 5 contributes 0
    assert report.components.shape.mean_iou == pytest.approx((80 / 120 + 1 + 0) / 3)
    assert report.mean_conflict_count == 1 / 3


def test_job_without_frames_is_not_checkable() -> None:
    report = compare_jobs(LABELS, Annotations(), Annotations(), [], total_frames=4)
    assert report.frame_count == 0 and report.total_frames == 4
    assert math.isnan(report.components.shape.mean_iou)
    assert report.to_data()["comparison_summary"]["annotation_components"]["shape"]["mean_iou"] is None


def two_jobs() -> dict[int, Report]:
    gt = merge(on(0, rect(0, 0, 10, 10)), on(4, rect(0, 0, 10, 10)))
    j1 = compare_jobs(LABELS, gt, on(0, rect(0, 0, 10, 10)), frames(0), total_frames=5, ds_job_id=1)
    j2 = compare_jobs(LABELS, gt, on(4, rect(50, 50, 60, 60)), frames(4), total_frames=5, ds_job_id=2)
    return {1: j1, 2: j2}


def test_task_report_sums_jobs_and_fixes_cvat_mean_iou_bug() -> None:
    jobs = two_jobs()
    task = task_report(jobs, [1, 2, 3], QualitySettings().parameters())
    s = task.summary()
    assert (s["valid_count"], s["ds_count"], s["gt_count"], s["total_count"]) == (1, 2, 2, 3)
    assert s["jobs"] == {"total": 3, "excluded": 1, "not_checkable": 0, "included": 2}
    assert (task.frame_count, task.total_frames) == (2, 10)
    assert task.components.shape.mean_iou == pytest.approx((1.0 + 0.0) / 2)  # the mean of the job values
    assert task_report(jobs, [1, 2, 3], {}, cvat_mean_iou=True).components.shape.mean_iou == 0.0  # CVAT


def test_task_frame_count_double_counts_overlaps() -> None:
    gt = on(2, rect(0, 0, 10, 10))
    j1 = compare_jobs(LABELS, gt, on(2, rect(0, 0, 10, 10)), frames(2), total_frames=3, ds_job_id=1)
    j2 = compare_jobs(LABELS, gt, on(2, rect(0, 0, 10, 10)), frames(2), total_frames=3, ds_job_id=2)
    task = task_report({1: j1, 2: j2}, [1, 2], {})
    assert task.frame_count == 2 and task.frames == [2]
    assert task.frame_results[2].stats.annotations.valid_count == 2


def test_project_report_extrapolates_with_ceil() -> None:
    jobs = two_jobs()
    task = task_report(jobs, [1, 2], {})  # frame share 2/10 -> weight 5
    other = task_report({}, [7], {})
    project = project_report({1: task, 2: other, 3: task}, [1, 2, 3, 4], {}, inherited={1: True, 2: True, 3: False})
    s = project.summary()
    assert s["tasks"] == {"total": 4, "custom": 1, "not_configured": 1, "excluded": 1, "included": 1}
    assert (s["valid_count"], s["ds_count"], s["gt_count"], s["total_count"]) == (5, 10, 10, 15)
    assert project.frames is None and project.frame_count == 2
    assert s["jobs"]["total"] == 2
    assert project.annotations.rows.sum() == 15
    assert project.components.shape.mean_iou == task.components.shape.mean_iou


def test_report_json_round_trip() -> None:
    jobs = two_jobs()
    data = jobs[2].to_data()
    again = Report.from_data(data)
    assert again.summary() == jobs[2].summary()
    assert again.to_data()["comparison_summary"] == data["comparison_summary"]


def test_project_ceil_is_per_field() -> None:
    gt = merge(on(0, rect(0, 0, 10, 10)), on(1, rect(0, 0, 10, 10)))
    ds = merge(on(0, rect(0, 0, 10, 10)), on(1, rect(100, 100, 110, 110)))
    job = compare_jobs(LABELS, gt, ds, frames(0, 1, 2), total_frames=10)  # share 0.3 -> weight 10/3
    task = task_report({1: job}, [1], {})
    project = project_report({1: task}, [1], {}, inherited={1: True})
    a = project.annotations
    # valid 1, missing 1, extra 1, total 3, ds 2, gt 2 -> ceil(x * 10/3) each
    assert (a.valid_count, a.missing_count, a.extra_count, a.total_count, a.ds_count, a.gt_count) == (4, 4, 4, 10, 7, 7)
    assert a.accuracy == 4 / 10
