"""The background-work contract (app.core.work) and cancelling the Qt-free jobs: quality task and
project reports, consensus merge. A cancel gives "cancelled" (never an error) and keeps what it says."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.work import Cancelled, CancelToken, Progress, ProgressClock, Status, run_job
from app.domain.annotations import Annotations, Shape
from app.domain.enums import JobType, ShapeType
from app.domain.labels import Label
from app.domain.project import FrameInfo
from app.quality import service
from app.quality.consensus_run import merge_task_job
from app.quality.gt_frames import FrameSelection, create_gt_job
from app.storage.store import Project


@dataclass
class _Kept:
    kept: int
    cancelled: bool

    def summary(self) -> str:
        return f"kept {self.kept}"


def test_run_job_outcomes() -> None:
    assert run_job(lambda _t, _p: 7).status is Status.FINISHED and run_job(lambda _t, _p: 7).value == 7
    failed = run_job(lambda _t, _p: 1 / 0)
    assert failed.failed and "division by zero" in failed.message and "ZeroDivisionError" in failed.trace
    token = CancelToken()
    token.cancel()
    raised = run_job(lambda t, _p: t.check(), token)
    assert raised.cancelled and raised.value is None and raised.message == "Cancelled: nothing was kept."
    partial = run_job(lambda _t, _p: _Kept(3, True))
    assert partial.cancelled and partial.value.kept == 3 and partial.message == "kept 3"
    whole = run_job(lambda _t, _p: _Kept(4, False))
    assert whole.finished and whole.message == "kept 4"


def test_token_is_shared_across_threads() -> None:
    token = CancelToken()
    assert not token.cancelled and not token.wait(0.01)
    threading.Thread(target=token.cancel).start()
    assert token.wait(5) and token.cancelled
    with pytest.raises(Cancelled):
        token.check()


def test_progress_clock_eta() -> None:
    clock = ProgressClock()
    clock.started -= 10  # ten seconds for the first two units
    value = clock(2, 6, "x")
    assert value.eta == pytest.approx(20, rel=0.05) and value.fraction == pytest.approx(1 / 3)
    assert clock(6, 6).eta == 0.0 and clock(0, 6).eta is None and Progress(1).fraction is None


# ----------------------------------------------------------------------------- quality reports


@pytest.fixture
def project(tmp_path: Path):
    project = Project.create(tmp_path / "p.fmproj", "p", [Label("car")])
    project.create_task("t", [FrameInfo(i, f"{i}.png", 100, 60) for i in range(10)], segment_size=5)
    gt = create_gt_job(project, 1, FrameSelection(method="manual", frames=[1, 6]))
    car = project.labels().by_name("car").id
    project.add_shapes(gt.id, [Shape(ShapeType.RECTANGLE, 1, car, [1, 1, 20, 20])])
    yield project
    project.close()


def test_quality_task_report_cancel_raises_the_one_cancelled(project: Project) -> None:
    token = CancelToken()

    def progress(_value: Progress) -> None:
        token.cancel()  # Cancel clicked while the first job is compared

    with pytest.raises(Cancelled):
        service.compute_task(project, 1, require_accepted_gt=False, token=token, progress=progress)
    outcome = run_job(lambda t, p: service.compute_task(project, 1, require_accepted_gt=False, token=t,
                                                        progress=lambda _v: t.cancel()))
    assert outcome.cancelled and not outcome.failed
    assert service.compute_task(project, 1, require_accepted_gt=False).jobs  # uncancelled: a report


def test_quality_project_report_cancel(project: Project) -> None:
    token = CancelToken()
    token.cancel()
    outcome = run_job(lambda _t, p: service.compute_project(project, require_accepted_gt=False, token=token,
                                                            progress=p), token)
    assert outcome.cancelled and outcome.value is None


# ----------------------------------------------------------------------------- consensus merge


def test_consensus_merge_cancel_keeps_the_jobs_it_reports(tmp_path: Path) -> None:
    project = Project.create(tmp_path / "c.fmproj", "c", [Label("car")])
    project.create_task("t", [FrameInfo(i, f"{i}.png", 100, 60) for i in range(4)], segment_size=2,
                        consensus_replicas=2)
    car = project.labels().by_name("car").id
    parents = sorted(j.id for j in project.jobs(1) if j.type is JobType.ANNOTATION)
    for replica in (j for j in project.jobs(1) if j.type is JobType.CONSENSUS_REPLICA):
        frame = replica.frame_list()[0]
        project.add_annotations(replica.id, Annotations(shapes=[Shape(ShapeType.RECTANGLE, frame, car,
                                                                      [1, 1, 20, 20])]))
    token = CancelToken()

    def progress(value: Progress) -> None:
        if value.done == 1:
            token.cancel()  # clicked while the first job merged: it is kept, the second never starts

    run = merge_task_job(project, 1, token, progress)
    assert run.total == 2 and run.cancelled and list(run.merged) == [parents[0]]
    assert run.summary() == "Cancelled; merged the replicas of 1 of 2 job(s)"
    assert len(project.annotations(parents[0]).shapes) == 1 and not project.annotations(parents[1]).shapes
    outcome = run_job(lambda t, p: merge_task_job(project, 1, t, p))
    assert outcome.finished
    project.close()
