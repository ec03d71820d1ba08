"""Quality in a project: settings inheritance, GT jobs, honeypots, reports, storage, workflow, consensus."""

from __future__ import annotations

import json

import pytest

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import JobStage, JobState, JobType, ShapeType
from app.domain.project import FrameInfo
from app.quality import service, storage, workflow
from app.quality.consensus import agreement, merge_task
from app.quality.gt_frames import FrameSelection, FrameSelectionError, create_gt_job, select_frames
from app.quality.honeypots import honeypot_frames, redraw_honeypots, setup_honeypots
from app.quality.settings import QualitySettings, SettingsError, effective_settings, save_settings
from app.storage.store import Project
from tests.unit.test_quality_matching import make_labels

CAR = 1


def box(frame: int, x: float, label: int = CAR) -> Shape:
    return Shape(ShapeType.RECTANGLE, frame, label, [x, 10, x + 20, 30])


@pytest.fixture
def project(project_location: str):
    labels = make_labels()
    for lbl in labels:
        lbl.id = None
        for a in lbl.attributes:
            a.id = None
        for s in lbl.sublabels:
            s.id = None
            s.parent_id = None
    proj = Project.create(project_location, "p", labels)
    frames = [FrameInfo(i, f"{i}.png", 100, 60) for i in range(10)]
    proj.create_task("t", frames, segment_size=5)
    yield proj
    proj.close()


def car_id(project) -> int:
    return project.labels().by_name("car").id


def accepted_gt(project, frames=(1, 6)):
    gt = create_gt_job(project, 1, FrameSelection(method="manual", frames=list(frames)))
    project.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
    return project.job(gt.id)


# ----------------------------------------------------------------------------- settings


def test_settings_defaults_ranges_and_inheritance(project) -> None:
    assert QualitySettings().iou_threshold == 0.4 and QualitySettings().target_metric == "accuracy"
    with pytest.raises(SettingsError, match="iou_threshold"):
        QualitySettings.from_dict({"iou_threshold": 1.5})
    with pytest.raises(SettingsError, match="point_size_base"):
        QualitySettings.from_dict({"point_size_base": "huge"})
    with pytest.raises(SettingsError, match="unknown"):
        QualitySettings.from_dict({"iou_treshold": 0.5})
    with pytest.raises(SettingsError, match="max_validations_per_job"):
        QualitySettings.from_dict({"max_validations_per_job": -1})
    save_settings(project, QualitySettings(iou_threshold=0.6))
    settings, inherited = effective_settings(project, 1)
    assert settings.iou_threshold == 0.6 and inherited
    save_settings(project, QualitySettings(iou_threshold=0.3, inherit=False), task_id=1)
    settings, inherited = effective_settings(project, 1)
    assert settings.iou_threshold == 0.3 and not inherited
    save_settings(project, QualitySettings(iou_threshold=0.3, inherit=True), task_id=1)
    assert effective_settings(project, 1)[0].iou_threshold == 0.6


# ----------------------------------------------------------------------------- GT frames and honeypots


def test_gt_selection_methods_are_seeded() -> None:
    frames = range(100)
    a, seed = select_frames(FrameSelection(frame_count=10, seed=5), frames)
    b, _ = select_frames(FrameSelection(frame_count=10, seed=5), frames)
    assert a == b and len(a) == 10 and seed == 5 and a == sorted(a)
    assert select_frames(FrameSelection(frame_share=0.25, seed=1), frames)[0].__len__() == 25
    per_job, _ = select_frames(FrameSelection(method="random_per_job", frames_per_job_count=2, seed=3), frames,
                               [range(0, 50), range(50, 100)])
    assert len([f for f in per_job if f < 50]) == 2 and len(per_job) == 4
    assert select_frames(FrameSelection(method="manual", frames=[3, 1]), frames)[0] == [1, 3]
    with pytest.raises(FrameSelectionError):
        select_frames(FrameSelection(frame_count=3, frame_share=0.1), frames)
    with pytest.raises(FrameSelectionError):
        select_frames(FrameSelection(method="manual", frames=[500]), frames)


