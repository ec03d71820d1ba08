"""The quality side panel, the settings dialog and the consensus agreement view (offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.annotations import Annotations, Shape
from app.domain.enums import JobStage, JobState, JobType, ShapeType
from app.domain.labels import Label
from app.domain.project import FrameInfo
from app.quality import storage
from app.quality.gt_frames import FrameSelection, create_gt_job
from app.quality.settings import QualitySettings
from app.storage.store import Project
from app.widgets.quality import ConsensusAgreementView, QualityPanel, QualitySettingsDialog

pytestmark = pytest.mark.gui


def box(frame: int, x: float, label: int) -> Shape:
    return Shape(ShapeType.RECTANGLE, frame, label, [x, 10, x + 20, 30])


@pytest.fixture
def project_path(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "q.fmproj"
    with Project.create(path, "q", [Label("car"), Label("dog")]) as project:
        project.create_task("t", [FrameInfo(i, f"{i}.png", 100, 60) for i in range(6)])
        car = project.labels().by_name("car").id
        dog = project.labels().by_name("dog").id
        job = next(j for j in project.jobs(1) if j.type is JobType.ANNOTATION)
        gt = create_gt_job(project, 1, FrameSelection(method="manual", frames=[1, 3]))
        project.update_job(gt.id, stage=JobStage.ACCEPTANCE, state=JobState.COMPLETED)
        project.add_shapes(gt.id, [box(1, 10, car), box(3, 10, car), box(3, 50, car)])
        project.add_shapes(job.id, [box(1, 10, car), box(3, 10, dog)])
        job_id = job.id
    return path, job_id


def test_panel_computes_in_background_and_emits_conflicts(qtbot, project_path) -> None:
    path, job_id = project_path
    writer = Project.open(path)
    panel = QualityPanel(writer=writer)
    qtbot.addWidget(panel)
    panel.set_job(path, job_id)
    qtbot.waitUntil(lambda: "No report" in panel.status.text(), timeout=5000)
    with qtbot.waitSignal(panel.report_shown, timeout=10000):
        panel.compute_button.click()
    assert "Accuracy 33.3%" in panel.summary.text()
    assert panel.conflicts.topLevelItemCount() == 2  # missing, mismatching label
    assert panel.labels.rowCount() == 2 and panel.labels.item(0, 0).text() == "car"
    item = panel.conflicts.topLevelItem(0).child(0)
    with qtbot.waitSignal(panel.conflict_activated, timeout=1000) as blocker:
        panel.conflicts.itemClicked.emit(item, 0)
    frame, ids = blocker.args
    assert frame == 3 and ids and {"obj_id", "job_id", "type", "shape_type"} <= set(ids[0])
    assert storage.latest(writer, "job", job_id) is not None
    # stored report is shown on the next open, marked out of date after an edit
    writer.add_shapes(job_id, [box(5, 70, writer.labels().by_name("car").id)])
    other = QualityPanel()
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.report_shown, timeout=5000):
        other.set_job(path, job_id)
    assert "Out of date" in other.summary.text()
    writer.close()


def test_panel_reports_gt_not_ready(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "n.fmproj"
    with Project.create(path, "n", [Label("car")]) as project:
        project.create_task("t", [FrameInfo(0, "0.png", 10, 10)])
        job_id = project.jobs(1)[0].id
    panel = QualityPanel()
    qtbot.addWidget(panel)
    panel.set_job(path, job_id)
    qtbot.waitUntil(lambda: "No report" in panel.status.text(), timeout=5000)
    with qtbot.waitSignal(panel.failed, timeout=5000) as blocker:
        panel.compute()
    assert "Ground Truth" in blocker.args[0]
    assert panel.compute_button.isEnabled()


def test_settings_dialog_edits_every_setting(qtbot) -> None:
    dialog = QualitySettingsDialog(QualitySettings(iou_threshold=0.5, inherit=False), task_scope=True)
    qtbot.addWidget(dialog)
    assert dialog.numbers["iou_threshold"].value() == 0.5
    dialog.numbers["low_overlap_threshold"].setValue(0.9)
    dialog.flags["panoptic_comparison"].setChecked(False)
    dialog.point_size_base.setCurrentText("image_size")
    dialog.max_validations.setValue(3)
    edited = dialog.settings()
    assert (edited.low_overlap_threshold, edited.panoptic_comparison, edited.point_size_base,
            edited.max_validations_per_job) == (0.9, False, "image_size", 3)
    covered = set(dialog.numbers) | set(dialog.flags) | {"point_size_base", "target_metric", "max_validations_per_job",
                                                          "job_filter", "inherit", "ignored_attributes"}
    assert covered == set(QualitySettings().to_dict())
    dialog.inherit.setChecked(True)
    assert not dialog.numbers["iou_threshold"].isEnabled()
    dialog.restore_defaults()
    assert dialog.settings().low_overlap_threshold == 0.8
    dialog.job_filter.setText("{not json")
    dialog._accept()
    assert "job_filter" in dialog.error.text()


def test_consensus_view(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "c.fmproj"
    with Project.create(path, "c", [Label("car")]) as project:
        project.create_task("t", [FrameInfo(0, "0.png", 100, 60), FrameInfo(1, "1.png", 100, 60)],
                            consensus_replicas=2)
        car = project.labels().by_name("car").id
        replicas = [j for j in project.jobs(1) if j.type is JobType.CONSENSUS_REPLICA]
        parent = next(j for j in project.jobs(1) if j.type is JobType.ANNOTATION)
        project.add_annotations(replicas[0].id, Annotations(shapes=[box(0, 10, car)]))
        project.add_annotations(replicas[1].id, Annotations(shapes=[box(0, 11, car), box(1, 40, car)]))
    view = ConsensusAgreementView()
    qtbot.addWidget(view)
    view.set_job(path, parent.id)
    with qtbot.waitSignal(view.computed, timeout=10000):
        view.compute()
    assert view.table.rowCount() == 2
    assert view.table.item(0, 2).text() == "1" and view.table.item(1, 3).text() == "0.50"
