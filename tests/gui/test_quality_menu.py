"""The Quality menu: GT job creation, task report computed in the background and stored, CSV export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from app.domain import Label, Shape
from app.domain.enums import JobType
from app.domain.project import FrameInfo
from app.quality import storage
from app.storage import Project
from app.widgets.main_window import MainWindow

pytestmark = pytest.mark.gui


def with_gt_job(qtbot, tmp_path: Path, monkeypatch) -> tuple[MainWindow, Project, object, object]:
    """A main window on a 4-frame task whose GT job (all 4 frames) was made through the Quality menu."""
    window = MainWindow()
    qtbot.addWidget(window)
    project = Project.create(tmp_path / "q.fmproj", labels=[Label("car")])
    task = project.create_task("t", [FrameInfo(i, f"{i}.jpg", 100, 100) for i in range(4)])
    window._set_project(project)
    window.tree.setCurrentItem(window.tree.topLevelItem(0))
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (4, True))
    window.quality_menu.create_gt_job()
    gt = next(j for j in project.jobs(task.id) if j.type is JobType.GROUND_TRUTH)
    job = next(j for j in project.jobs(task.id) if j.type is JobType.ANNOTATION)
    return window, project, gt, job


def test_gt_job_then_task_report_is_stored_and_exported(qtbot, tmp_path: Path, monkeypatch) -> None:
    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    task = project.task(job.task_id)
    assert gt.frame_list() == [0, 1, 2, 3]
    car = project.labels().by_name("car").id
    project.add_shapes(gt.id, [Shape("rectangle", 1, car, [0, 0, 10, 10]), Shape("rectangle", 2, car, [0, 0, 10, 10])])
    project.add_shapes(job.id, [Shape("rectangle", 1, car, [0, 0, 10, 10])])
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()))
    window.quality_menu.task_report()
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert "gt_count: 2" in shown[0] and "valid_count: 1" in shown[0] and "ds_count: 1" in shown[0]
    assert storage.latest(project, "task", task.id) is not None
    assert storage.latest(project, "job", job.id) is not None
    out = tmp_path / "report.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    from app.quality.csv_export import write_csv

    write_csv(out, window.quality_menu.last_reports)
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows, "the CSV has rows"
    window.close_project()


def test_honeypots_set_up_and_redrawn_from_the_menu(qtbot, tmp_path: Path, monkeypatch) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    project = Project.create(tmp_path / "h.fmproj", labels=[Label("car")])
    task = project.create_task("t", [FrameInfo(i, f"{i}.jpg", 100, 100) for i in range(20)], segment_size=10)
    window._set_project(project)
    window.tree.setCurrentItem(window.tree.topLevelItem(0))
    answers = iter([4, 2])  # pool size, honeypots per job
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: (next(answers), True))
    window.quality_menu.setup_honeypots()
    gt = next(j for j in project.jobs(task.id) if j.type is JobType.GROUND_TRUTH)
    jobs = [j for j in project.jobs(task.id) if j.type is JobType.ANNOTATION]
    assert len(gt.frame_list()) == 4
    assert all(len(j.options["honeypots"]) == 2 for j in jobs)
    window.refresh()
    job_item = window.tree.topLevelItem(0).child(0)
    window.tree.setCurrentItem(job_item)
    job_id = job_item.data(0, Qt.ItemDataRole.UserRole)  # the tree is rebuilt when jobs change
    before = project.job(job_id).options["honeypot_seed"]
    window.quality_menu.redraw_honeypots()
    after = project.job(job_id).options["honeypot_seed"]
    assert after != before
    window.close_project()


def test_submit_accepts_a_job_that_meets_the_target(qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.domain.enums import JobStage, JobState
    from app.quality import workflow

    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    car = project.labels().by_name("car").id
    for job_id in (gt.id, job.id):
        project.add_shapes(job_id, [Shape("rectangle", 1, car, [0, 0, 10, 10])])
    workflow.accept(project, gt.id)  # CVAT compares against an accepted, completed GT job
    window.quality_menu.submit(job.id)
    qtbot.waitUntil(lambda: window.quality_menu.last_outcome is not None, timeout=20000)
    assert window.quality_menu.last_outcome.decision == "accepted"
    assert window.quality_menu.last_message.startswith(f"Job #{job.id} accepted: accuracy 1.000 meets")
    assert window.statusBar().currentMessage() == window.quality_menu.last_message  # visible feedback
    job = project.job(job.id)
    assert (job.stage, job.state) == (JobStage.ACCEPTANCE, JobState.COMPLETED)
    window.close_project()


def test_every_workflow_action_says_what_happened(qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.quality import workflow
    from app.quality.workflow import SubmitOutcome
    from app.widgets.quality_menu import submission_text

    window, project, _gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    window.quality_menu._workflow(workflow.send_to_validation, job.id)
    assert window.quality_menu.last_message == f"Job #{job.id} sent to validation."
    returned = submission_text(7, SubmitOutcome("returned", "accuracy", 0.5, 0.9, 1, None))
    assert returned.startswith("Job #7 returned for rework: accuracy 0.500 is below the target 0.900 (attempt 1)")
    assert "no Ground Truth" in submission_text(7, SubmitOutcome("validation", "accuracy", None, 0.0, 1, None))
    window.close_project()


def test_tree_keeps_the_selection_and_counts_gt_apart(qtbot, tmp_path: Path, monkeypatch) -> None:
    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    car = project.labels().by_name("car").id
    job_item = next(window.tree.topLevelItem(0).child(i) for i in range(window.tree.topLevelItem(0).childCount())
                    if window.tree.topLevelItem(0).child(i).text(0) == f"Job #{job.id}")
    window.tree.setCurrentItem(job_item)
    project.add_shapes(gt.id, [Shape("rectangle", 1, car, [0, 0, 10, 10]), Shape("rectangle", 2, car, [0, 0, 9, 9])])
    project.add_shapes(job.id, [Shape("rectangle", 1, car, [0, 0, 10, 10])])
    # The counts follow the edits (after a short delay) and the selected job stays selected.
    qtbot.waitUntil(lambda: window.tree.topLevelItem(0).text(6).startswith("1 shapes"), timeout=5000)
    assert window.tree.topLevelItem(0).text(6) == "1 shapes, 0 tracks, 0 tags  (GT: 2 shapes, 0 tracks, 0 tags)"
    assert window.selected_task_and_job() == (job.task_id, job.id)
    window.tree.setCurrentItem(window.tree.topLevelItem(0))
    window.refresh()
    assert window.selected_task_and_job() == (job.task_id, None)
    window.close_project()