def test_one_gt_job_per_task(project) -> None:
    job = create_gt_job(project, 1, FrameSelection(frame_count=3, seed=9))
    assert job.type is JobType.GROUND_TRUTH and len(job.frame_list()) == 3
    assert job.options["frame_selection"]["seed"] == 9
    with pytest.raises(FrameSelectionError, match="already"):
        create_gt_job(project, 1, FrameSelection(frame_count=3, seed=9))


def test_honeypots_mix_pool_frames_and_reports_map_them(project) -> None:
    gt = setup_honeypots(project, 1, pool_frames=[4, 9], frames_per_job=1, seed=2)
    assert gt.frame_list() == [4, 9]
    jobs = [j for j in project.jobs(1) if j.type is JobType.ANNOTATION]
    for job in jobs:
        hp = honeypot_frames(job)
        assert len(hp) == 1 and hp[0] in (4, 9)
        regular = [f for f in job.frame_list() if f not in (4, 9)]
        assert len(job.frame_list()) == len(regular) + 1
    assert project.task(1).options["validation"]["pool"] == [4, 9]
    job = jobs[0]
    real = honeypot_frames(job)[0]
    project.add_shapes(gt.id, [box(real, 10)])
    project.add_shapes(job.id, [box(real, 10)])
    project.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
    result = service.compute_task(project, 1)
    report = result.jobs[job.id]
    assert report.frames == [real] and report.total_frames == len(job.frame_list())
    assert report.summary()["valid_count"] == 1
    again = redraw_honeypots(project, job.id, seed=7)
    assert honeypot_frames(again) != [real]
    assert project.annotations(job.id).shapes == []


# ----------------------------------------------------------------------------- reports and storage


def test_task_report_requires_accepted_gt_and_applies_job_filter(project) -> None:
    with pytest.raises(service.QualityError, match="no Ground Truth"):
        service.compute_task(project, 1)
    gt = create_gt_job(project, 1, FrameSelection(method="manual", frames=[1, 6]))
    with pytest.raises(service.QualityError, match="acceptance"):
        service.compute_task(project, 1)
    project.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
    project.add_shapes(gt.id, [box(1, 10), box(6, 10)])
    jobs = [j for j in project.jobs(1) if j.type is JobType.ANNOTATION]
    project.add_shapes(jobs[0].id, [box(1, 10)])
    project.add_shapes(jobs[1].id, [box(6, 50)])
    result = service.compute_task(project, 1)
    assert result.task.summary()["valid_count"] == 1 and result.task.summary()["total_count"] == 3
    assert result.task.jobs_summary() == {"total": 2, "excluded": 0, "not_checkable": 0, "included": 2}
    save_settings(project, QualitySettings(job_filter=json.dumps({"==": [{"var": "id"}, jobs[0].id]})))
    filtered = service.compute_task(project, 1)
    assert list(filtered.jobs) == [jobs[0].id] and filtered.task.jobs_summary()["excluded"] == 1


def test_reports_are_stored_listed_and_go_out_of_date(project) -> None:
    gt = accepted_gt(project)
    job = next(j for j in project.jobs(1) if j.type is JobType.ANNOTATION)
    project.add_shapes(gt.id, [box(1, 10)])
    project.add_shapes(job.id, [box(1, 12)])
    task_row = storage.save_task_result(project, 1, service.compute_task(project, 1))
    info = storage.latest(project, "task", 1)
    assert info.id == task_row and not storage.is_outdated(project, info)
    job_info = storage.latest(project, "job", job.id)
    assert job_info.parent_id == task_row and job_info.summary["valid_count"] == 1
    assert storage.load(project, job_info.id).summary() == job_info.summary
    assert [c.scope for c in storage.children(project, task_row)] == ["job", "job"]
    project.add_shapes(job.id, [box(1, 60)])
    assert "changed" in storage.outdated_reason(project, info)
    storage.save_task_result(project, 1, service.compute_task(project, 1))
    assert len(storage.history(project, "task", 1)) == 2
    latest = storage.latest(project, "task", 1)
    assert not storage.is_outdated(project, latest)
    save_settings(project, QualitySettings(iou_threshold=0.5))
    assert storage.outdated_reason(project, latest) == "quality settings changed"


