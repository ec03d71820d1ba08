"""File ▸ Export job package…, File ▸ Merge package… and opening a package in the main window."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.packages.export import export_package
from app.packages.merge import prepare_merge
from app.storage import Project
from app.widgets import package_dialogs
from app.widgets.main_window import MainWindow
from tests.support.packages import annotate, content, make_project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window  # tests/gui/conftest.py


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    for name in ("information", "warning"):
        monkeypatch.setattr(QMessageBox, name, lambda _parent, _title, text, *a, **k: shown.append(text))
    return shown


def test_export_from_the_file_menu_marks_the_job_in_the_field(window: MainWindow, tmp_path: Path, qtbot,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                messages: list[str]) -> None:
    project = make_project(str(tmp_path / "p.fmproj"), tmp_path)
    window._set_project(project)
    job_id = project.jobs()[0].id
    out = tmp_path / "laptop.fmpkg"
    monkeypatch.setattr(window, "selected_job_id", lambda: job_id)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    window.export_job_package()
    qtbot.waitUntil(lambda: bool(messages), timeout=30_000)
    assert out.is_file() and "in the field" in messages[0]
    assert project.job_lease(job_id) is not None
    row = window.tree.topLevelItem(0).child(0)
    assert "in the field" in row.text(5)


def test_opening_a_package_unpacks_its_media_then_opens_it(window: MainWindow, tmp_path: Path, qtbot) -> None:
    project = make_project(str(tmp_path / "p.fmproj"), tmp_path)
    export_package(project, [project.jobs()[1].id], tmp_path / "laptop" / "j.fmpkg")
    project.close()
    path = tmp_path / "laptop" / "j.fmpkg"
    assert window.open_project(path) is False  # first the media, in the background
    qtbot.waitUntil(lambda: window.project is not None, timeout=30_000)
    package = window.project
    frames = package.frames(package.tasks()[0].id)
    assert all(package.resolve_media(f.path).is_file() for f in frames)
    window.close_project()
    assert window.open_project(path) is True  # unpacked already: opens at once


def test_merge_dialog_lists_the_conflict_and_applies_the_chosen_policy(window: MainWindow, tmp_path: Path,
                                                                          qtbot) -> None:
    from app.packages import fieldwork

    project = make_project(str(tmp_path / "p.fmproj"), tmp_path)
    job_id = project.jobs()[0].id
    annotate(project, job_id, seed=2)
    manifest = export_package(project, [job_id], tmp_path / "j.fmpkg")
    with Project.open(tmp_path / "j.fmpkg") as package:
        box = package.annotations(package.jobs()[0].id).shapes[0]
        package.replace_annotations(package.jobs()[0].id, remove_shapes=[box.id], add=_moved(box, 1.0))
    fieldwork.release(project, manifest.package_id)
    home = next(s for s in project.annotations(job_id).shapes if s.uid == box.uid)
    project.replace_annotations(job_id, remove_shapes=[home.id], add=_moved(home, 2.0))
    window._set_project(project)
    dialog = package_dialogs.MergePackageDialog(project, prepare_merge(project, tmp_path / "j.fmpkg"), window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 4).text() == "changed on both sides"
    dialog.policy.setCurrentIndex(dialog.policy.findData("package"))
    dialog.merge_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    merged = next(s for s in project.annotations(job_id).shapes if s.uid == box.uid)
    assert merged.points == [p + 1.0 for p in box.points]
    assert "conflicts" in dialog.output.toPlainText() and not dialog.merge_button.isVisible()
    assert content(project.annotations(job_id))
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: "Merge undone" in dialog.output.toPlainText(), timeout=30_000)
    undone = next(s for s in project.annotations(job_id).shapes if s.uid == box.uid)
    assert undone.points == [p + 2.0 for p in home.points]  # the project's version, as before the merge


def _moved(shape, by: float):
    from app.domain.annotations import Annotations

    return Annotations(shapes=[shape.copy(points=[p + by for p in shape.points])])


def test_merge_dialog_draws_both_versions_and_takes_a_side_per_conflict(window: MainWindow, tmp_path: Path,
                                                                          qtbot) -> None:
    from app.domain.annotations import Annotations
    from app.packages import fieldwork
    from app.widgets.merge_conflicts import PACKAGE_COLOR, PROJECT_COLOR

    project = make_project(str(tmp_path / "p.fmproj"), tmp_path)
    job_id = project.jobs()[0].id
    annotate(project, job_id, seed=2)
    manifest = export_package(project, [job_id], tmp_path / "j.fmpkg")
    with Project.open(tmp_path / "j.fmpkg") as package:
        boxes = package.annotations(package.jobs()[0].id).shapes[:2]
        package.replace_annotations(package.jobs()[0].id, remove_shapes=[b.id for b in boxes],
                                    add=Annotations(shapes=[b.copy(points=[1.0, 1.0, 9.0, 9.0]) for b in boxes]))
    fieldwork.release(project, manifest.package_id)
    home = {s.uid: s for s in project.annotations(job_id).shapes}
    project.replace_annotations(job_id, remove_shapes=[home[b.uid].id for b in boxes],
                                add=Annotations(shapes=[home[b.uid].copy(points=[20.0, 12.0, 30.0, 22.0])
                                                        for b in boxes]))
    window._set_project(project)
    dialog = package_dialogs.MergePackageDialog(project, prepare_merge(project, tmp_path / "j.fmpkg"), window)
    qtbot.addWidget(dialog)
    dialog.resize(900, 600)
    dialog.show()
    assert dialog.table.rowCount() == 2
    row = next(i for i, c in enumerate(dialog.conflicts) if c["uid"] == boxes[1].uid)
    dialog.table.selectRow(row)
    canvas = dialog.view.canvas
    drawn = {color.name(): shape.points for shape, color in canvas.shapes}
    assert drawn == {PACKAGE_COLOR.name(): [1.0, 1.0, 9.0, 9.0], PROJECT_COLOR.name(): [20.0, 12.0, 30.0, 22.0]}
    assert canvas.image is not None and (canvas.image.width(), canvas.image.height()) == (32, 24)  # the frame
    assert "package" in dialog.view.legend.text() and "car" in dialog.view.legend.text()
    image = canvas.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)}
    assert PACKAGE_COLOR.name() in colours and PROJECT_COLOR.name() in colours  # both outlines painted
    dialog.policy.setCurrentIndex(dialog.policy.findData("ask"))
    sides = {boxes[0].uid: "package", boxes[1].uid: "project"}
    for i, c in enumerate(dialog.conflicts):
        dialog.keep[i].setCurrentIndex(dialog.keep[i].findData(sides[c["uid"]]))
    assert dialog.choices() == sides
    dialog.merge_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30_000)
    merged = {s.uid: s.points for s in project.annotations(job_id).shapes}
    assert merged[boxes[0].uid] == [1.0, 1.0, 9.0, 9.0] and merged[boxes[1].uid] == [20.0, 12.0, 30.0, 22.0]
