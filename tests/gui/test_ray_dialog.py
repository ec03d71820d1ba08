"""The automatic-annotation dialog's "Run on" choice: a run on a local Ray started for the run (real Ray,
from the GUI's worker thread), with progress, the summary and one undo step; a cluster needs an address."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.editing.stack import UndoStack
from app.models.manager import ModelManager
from app.models.registry import Registration, Registry
from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog
from app.widgets.ai.run_place import RAY_CLUSTER, RAY_LOCAL
from tests.unit.models_fixtures import FUNCTIONS, make_project

pytestmark = pytest.mark.gui


def _need_ray() -> None:
    try:
        import ray  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must test the Ray backend: ray is not importable (tools/setup.sh installs it)")
        pytest.skip("ray is not installed (pip install fieldmark[cluster]); the Ray backend cannot be tested")


def test_dialog_runs_on_a_local_ray_with_one_undo_step(qtbot, tmp_path: Path) -> None:
    _need_ray()
    project = make_project(tmp_path, frames=8)
    registry = Registry(tmp_path / "models.json")
    registry.add(Registration("boxes", "function-file", str(FUNCTIONS / "pixel_boxes.py")))
    stack = UndoStack()
    dialog = AutoAnnotationDialog(project, project.tasks()[0].id, registry=registry, undo_stack=stack,
                                  manager=ModelManager(tmp_path / "models"))
    qtbot.addWidget(dialog)
    dialog.run_place.place.setCurrentIndex(RAY_CLUSTER)
    dialog.start()
    assert "address" in dialog.last_error and not dialog.is_running()
    dialog.run_place.place.setCurrentIndex(RAY_LOCAL)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=120000)
    assert dialog.last_error == "" and dialog.last_result.frames_done == 8
    assert dialog.progress.value() == 8 and dialog.eta.text() == "done: 8 of 8 frames: 8 shapes, 0 tags"
    job = project.jobs(project.tasks()[0].id)[0].id
    assert sorted(s.frame for s in project.annotations(job).shapes) == list(range(8))
    assert len(stack) == 1 and stack.undo() and project.annotations(job).shapes == []