def test_project_report(project) -> None:
    gt = accepted_gt(project)
    job = next(j for j in project.jobs(1) if j.type is JobType.ANNOTATION)
    project.add_shapes(gt.id, [box(1, 10)])
    project.add_shapes(job.id, [box(1, 10)])
    second = project.create_task("other", [FrameInfo(0, "a.png", 10, 10)])
    report, results = service.compute_project(project)
    s = report.summary()
    assert s["tasks"]["total"] == 2 and s["tasks"]["not_configured"] == 1 and second.id not in results
    # one valid box on 2 of 10 frames -> extrapolated by ceil(1 * 5)
    assert s["valid_count"] == 5
    row = storage.save_project_report(project, report, results)
    assert storage.latest(project, "project", 0).id == row


# ----------------------------------------------------------------------------- workflow


def test_submit_accepts_returns_or_sends_to_validation(project) -> None:
    gt = accepted_gt(project)
    jobs = [j for j in project.jobs(1) if j.type is JobType.ANNOTATION]
    project.add_shapes(gt.id, [box(1, 10), box(6, 10)])
    project.add_shapes(jobs[0].id, [box(1, 10)])
    outcome = workflow.submit(project, jobs[0].id)
    assert outcome.decision == "accepted" and outcome.value == 1.0
    assert project.job(jobs[0].id).stage is JobStage.ACCEPTANCE
    save_settings(project, QualitySettings(max_validations_per_job=2))
    project.add_shapes(jobs[1].id, [box(6, 70)])
    first = workflow.submit(project, jobs[1].id)
    assert first.decision == "returned" and project.job(jobs[1].id).state is JobState.REJECTED
    second = workflow.submit(project, jobs[1].id)
    assert second.decision == "validation" and second.attempts == 2
    assert project.job(jobs[1].id).stage is JobStage.VALIDATION
    with pytest.raises(workflow.WorkflowError):
        workflow.submit(project, jobs[1].id)
    workflow.reject(project, jobs[1].id, reason="boxes off")
    assert project.job(jobs[1].id).stage is JobStage.ANNOTATION
    workflow.accept(project, jobs[1].id)
    history = project.job(jobs[1].id).options["validation_history"]
    assert [h["event"] for h in history][-2:] == ["rejected", "accepted"]


# ----------------------------------------------------------------------------- consensus


def test_consensus_merge_votes_and_keeps_singletons(project_location: str) -> None:
    labels = make_labels()
    for lbl in labels:
        lbl.id = None
        for a in lbl.attributes:
            a.id = None
        for s in lbl.sublabels:
            s.id = None
    proj = Project.create(project_location, "c", labels)
    proj.create_task("t", [FrameInfo(0, "0.png", 100, 60)], consensus_replicas=3)
    car, dog = proj.labels().by_name("car").id, proj.labels().by_name("dog").id
    replicas = [j for j in proj.jobs(1) if j.type is JobType.CONSENSUS_REPLICA]
    parent = next(j for j in proj.jobs(1) if j.type is JobType.ANNOTATION)
    proj.add_annotations(replicas[0].id, Annotations(shapes=[box(0, 10, car), box(0, 60, dog)], tags=[Tag(0, car)]))
    proj.add_annotations(replicas[1].id, Annotations(shapes=[box(0, 11, car)], tags=[Tag(0, dog)]))
    proj.add_annotations(replicas[2].id, Annotations(shapes=[box(0, 10, dog)]))
    per_frame = agreement(proj, parent.id)
    assert per_frame[0].clusters == 3
    results = merge_task(proj, 1)
    merged = proj.annotations(parent.id)
    scores = sorted((proj.labels().get(s.label_id).name, s.score) for s in merged.shapes)
    # the dog box of replica 2 overlaps the car cluster but never links across labels
    assert scores == [("car", 0.67), ("dog", 0.33), ("dog", 0.33)]
    assert all(s.source.value == "consensus" for s in merged.shapes)
    assert sorted(t.label_id for t in merged.tags) == sorted([car, dog])
    assert proj.job(parent.id).state is JobState.COMPLETED and parent.id in results
    proj.close()
