"""Reviewing quality in the job window as a CVAT user expects: a click on a conflict shows the Ground
Truth shape(s) over the frame (toggle "Show GT"), the panel exports CSV and draws charts, and the GT job
dialog draws the frames CVAT's methods select."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from app.domain import Shape
from app.domain.enums import JobType
from app.quality import workflow
from app.quality.gt_frames import FrameSelection, create_gt_job, select_frames
from app.widgets.canvas.overlay import REFERENCE_COLOR
from app.widgets.job_window import JobWindow
from app.widgets.quality.gt_job_dialog import GroundTruthJobDialog
from tests.support.canvas_project import make_project

pytestmark = pytest.mark.gui


@pytest.fixture
def review(qtbot, tmp_path: Path):  # noqa: ANN201 - (window, ids)
    """A job window whose job has, against an accepted GT job on frames 1 and 2: a missing box on
    frame 1 and a low-overlap box on frame 2 (IoU 0.68: matched, below the 0.8 low-overlap threshold)."""
    project = make_project(tmp_path)
    job = next(j for j in project.jobs() if j.type is JobType.ANNOTATION)
    gt = create_gt_job(project, job.task_id, FrameSelection("manual", frames=[1, 2]))
    car = project.labels().by_name("car").id
    missing, gt_low = project.add_shapes(gt.id, [Shape("rectangle", 1, car, [20, 20, 60, 60]),
                                                 Shape("rectangle", 2, car, [10, 10, 50, 50])])
    (job_low,) = project.add_shapes(job.id, [Shape("rectangle", 2, car, [14, 14, 54, 54])])
    workflow.accept(project, gt.id)
    window = JobWindow(project, job.id)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.quality_panel.report_shown, timeout=20000):
        window.quality_panel.compute_button.click()
    yield window, {"gt": gt.id, "missing": missing, "gt_low": gt_low, "job_low": job_low}
    window.close()
    project.close()


def conflict_item(panel, type_text: str):  # noqa: ANN001, ANN201
    tree = panel.conflicts
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        if top.text(0).startswith(type_text):
            return top.child(0)
    raise AssertionError(f"no {type_text} conflict in {[tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]}")


def overlay_pixels(window: JobWindow) -> int:
    """Pixels in the GT overlay's colour (the test frames' gradient has some too: compare on/off)."""
    window.canvas.wait_rendered()
    image = window.canvas.viewport().grab().toImage()
    image = image.convertToFormat(image.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    b, g, r = data[..., 0].astype(int), data[..., 1].astype(int), data[..., 2].astype(int)
    want = REFERENCE_COLOR
    close = (abs(r - want.red()) < 30) & (abs(g - want.green()) < 30) & (abs(b - want.blue()) < 30)
    return int(close.sum())


def test_a_missing_annotation_shows_the_gt_shape_where_it_should_be(qtbot, review) -> None:
    window, ids = review
    panel = window.quality_panel
    panel.conflicts.itemClicked.emit(conflict_item(panel, "missing annotation"), 0)
    assert window.frame == 1 and window.session.selection() == []  # nothing of the job's to select
    shown = window.canvas.reference_shown()
    assert [(s.id, s.points) for s in shown] == [(ids["missing"], [20, 20, 60, 60])]
    with_gt = overlay_pixels(window)
    panel.show_gt.setChecked(False)
    assert window.canvas.reference_shown() == []
    assert with_gt - overlay_pixels(window) > 50  # it was drawn, in the GT colour
    panel.show_gt.setChecked(True)
    window.step(1)  # another frame: the overlay belongs to frame 1
    assert window.canvas.reference_shown() == []


def test_a_low_overlap_conflict_selects_the_job_shape_and_draws_the_gt_one(qtbot, review) -> None:
    window, ids = review
    panel = window.quality_panel
    panel.conflicts.itemClicked.emit(conflict_item(panel, "low overlap"), 0)
    assert window.frame == 2
    assert window.session.selection() == [("shape", ids["job_low"])]
    assert [s.id for s in window.canvas.reference_shown()] == [ids["gt_low"]]
    with_gt = overlay_pixels(window)
    panel.show_gt.setChecked(False)
    assert with_gt - overlay_pixels(window) > 50


def test_panel_exports_csv_and_charts_the_report(qtbot, review, tmp_path: Path, monkeypatch) -> None:
    window, ids = review
    panel = window.quality_panel
    assert sorted(panel.type_chart.bars) == [("Low overlap", 1.0), ("Missing annotation", 1.0)]
    assert len(panel.history_chart.points) == 1  # the report just stored
    out = tmp_path / "job.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    assert panel.export_button.isEnabled()
    panel.export_button.click()
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    summary = next(r for r in rows if r["row_type"] == "summary")
    assert (summary["scope"], summary["target_id"], summary["gt_count"]) == ("job", str(window.job_id), "2")
    assert sorted(r["type"] for r in rows if r["row_type"] == "conflict") == ["low_overlap", "missing_annotation"]
    panel.export_conflicts_button.click()
    with out.open() as handle:
        rows = {r["type"]: r for r in csv.DictReader(handle)}
    assert rows["missing_annotation"]["job_annotations"] == ""
    assert rows["missing_annotation"]["gt_annotations"] == f"shape:{ids['missing']}@job{ids['gt']}"
    assert rows["low_overlap"]["job_annotations"] == f"shape:{ids['job_low']}@job{window.job_id}"
    assert "Exported job.csv" in panel.status.text()
    # A second computation adds a point to the history chart.
    with qtbot.waitSignal(panel.report_shown, timeout=20000):
        panel.compute_button.click()
    assert len(panel.history_chart.points) == 2


def test_gt_dialog_methods_select_the_frames_cvat_would(qtbot) -> None:
    jobs = [list(range(0, 10)), list(range(10, 20))]
    dialog = GroundTruthJobDialog(20, jobs)
    qtbot.addWidget(dialog)
    dialog.random_seed.setChecked(False)
    dialog.seed.setValue(7)
    dialog.uniform.count.setValue(5)
    frames, seed = dialog.selected_frames()
    assert seed == 7 and len(frames) == 5
    assert frames == select_frames(FrameSelection("random_uniform", frame_count=5, seed=7), range(20))[0]
    dialog.uniform.by_share.setChecked(True)
    dialog.uniform.share.setValue(25.0)
    assert dialog.selection().frame_share == 0.25 and dialog.selection().frame_count is None
    assert len(dialog.selected_frames()[0]) == 5
    dialog.set_method("random_per_job")
    dialog.per_job.count.setValue(2)
    frames, _ = dialog.selected_frames()
    assert len([f for f in frames if f < 10]) == 2 and len([f for f in frames if f >= 10]) == 2
    dialog.per_job.by_share.setChecked(True)
    dialog.per_job.share.setValue(30.0)
    frames, _ = dialog.selected_frames()
    assert len([f for f in frames if f < 10]) == 3 and len([f for f in frames if f >= 10]) == 3
    dialog.set_method("manual")
    dialog.frames.setText("1, 3, 5-7")
    assert dialog.selected_frames()[0] == [1, 3, 5, 6, 7]
    dialog.show_preview()
    assert dialog.preview.text().startswith("5 frames (seed 7): 1, 3, 5, 6, 7")
    dialog.frames.setText("1, x")
    dialog._accept()
    assert "'x' is not a frame number" in dialog.error.text() and dialog.result() == 0
    dialog.frames.setText("3, 25")
    dialog._accept()
    assert "not frames of the task" in dialog.error.text() and dialog.result() == 0


def test_gt_dialog_preview_fixes_the_seed(qtbot) -> None:
    """With "Random seed" on, Preview draws a seed and keeps it, so the job gets the frames previewed."""
    dialog = GroundTruthJobDialog(50, [list(range(50))])
    qtbot.addWidget(dialog)
    dialog.uniform.count.setValue(4)
    dialog.show_preview()
    assert not dialog.random_seed.isChecked()
    frames, seed = dialog.selected_frames()
    assert dialog.preview.text().startswith(f"4 frames (seed {seed}): {', '.join(map(str, frames))}")


def test_a_missing_annotation_on_a_honeypot_shows_the_gt_shape(qtbot, tmp_path: Path) -> None:
    """Honeypots: the job's validation frame is a pool frame (stored on its real frame number); a click
    on its missing annotation goes to that frame and draws the GT job's shape there."""
    from app.quality.honeypots import setup_honeypots

    project = make_project(tmp_path)
    task_id = project.tasks()[0].id
    gt = setup_honeypots(project, task_id, pool_frames=[1], frames_per_job=1, seed=0)
    car = project.labels().by_name("car").id
    (missing,) = project.add_shapes(gt.id, [Shape("rectangle", 1, car, [20, 20, 60, 60])])
    workflow.accept(project, gt.id)
    job = next(j for j in project.jobs(task_id) if j.type is JobType.ANNOTATION and 1 in j.frame_list())
    window = JobWindow(project, job.id)
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.quality_panel.report_shown, timeout=20000):
            window.quality_panel.compute_button.click()
        panel = window.quality_panel
        panel.conflicts.itemClicked.emit(conflict_item(panel, "missing annotation"), 0)
        assert window.frame == 1
        assert [(s.id, s.points) for s in window.canvas.reference_shown()] == [(missing, [20, 20, 60, 60])]
    finally:
        window.close()
        project.close()
