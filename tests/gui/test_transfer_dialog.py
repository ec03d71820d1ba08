"""The import/export dialog: runs in a worker thread, reports progress, cancels, shows errors."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import pytest

from app.domain.annotations import Annotations
from app.domain.project import FrameInfo
from app.formats.cvat_xml_write import write_cvat_xml
from app.formats.importer import import_new_project
from app.formats.synthetic import bulk_dataset, sample_dataset, sample_labels
from app.storage.store import Project
from app.widgets.transfer_dialog import TransferDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project.create(tmp_path / "p.fmproj", "p", [copy.deepcopy(label) for label in sample_labels()])
    project.create_task("t", [FrameInfo(i, f"img_{i:03d}.png", 64, 48) for i in range(20)], segment_size=10)
    yield project
    project.close()


def _wait_idle(qtbot, dialog: TransferDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)


def test_import_into_task_runs_off_the_gui_thread(qtbot, project: Project, tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations = Annotations(shapes=ds.annotations.shapes)
    write_cvat_xml(ds, tmp_path / "a.xml")
    calls: list[tuple[str, int | None, bool]] = []
    project.add_listener(
        lambda kind, job: calls.append((kind, job, threading.current_thread() is threading.main_thread())))
    dialog = TransferDialog(project, "import", task_id=project.tasks()[0].id)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(tmp_path / "a.xml"))
    with qtbot.waitSignal(dialog.done_with, timeout=60_000) as blocker:
        dialog.start()
        assert dialog.running and not dialog.start_button.isEnabled()
    assert blocker.args[0].counts["shapes"] == 9
    assert project.counts()["shapes"] == 9
    assert "Imported into task 1" in dialog.status.text()
    assert ("annotations", project.jobs()[0].id, True) in calls
    assert all(on_main for _kind, _job, on_main in calls)


def test_import_error_is_shown_and_nothing_written(qtbot, project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<annotations>\n<image id='0' name='img_000.png' width='64' height='48'>\n"
                   "<box label='car' xtl='1' ytl='1' xbr='0' ybr='2'/></image></annotations>")  # no <meta>
    dialog = TransferDialog(project, "import", task_id=1)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(bad))
    dialog.start()
    _wait_idle(qtbot, dialog)
    assert "line 3, <box>: bad coordinates" in dialog.status.text()
    assert project.counts()["shapes"] == 0 and dialog.start_button.isEnabled()


def test_export_progress_and_cancel(qtbot, tmp_path: Path) -> None:
    ds = bulk_dataset(1500, 4, width=64, height=48)
    import_new_project(tmp_path / "big.fmproj", ds, tmp_path / "x.xml")
    with Project.open(tmp_path / "big.fmproj") as project:
        dialog = TransferDialog(project, "export")
        qtbot.addWidget(dialog)
        dialog.format.setCurrentText("cvat-images")
        dialog.path.setText(str(tmp_path / "out.xml"))
        seen: list[float] = []
        dialog.start()
        dialog.worker.signals.progress.connect(lambda progress: seen.append(progress.total))
        _wait_idle(qtbot, dialog)
        assert (tmp_path / "out.xml").is_file() and "Exported 1500 frames" in dialog.status.text()
        assert dialog.bar.value() == 1000

        dialog.path.setText(str(tmp_path / "out2.xml"))
        dialog.start()
        dialog.worker.cancel()
        _wait_idle(qtbot, dialog)
        assert dialog.status.text() == "Cancelled: nothing was written."
        assert not (tmp_path / "out2.xml").exists()
        assert not list(tmp_path.glob(".out2.xml*"))


def test_export_yolo_with_its_task_option(qtbot, tmp_path: Path) -> None:
    ds = bulk_dataset(6, 3, width=64, height=48)
    import_new_project(tmp_path / "y.fmproj", ds, tmp_path / "x.xml")
    with Project.open(tmp_path / "y.fmproj") as project:
        dialog = TransferDialog(project, "export", task_id=project.tasks()[0].id)
        qtbot.addWidget(dialog)
        dialog.format.setCurrentText("yolo")
        dialog.yolo_task.setCurrentText("detect")
        dialog.path.setText(str(tmp_path / "yolo"))
        dialog.start()
        _wait_idle(qtbot, dialog)
        assert "Exported 6 frames" in dialog.status.text(), dialog.status.text()
        assert (tmp_path / "yolo" / "data.yaml").is_file()


def test_dialogs_list_every_format_and_export_labelme(qtbot, tmp_path: Path) -> None:
    ds = bulk_dataset(3, 2, width=64, height=48)
    import_new_project(tmp_path / "l.fmproj", ds, tmp_path / "x.xml")
    with Project.open(tmp_path / "l.fmproj") as project:
        for mode in ("import", "export"):
            dialog = TransferDialog(project, mode)
            qtbot.addWidget(dialog)
            listed = [dialog.format.itemText(k) for k in range(dialog.format.count())]
            assert {"labelme", "voc", "masks", "datumaro", "mot"} <= set(listed), (mode, listed)
        dialog.format.setCurrentText("labelme")
        dialog.path.setText(str(tmp_path / "lm"))
        dialog.start()
        _wait_idle(qtbot, dialog)
        assert "Exported 3 frames" in dialog.status.text(), dialog.status.text()
        assert len(list((tmp_path / "lm").glob("*.json"))) == 3


def test_import_into_the_project_gives_each_subset_its_task(qtbot, project: Project, tmp_path: Path) -> None:
    """The 'Project' target imports as CVAT imports into a project: a subset no task has becomes a new task;
    the status names the tasks and where each subset went. Darknet is listed for export."""
    ds = sample_dataset()
    ds.annotations = Annotations(shapes=ds.annotations.shapes)
    for frame in ds.frames:
        frame.subset = "train" if frame.index % 2 == 0 else "val"
    write_cvat_xml(ds, tmp_path / "a.xml")
    dialog = TransferDialog(project, "import")
    qtbot.addWidget(dialog)
    assert dialog.target.itemText(0) == "New task (one per subset)"
    dialog.target.setCurrentIndex(dialog.target.findData("project"))
    dialog.path.setText(str(tmp_path / "a.xml"))
    dialog.create_labels.setChecked(True)
    with qtbot.waitSignal(dialog.done_with, timeout=60_000) as blocker:
        dialog.start()
    result = blocker.args[0]
    assert sorted(t.subset for t in project.tasks()) == ["", "train", "val"] and len(result.task_ids) == 2
    assert "Subset 'train' became new task" in dialog.status.text(), dialog.status.text()
    export = TransferDialog(project, "export")
    qtbot.addWidget(export)
    assert export.format.findText("darknet") >= 0


def test_import_a_zip_as_a_new_task_copies_its_images(qtbot, project: Project, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A CVAT-style YOLO zip with images: chosen with the Zip… button, imported as a new task; its images are
    copied into the project's media folder (the temporary folder they were unpacked to is gone)."""
    import zipfile

    from PySide6.QtWidgets import QFileDialog

    sample = Path("/work/shared/fixtures/external/cvat-ai__datumaro/tests/assets/yolo_dataset/yolo")
    shared = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "external"
    if shared.is_dir():
        sample = shared / "cvat-ai__datumaro/tests/assets/yolo_dataset/yolo"
    if not sample.is_dir():
        pytest.skip("the shared fixtures are absent")
    zipped = tmp_path / "yolo 1.1.zip"
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        for file in sorted(sample.rglob("*")):
            zf.write(file, file.relative_to(sample).as_posix())
    dialog = TransferDialog(project, "import")
    qtbot.addWidget(dialog)
    dialog.format.setCurrentText("yolo")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(zipped), "Zip archive (*.zip)"))
    dialog.browse_zip.click()
    assert dialog.path.text() == str(zipped)
    dialog.create_labels.setChecked(True)
    with qtbot.waitSignal(dialog.done_with, timeout=60_000) as blocker:
        dialog.start()
    result = blocker.args[0]
    assert result.counts["shapes"] == 2 and result.created_task
    frames = project.frames(result.task_id)
    assert frames and all(f.path and "fieldmark-zip-" not in f.path for f in frames)
    assert all((project.media_root() / f.path).is_file() for f in frames)
