"""Automatic annotation dialog: Continue for an unfinished run, the refusal of a duplicate run, and the
frame timeout setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.editing.stack import UndoStack
from app.models.manager import ModelManager
from app.models.registry import Registration, Registry
from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog
from tests.unit.models_fixtures import FUNCTIONS, make_project

pytestmark = pytest.mark.gui
SLOW = str(FUNCTIONS / "slow_boxes.py")


def _dialog(qtbot, project, tmp_path: Path, *registrations: Registration) -> AutoAnnotationDialog:
    registry = Registry(tmp_path / "models.json")
    for item in registrations:
        registry.add(item, replace=True)
    dialog = AutoAnnotationDialog(project, project.tasks()[0].id, registry=registry, undo_stack=UndoStack(),
                                  manager=ModelManager(tmp_path / "models"))
    qtbot.addWidget(dialog)
    return dialog


def _per_frame(project) -> dict[int, int]:
    job = project.jobs(project.tasks()[0].id)[0]
    return {f: len(project.frame_shapes(job.id, f)) for f in job.frame_list()}


def test_continue_finishes_an_unfinished_run_without_duplicates(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=20)
    slow = Registration("slow", "function-file", SLOW, ["delay=float:0.05"])
    other = Registration("other", "function-file", str(FUNCTIONS / "ocr_text.py"))
    dialog = _dialog(qtbot, project, tmp_path, other, slow)
    assert dialog.continue_button.isHidden()
    dialog.model_combo.setCurrentText("slow")
    dialog.threshold.set_value(0.25)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 3, timeout=20000)
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20000)
    kept = dialog.last_result.frames_done
    assert 3 <= kept < 20
    # A later session: a new dialog names the run and offers Continue.
    later = _dialog(qtbot, project, tmp_path, other, slow)
    assert not later.continue_button.isHidden() and later.continue_button.isEnabled()
    assert f"{kept} of 20 frames done" in later.unfinished_label.text()
    later.start()  # a plain run is refused: it would annotate the finished frames again
    assert "unfinished auto-annotation run" in later.last_error and not later.is_running()
    later.threshold.set_value(None)
    later.continue_button.click()  # picks the run's function and options back
    assert later.model_combo.currentText() == "slow" and later.threshold.value() == 0.25
    qtbot.waitUntil(lambda: not later.is_running(), timeout=30000)
    assert later.last_error == "" and later.last_result.frames_done == 20 - kept
    assert set(_per_frame(project).values()) == {1}
    assert later.continue_button.isHidden()


def test_frame_timeout_setting_stops_the_run_and_names_the_frame(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=6)
    slowest = Registration("slowest", "function-file", SLOW, ["delay=float:2.5"])  # 2.5 s a frame
    dialog = _dialog(qtbot, project, tmp_path, slowest)
    assert dialog.options().frame_timeout is None and dialog.frame_timeout.text() == "no limit"
    dialog.frame_timeout.setValue(1.0)
    assert dialog.options().frame_timeout == 1.0
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20000)
    result = dialog.last_result
    assert result.cancelled and result.frames_done == 0
    assert "frame 0 (img_000.png)" in dialog.eta.text() and "did not return within 1 s" in dialog.eta.text()
    assert sum(_per_frame(project).values()) == 0
