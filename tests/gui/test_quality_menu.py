"""The Quality menu: GT job creation (CVAT's frame selection dialog), the GT rule shared with the
side panel, task and project reports computed in the background, stored, shown and exported."""

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
from app.widgets.quality.gt_job_dialog import GroundTruthJobDialog

pytestmark = pytest.mark.gui


def with_gt_job(qtbot, tmp_path: Path, monkeypatch) -> tuple[MainWindow, Project, object, object]:
    """A main window on a 4-frame task whose GT job (all 4 frames) was made through the Quality menu."""
    window = MainWindow()
    qtbot.addWidget(window)
    project = Project.create(tmp_path / "q.fmproj", labels=[Label("car")])
    task = project.create_task("t", [FrameInfo(i, f"{i}.jpg", 100, 100) for i in range(4)])
    window._set_project(project)
    window.tree.setCurrentItem(window.tree.topLevelItem(0))
    def choose_all(dialog: GroundTruthJobDialog) -> int:  # random_uniform, count 4 of 4
        dialog.uniform.count.setValue(4)
        return 1

    monkeypatch.setattr(GroundTruthJobDialog, "exec", choose_all)
    window.quality_menu.create_gt_job()
    gt = next(j for j in project.jobs(task.id) if j.type is JobType.GROUND_TRUTH)
    job = next(j for j in project.jobs(task.id) if j.type is JobType.ANNOTATION)
    return window, project, gt, job


def table_rows(dialog) -> dict[str, str]:  # noqa: ANN001 - QualityReportDialog
    t = dialog.table
    return {t.item(r, 0).text().strip(): t.item(r, 1).text() for r in range(t.rowCount())}


def test_gt_job_then_task_report_is_stored_and_exported(qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.quality import workflow

    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    task = project.task(job.task_id)
    assert gt.frame_list() == [0, 1, 2, 3]
    car = project.labels().by_name("car").id
    project.add_shapes(gt.id, [Shape("rectangle", 1, car, [0, 0, 10, 10]), Shape("rectangle", 2, car, [0, 0, 10, 10])])
    project.add_shapes(job.id, [Shape("rectangle", 1, car, [0, 0, 10, 10])])
    workflow.accept(project, gt.id)
    window.quality_menu.task_report()
    qtbot.waitUntil(lambda: window.quality_menu.last_dialog is not None, timeout=20000)
    dialog = window.quality_menu.last_dialog
    rows = table_rows(dialog)
    assert rows["Ground Truth annotations"] == "2" and rows["Matched annotations"] == "1"
    assert rows["Job annotations"] == "1" and rows["Accuracy"] == "50.0%" and rows["Missing annotation"] == "1"
    assert rows["Frames checked"] == "4 of 4 (100.0%)"
    assert "sums over the jobs" in dialog.note.text() and "accepted, completed" in dialog.note.text()
    assert dialog.conflicts_chart.bars == [("Missing annotation", 1.0)]
    assert dialog.parts_chart.bars == [(f"job {job.id}", 0.5)]
    assert [v for _k, v in dialog.history_chart.points] == [0.5]
    dialog.show_raw_json()  # one click away
    assert '"comparison_summary"' in dialog.json_view.toPlainText()
    assert storage.latest(project, "task", task.id) is not None
    assert storage.latest(project, "job", job.id) is not None
    out = tmp_path / "report.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    assert dialog.export_csv() == str(out)
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["row_type"] for r in rows} == {"summary", "label", "conflict"}
    assert [r["target_id"] for r in rows if r["row_type"] == "summary"] == [str(task.id), str(job.id)]
    assert dialog.export_conflicts_csv() == str(out)
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["frame"], r["type"], r["job_annotations"]) for r in rows] == [("2", "missing_annotation", "")]
    assert rows[0]["gt_annotations"].endswith(f"@job{gt.id}")
    window.close_project()


def test_the_gt_rule_is_the_same_in_the_menu_and_the_panel(qtbot, tmp_path: Path, monkeypatch) -> None:
    """CVAT's rule (accepted and completed GT) in both front ends, said in the message; one shared
    choice lets unfinished GT count in both."""
    from app.quality.service import GT_RULE
    from app.widgets.quality import QualityPanel

    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    car = project.labels().by_name("car").id
    project.add_shapes(gt.id, [Shape("rectangle", 1, car, [0, 0, 10, 10])])
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: warnings.append(text))
    window.quality_menu.task_report()
    assert len(warnings) == 1 and GT_RULE in warnings[0] and "annotation/in progress" in warnings[0]
    assert storage.latest(project, "task", job.task_id) is None
    panel = QualityPanel()
    qtbot.addWidget(panel)
    panel.set_job(project.location, job.id)
    qtbot.waitUntil(lambda: "No report" in panel.status.text(), timeout=5000)
    assert not panel.any_gt.isChecked()
    with qtbot.waitSignal(panel.failed, timeout=10000) as blocker:
        panel.compute()
    assert GT_RULE in blocker.args[0]
    # The user allows unfinished GT in the panel: the menu follows the same choice.
    panel.any_gt.setChecked(True)
    window.quality_menu.menu.aboutToShow.emit()
    assert window.quality_menu.allow_unfinished.isChecked()
    window.quality_menu.task_report()
    qtbot.waitUntil(lambda: window.quality_menu.last_dialog is not None, timeout=20000)
    assert "unfinished GT jobs were used" in window.quality_menu.last_dialog.note.text()
    with qtbot.waitSignal(panel.report_shown, timeout=10000):
        panel.compute()
    assert "Unfinished Ground Truth allowed" in panel.status.text()
    # ... and back: turning it off in the menu turns it off for the panel too.
    window.quality_menu.allow_unfinished.setChecked(False)
    panel.sync_gt_rule()
    assert not panel.any_gt.isChecked()
    window.close_project()


