"""The Qt-free side of reviewing a report: the GT rule and its message, the human summary, the note
on scaled counts, per-conflict CSV, frame lists, and the GT shapes a conflict points at."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from app.domain.annotations import Shape, Track, TrackedShape
from app.domain.enums import JobStage, JobState, JobType, ShapeType
from app.domain.labels import Label
from app.domain.project import FrameInfo
from app.quality import review, service
from app.quality.conflicts import AnnotationRef, Conflict, ConflictType
from app.quality.csv_export import conflicts_to_csv
from app.quality.gt_frames import FrameSelection, FrameSelectionError, create_gt_job, parse_frames
from app.storage.store import Project


def box(frame: int, x: float, label: int) -> Shape:
    return Shape(ShapeType.RECTANGLE, frame, label, [x, 10, x + 20, 30])


@pytest.fixture
def project(tmp_path: Path):  # noqa: ANN201
    """Task 1 (8 frames, GT on frame 1 with 3 boxes, the job has 1 of them) and task 2 without GT."""
    with Project.create(tmp_path / "r.fmproj", "r", [Label("car")]) as p:
        p.create_task("t", [FrameInfo(i, f"{i}.png", 100, 60) for i in range(8)])
        p.create_task("u", [FrameInfo(0, "0.png", 100, 60)])
        car = p.labels().by_name("car").id
        job = next(j for j in p.jobs(1) if j.type is JobType.ANNOTATION)
        gt = create_gt_job(p, 1, FrameSelection("manual", frames=[1]))
        p.add_shapes(gt.id, [box(1, 0, car), box(1, 30, car), box(1, 60, car)])
        p.add_shapes(job.id, [box(1, 0, car)])
        yield p


def test_the_gt_rule_and_its_message(project) -> None:
    gt = next(j for j in project.jobs(1) if j.type is JobType.GROUND_TRUTH)
    with pytest.raises(service.QualityError) as info:
        service.compute_task(project, 1)
    assert str(info.value).startswith(f"the Ground Truth job {gt.id} of task 1 is annotation/")
    assert service.GT_RULE in str(info.value)
    assert service.compute_task(project, 1, require_accepted_gt=False).jobs  # the user allows it
    assert service.skipped_tasks(project) == {1: service.gt_problem(gt, 1, True), 2: "task 2 has no Ground Truth job"}
    project.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
    assert service.skipped_tasks(project) == {2: "task 2 has no Ground Truth job"}
    assert service.compute_task(project, 1).jobs


def test_summary_rows_and_the_scaling_note(project) -> None:
    result = service.compute_task(project, 1, require_accepted_gt=False)
    rows = dict(review.summary_rows(result.task))
    assert rows["Accuracy"] == "33.3%" and rows["Recall"] == "33.3%" and rows["Precision"] == "100.0%"
    assert rows["Ground Truth annotations"] == "3" and rows["Matched annotations"] == "1"
    assert rows["Frames checked"] == "1 of 8 (12.5%)"
    assert rows["Conflicts"] == "2 (2 errors, 0 warnings)" and rows["    Missing annotation"] == "2"
    assert rows["Jobs"].startswith("1 included of 1")
    assert "sums over the jobs" in review.scaling_note(result.task)
    report, tasks = service.compute_project(project, require_accepted_gt=False)
    assert report.annotations.gt_count == 24  # 3 GT boxes on 1 of 8 frames, scaled to the task: CVAT's rule
    note = review.scaling_note(report, [("task", t, r.task) for t, r in tasks.items()])
    assert "extrapolated to whole tasks" in note
    assert "task 1 has 3 Ground Truth annotations on 1 of 8 frames; the project counts them as 24" in note
    assert dict(review.summary_rows(report))["Tasks"].startswith("1 included of 2 (1 without usable Ground Truth")
    assert review.scaling_note(service.compute_task(project, 1, require_accepted_gt=False).jobs[1]) == ""


def test_conflict_sides_and_the_per_conflict_csv(project) -> None:
    job = AnnotationRef(5, 1, "shape", "rectangle")
    gt = AnnotationRef(9, 2, "track", "polygon")
    assert review.conflict_sides(Conflict(3, ConflictType.MISSING_ANNOTATION, [gt])) == ([], [gt])
    assert review.conflict_sides(Conflict(3, ConflictType.EXTRA_ANNOTATION, [job])) == ([job], [])
    assert review.conflict_sides(Conflict(3, ConflictType.LOW_OVERLAP, [job, gt])) == ([job], [gt])
    assert review.gt_refs([job.to_dict(), gt.to_dict()], job_id=1) == [gt]
    result = service.compute_task(project, 1, require_accepted_gt=False)
    rows = list(csv.DictReader(io.StringIO(conflicts_to_csv(result.task))))
    assert [(r["frame"], r["frame_name"], r["type"], r["severity"], r["job_annotations"]) for r in rows] == [
        ("1", "1.png", "missing_annotation", "error", "")] * 2
    assert all(r["gt_annotations"].startswith("shape:") for r in rows)


def test_parse_frames() -> None:
    assert parse_frames("1, 3 5-7,3") == [1, 3, 5, 6, 7]
    assert parse_frames("") == []
    for bad in ("x", "7-5", "-3", "1-"):
        with pytest.raises(FrameSelectionError):
            parse_frames(bad)


def test_gt_shapes_of_shapes_and_tracks(project) -> None:
    gt = next(j for j in project.jobs(1) if j.type is JobType.GROUND_TRUTH)
    car = project.labels().by_name("car").id
    shapes = project.frame_shapes(gt.id, 1)
    (track_id,) = project.add_tracks(gt.id, [Track(car, 0, [TrackedShape(ShapeType.RECTANGLE, 0, [0, 0, 10, 10]),
                                                          TrackedShape(ShapeType.RECTANGLE, 2, [20, 0, 30, 10])])])
    refs = [AnnotationRef(shapes[1].id, gt.id, "shape", "rectangle"), AnnotationRef(track_id, gt.id, "track", "rectangle"),
            AnnotationRef(999, gt.id, "shape", "rectangle")]  # the last one was deleted since: left out
    found = review.gt_shapes(project, 1, refs)
    assert [s.points for s in found] == [shapes[1].points, [10.0, 0.0, 20.0, 10.0]]  # the track interpolated


def test_cli_gt_job_with_a_bad_frame_list_says_so(project, capsys) -> None:
    from app.cli import main

    path = project.location.display
    project.close()
    assert main(["quality", "gt-job", path, "--task", "2", "--method", "manual", "--frames", "0,a"]) == 2
    assert "'a' is not a frame number" in capsys.readouterr().err
