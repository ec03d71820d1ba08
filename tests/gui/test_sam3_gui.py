"""SAM 3 in the GUI: the Models dialog's one-time licence question and import, the Detectors tab's
prompt table and a run on the current frame (one undo step, source auto). Real transformers code,
reduced random-weight config (tests/support/sam3_tiny.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.enums import LabelType, Source
from app.domain.labels import Label
from app.editing.stack import UndoStack
from app.models.manager import ModelManager
from app.models.registry import Registry
from app.models.sam3.checkpoint import FILENAME
from app.models.sam3.licence import LICENCE_NAME, LicenceStore
from app.widgets.ai.detectors_tab import DetectorsTab
from app.widgets.ai.models_dialog import ModelsDialog
from app.widgets.ai.sam3_prompts import PromptsDialog
from tests.support.sam3_tiny import save_tiny
from tests.unit.models_fixtures import make_project

pytestmark = pytest.mark.gui


def test_import_with_licence_then_detect_on_frame(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    manager = ModelManager()
    checkpoint = save_tiny(tmp_path / "model.safetensors")
    dialog = ModelsDialog(Registry(tmp_path / "models.json"), manager)
    qtbot.addWidget(dialog)
    dialog.add_sam3(str(checkpoint), accept=False)
    assert "needs the SAM License accepted" in dialog.info.text() and not (manager.root / FILENAME).exists()
    dialog.add_sam3(str(checkpoint), accept=True)
    qtbot.waitUntil(lambda: "Added SAM 3 checkpoint" in dialog.info.text(), timeout=30000)
    assert LicenceStore(manager.root).accepted(LICENCE_NAME) and (manager.root / FILENAME).is_file()

    project = make_project(tmp_path, frames=2, labels=[Label("car", type=LabelType.RECTANGLE),
                                                       Label("road", type=LabelType.POLYGON)])
    tab = DetectorsTab(registry=Registry(tmp_path / "models.json"), manager=manager)
    qtbot.addWidget(tab)
    stack = UndoStack()
    tab.set_context(project, project.jobs()[0].id, 1, stack)
    tab.model_combo.setCurrentIndex(tab.model_combo.findText(FILENAME))
    assert not tab.prompts_button.isHidden()
    prompts = PromptsDialog(list(project.labels()), {}, tab)
    qtbot.addWidget(prompts)
    prompts.table.item(0, 2).setText("parked car")
    assert prompts.prompts() == {"car": "parked car"}
    tab.prompts = prompts.prompts()
    tab.threshold.set_value(0.0)
    tab.run_current_frame()
    qtbot.waitUntil(lambda: tab.handle is None, timeout=30000)
    shapes = [s for job in project.jobs() for s in project.annotations(job.id).shapes]
    assert shapes and {s.frame for s in shapes} == {1} and all(s.source is Source.AUTO for s in shapes)
    assert {s.type.value for s in shapes} <= {"rectangle", "polygon"} and len(stack) == 1
    stack.undo()
    assert not [s for job in project.jobs() for s in project.annotations(job.id).shapes]
    project.close()


def test_interactors_tab_offers_sam3_and_says_when_it_is_missing(qtbot, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app.tools.ai_options import InteractorOptions
    from app.widgets.ai.interactors_tab import InteractorsTab

    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    options = InteractorOptions()
    tab = InteractorsTab(options, None)
    qtbot.addWidget(tab)
    tab.select_model("sam3")
    assert "Nov 2025" in tab.description.text() and "no SAM 3 checkpoint" in tab.message.text()
    assert options.interactor is not None and options.interactor.name == "sam3"


def test_automatic_annotation_dialog_runs_sam3_over_the_task(qtbot, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from app.models.sam3.checkpoint import import_checkpoint
    from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog

    monkeypatch.setenv("FIELDMARK_HOME", str(tmp_path / "home"))
    manager = ModelManager()
    import_checkpoint(save_tiny(tmp_path / "model.safetensors"), accept_licence=True, manager=manager)
    project = make_project(tmp_path, frames=3, labels=[Label("car", type=LabelType.ANY),
                                                       Label("sign", type=LabelType.POINTS)])
    stack = UndoStack()
    dialog = AutoAnnotationDialog(project, project.tasks()[0].id, undo_stack=stack,
                                  registry=Registry(tmp_path / "models.json"), manager=manager)
    qtbot.addWidget(dialog)
    dialog.model_combo.setCurrentText(FILENAME)
    assert not dialog.prompts_button.isHidden()
    dialog.prompts = {"car": ""}  # an emptied prompt: refused before any inference, nothing written
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=30000)
    assert "label 'car': empty text prompt" in dialog.last_error and len(stack) == 0
    dialog.prompts = {"car": "red car"}
    dialog.threshold.set_value(0.0)
    dialog.conv_mask.setChecked(True)  # an 'any' label: masks as polygons (a 'mask' label refuses, as in CVAT)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=30000)
    assert dialog.last_error == "" and dialog.last_result.frames_done == 3
    shapes = [s for job in project.jobs() for s in project.annotations(job.id).shapes]
    assert shapes and {s.type.value for s in shapes} == {"polygon"} and len(stack) == 1
    project.close()