def test_project_report_says_which_tasks_were_left_out_and_that_counts_are_scaled(
        qtbot, tmp_path: Path, monkeypatch) -> None:
    from app.quality import workflow

    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    project.update_job(gt.id, frames=[1])  # one GT frame of four: counts are scaled by 4
    car = project.labels().by_name("car").id
    project.add_shapes(gt.id, [Shape("rectangle", 1, car, [0, 0, 10, 10]), Shape("rectangle", 1, car, [50, 50, 60, 60]),
                               Shape("rectangle", 1, car, [20, 20, 30, 30])])
    project.add_shapes(job.id, [Shape("rectangle", 1, car, [0, 0, 10, 10])])
    workflow.accept(project, gt.id)
    other = project.create_task("u", [FrameInfo(0, "0.jpg", 100, 100)])
    window.quality_menu.project_report()
    qtbot.waitUntil(lambda: window.quality_menu.last_dialog is not None, timeout=20000)
    dialog = window.quality_menu.last_dialog
    note = dialog.note.text()
    assert "extrapolated to whole tasks" in note
    assert f"task {job.task_id} has 3 Ground Truth annotations on 1 of 4 frames; the project counts them as 12" in note
    assert f"1 task(s) left out: task {other.id} has no Ground Truth job" in note
    assert table_rows(dialog)["Ground Truth annotations"] == "12"
    window.close_project()


def test_cancelling_a_task_report_says_cancelled(qtbot, tmp_path: Path, monkeypatch) -> None:
    import time

    from app.quality import workflow
    from app.widgets import quality_menu

    window, project, gt, job = with_gt_job(qtbot, tmp_path, monkeypatch)
    workflow.accept(project, gt.id)
    started = []

    def slow(_project, _task_id, *, token, **_kw):  # noqa: ANN001, ANN202 - stands in for a long report
        started.append(True)
        while True:
            token.check()
            time.sleep(0.01)

    monkeypatch.setattr(quality_menu, "compute_task", slow)
    window.quality_menu.task_report()
    qtbot.waitUntil(lambda: bool(started), timeout=5000)
    window.quality_menu.last_worker.cancel()
    qtbot.waitUntil(lambda: "cancelled" in window.quality_menu.last_message, timeout=5000)
    assert window.quality_menu.last_message == "Task quality report: cancelled, nothing was stored"
    assert window.statusBar().currentMessage() == window.quality_menu.last_message
    assert window.quality_menu.last_dialog is None and storage.latest(project, "task", job.task_id) is None
    window.close_project()


def test_gt_job_dialog_methods_from_the_menu(qtbot, tmp_path: Path, monkeypatch) -> None:
    """The dialog's manual list (with a range) and seed reach the GT job the menu creates."""
    window = MainWindow()
    qtbot.addWidget(window)
    project = Project.create(tmp_path / "g.fmproj", labels=[Label("car")])
    task = project.create_task("t", [FrameInfo(i, f"{i}.jpg", 100, 100) for i in range(12)], segment_size=6)
    window._set_project(project)
    window.tree.setCurrentItem(window.tree.topLevelItem(0))

    def per_job(dialog: GroundTruthJobDialog) -> int:
        dialog.set_method("random_per_job")
        dialog.per_job.count.setValue(2)
        dialog.random_seed.setChecked(False)
        dialog.seed.setValue(11)
        return 1

    monkeypatch.setattr(GroundTruthJobDialog, "exec", per_job)
    window.quality_menu.create_gt_job()
    gt = next(j for j in project.jobs(task.id) if j.type is JobType.GROUND_TRUTH)
    frames = gt.frame_list()
    assert len([f for f in frames if f < 6]) == 2 and len([f for f in frames if f >= 6]) == 2
    assert gt.options["frame_selection"] == {"method": "random_per_job", "frames_per_job_count": 2, "seed": 11}
    assert "(seed 11)" in window.quality_menu.last_message
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
