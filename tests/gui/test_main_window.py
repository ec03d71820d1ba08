"""The main window: projects, recent list, labels editor, new task dialog, job list."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QDialog

from app import settings
from app.domain import Label
from app.domain.enums import LabelType
from app.storage import Project
from app.widgets.label_editor import LabelsDialog
from app.widgets.main_window import MainWindow
from app.widgets.task_dialog import NewTaskDialog

pytestmark = pytest.mark.gui


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window  # tests/gui/conftest.py


def test_open_project_lists_tasks_and_jobs_and_remembers_it(window: MainWindow, tmp_path: Path) -> None:
    from app.demo import create_demo

    path = create_demo(tmp_path / "demo" / "demo.fmproj")
    assert window.open_project(path)
    assert window.tree.topLevelItemCount() == 2
    video_task = window.tree.topLevelItem(1)
    assert video_task.childCount() == 2
    assert settings.load().recent_projects[0] == str(path.resolve())
    assert "Fieldmark demo" in window.windowTitle()


def test_labels_dialog_adds_skeleton_and_attributes(window: MainWindow, tmp_path: Path, qtbot) -> None:
    project = Project.create(tmp_path / "p.fmproj", labels=[Label("car")])
    window._set_project(project)
    dialog = LabelsDialog(project, window)
    qtbot.addWidget(dialog)
    dialog._add_label()
    dialog.name.setText("person")
    dialog.type.setCurrentText("skeleton")
    dialog.attributes.add_row()
    dialog.attributes.cellWidget(0, 0).setText("pose")
    dialog.attributes.cellWidget(0, 1).setCurrentText("select")
    dialog.attributes.cellWidget(0, 3).setText("standing, sitting")
    dialog.skeleton._add("head", None)
    dialog.skeleton._add("neck", None)
    dialog.skeleton.edges.setText("1-2")
    dialog._save()
    assert dialog.result() == QDialog.DialogCode.Accepted
    person = project.labels().by_name("person")
    assert person.type is LabelType.SKELETON
    assert [s.name for s in person.sublabels] == ["head", "neck"] and person.edges == [(0, 1)]
    assert person.attribute("pose").values == ["standing", "sitting"]
    assert person.attribute("pose").default_value == "standing"


def test_labels_raw_json_keeps_ids_and_deletes(window: MainWindow, tmp_path: Path, qtbot) -> None:
    project = Project.create(tmp_path / "p.fmproj", labels=[Label("car"), Label("bike")])
    window._set_project(project)
    car_id = project.labels().by_name("car").id
    dialog = LabelsDialog(project, window)
    qtbot.addWidget(dialog)
    dialog.tabs.setCurrentIndex(1)
    raw = json.loads(dialog.raw.toPlainText())
    raw = [r for r in raw if r["name"] == "car"] + [{"name": "truck", "type": "rectangle"}]
    raw[0]["attributes"] = [{"name": "plate", "input_type": "text"}]
    dialog.raw.setPlainText(json.dumps(raw))
    dialog._save()
    labels = project.labels()
    assert [label.name for label in labels] == ["car", "truck"]
    assert labels.by_name("car").id == car_id and labels.by_name("car").attribute("plate") is not None


def test_new_task_dialog_validates_in_background(window: MainWindow, tmp_path: Path, qtbot) -> None:
    project = Project.create(tmp_path / "p.fmproj", labels=[Label("car")])
    window._set_project(project)
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        Image.fromarray(np.full((12, 16, 3), i, np.uint8)).save(folder / f"{i}.png")
    dialog = NewTaskDialog(project, window)
    qtbot.addWidget(dialog)
    dialog.set_inputs([folder])
    dialog.segment.setValue(2)
    dialog._create()
    qtbot.waitUntil(lambda: dialog.result() == QDialog.DialogCode.Accepted, timeout=10000)
    assert dialog.task.size == 3
    assert len(project.jobs(dialog.task.id)) == 2
    qtbot.waitUntil(lambda: window.tree.topLevelItemCount() == 1, timeout=2000)


def test_ai_menu_dialogs_open_for_the_selected_task(window: MainWindow, tmp_path: Path, qtbot, monkeypatch) -> None:
    from app.demo import create_demo
    from app.widgets.ai import auto_annotation_dialog, models_dialog

    window.open_project(create_demo(tmp_path / "d" / "demo.fmproj"))
    window.tree.setCurrentItem(window.tree.topLevelItem(1).child(0))
    task_id, job_id = window.selected_task_and_job()
    assert window.project.job(job_id).task_id == task_id == window.project.task("street video").id
    seen = []
    monkeypatch.setattr(auto_annotation_dialog.AutoAnnotationDialog, "exec",
                        lambda self: seen.append(("auto", self.windowTitle())))
    monkeypatch.setattr(models_dialog.ModelsDialog, "exec", lambda self: seen.append(("models", self.windowTitle())))
    from app.widgets import transfer_dialog

    monkeypatch.setattr(transfer_dialog.TransferDialog, "exec", lambda self: seen.append(("transfer", self.mode)))
    window.auto_annotate()
    window.manage_models()
    window.import_dataset()
    window.export_dataset()
    assert seen == [("auto", "Automatic annotation"), ("models", "Models"), ("transfer", "import"),
                    ("transfer", "export")]
