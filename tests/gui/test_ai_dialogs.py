"""AI tools panel, Detectors tab, Automatic annotation dialog, label matching and the models dialog."""

from __future__ import annotations

from pathlib import Path

import cvat_sdk.auto_annotation as cvataa
import pytest
from PySide6.QtWidgets import QLabel

from app.domain.enums import LabelType, Source
from app.domain.labels import Label
from app.editing.stack import UndoStack
from app.models.manager import ModelManager
from app.models.registry import Registration, Registry
from app.widgets.ai.auto_annotation_dialog import AutoAnnotationDialog, format_eta
from app.widgets.ai.detectors_tab import DetectorsTab
from app.widgets.ai.label_matching_dialog import DROP, LabelMatchingDialog
from app.widgets.ai.models_dialog import ModelsDialog
from app.widgets.ai.panel import AIToolsPanel
from tests.unit.models_fixtures import FUNCTIONS, make_project, task_labels

pytestmark = pytest.mark.gui

SLOW_FUNCTION = '''
import time
import cvat_sdk.auto_annotation as cvataa
spec = cvataa.DetectionFunctionSpec(labels=[cvataa.label_spec("car", 0, type="rectangle")])
def detect(context, image):
    time.sleep(0.05)
    return [cvataa.rectangle(0, [1, 1, 4, 4])]
'''


def _registry(tmp_path: Path, *items: Registration) -> Registry:
    registry = Registry(tmp_path / "models.json")
    for item in items:
        registry.add(item)
    return registry


def _all_shapes(project):
    return [s for job in project.jobs(project.tasks()[0].id) for s in project.annotations(job.id).shapes]


def test_panel_add_tab(qtbot) -> None:
    panel = AIToolsPanel()
    qtbot.addWidget(panel)
    assert panel.add_tab(QLabel("x"), "Interactors") == 0
    assert panel.add_tab(QLabel("y"), "Detectors") == 1
    assert panel.tab("Detectors").text() == "y" and panel.tab("Nope") is None


def test_label_matching_prefill_and_compatibility(qtbot) -> None:
    spec = [cvataa.label_spec("car", 0, type="mask"), cvataa.label_spec("plate", 1, type="rectangle"),
            cvataa.skeleton_label_spec("person", 2, [cvataa.keypoint_spec("nose", 0), cvataa.keypoint_spec("x", 1)]),
            cvataa.label_spec("tree", 3, type="polygon")]
    task = task_labels() + [Label("lane", type=LabelType.POLYGON)]
    dialog = LabelMatchingDialog(spec, task, allow_unmatched=False)
    qtbot.addWidget(dialog)
    offered = [[dialog.combos[r].itemText(i) for i in range(dialog.combos[r].count())] for r in range(4)]
    assert offered[0] == [DROP, "car (any)", "lane (polygon)"]          # mask <-> polygon, any
    assert offered[1] == [DROP, "plate (rectangle)", "car (any)"]
    assert offered[2] == [DROP, "person (skeleton)"]                     # skeletons only to skeletons
    assert [dialog.combos[r].currentText() for r in range(4)] == ["car (any)", "plate (rectangle)",
                                                                   "person (skeleton)", DROP]
    mapping = dialog.mapping()
    assert mapping.labels["person"].sublabels == {"nose": mapping.labels["person"].sublabels["nose"]}
    assert mapping.labels["plate"].attributes == {}
    problems = dialog.problems()
    assert problems[0] == "unmatched model labels: tree"
    assert "task skeleton 'person' keypoints without a model keypoint: left_eye" in problems[1]  # would fail the run
    dialog.drop_unmatched.setChecked(True)
    dialog.combos[2].setCurrentIndex(0)
    assert dialog.problems() == [] and dialog.allow_unmatched()
    dialog.combos[3].setCurrentIndex(1)
    assert dialog.mapping().labels["tree"].name == "car"


def test_auto_annotation_dialog_task_run_with_undo(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=4, segment_size=2)
    registry = _registry(tmp_path, Registration("pose", "function-file", str(FUNCTIONS / "pose_skeleton.py")))
    stack = UndoStack()
    dialog = AutoAnnotationDialog(project, project.tasks()[0].id, project.jobs()[0].id, undo_stack=stack,
                                  registry=registry, manager=ModelManager(tmp_path / "models"))
    qtbot.addWidget(dialog)
    dialog.task_scope.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20000)
    assert dialog.last_error == "" and dialog.last_result.frames_done == 4
    assert dialog.progress.value() == 4 and "4 frames" in dialog.eta.text()
    shapes = _all_shapes(project)
    assert len(shapes) == 4 and all(s.source is Source.AUTO for s in shapes)
    assert len(stack) == 1 and stack.undo() and _all_shapes(project) == []


def test_auto_annotation_dialog_cancel_and_failure(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=30)
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW_FUNCTION)
    registry = _registry(tmp_path, Registration("slow", "function-file", str(slow)),
                         Registration("broken", "function-file", str(FUNCTIONS / "bad_label_id.py"), ["good_frames=int:3"]))
    stack = UndoStack()
    dialog = AutoAnnotationDialog(project, project.tasks()[0].id, registry=registry, undo_stack=stack,
                                  manager=ModelManager(tmp_path / "models"))
    qtbot.addWidget(dialog)
    dialog.model_combo.setCurrentText("slow")
    dialog.start()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 2, timeout=20000)
    assert dialog.eta.text().startswith("ETA 0:")
    dialog.cancel()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20000)
    result = dialog.last_result
    assert result.cancelled and 2 <= result.frames_done < 30
    kept = result.frames_done
    assert dialog.eta.text() == f"cancelled; kept {kept} of 30 frames: {kept} shapes, 0 tags"
    assert sorted(s.frame for s in _all_shapes(project)) == list(range(kept))  # exactly what it says
    assert len(stack) == 1 and stack.undo_text() == "Automatic annotation"  # one step, written as it ran
    dialog.model_combo.setCurrentText("broken")
    dialog.clear_existing.setChecked(True)
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=20000)
    assert "unknown label ID (99)" in dialog.last_error and "nothing was written" in dialog.last_error
    assert len(_all_shapes(project)) == result.frames_done  # the failed run changed nothing
    assert len(stack) == 1  # and left no undo step
    assert stack.undo() and _all_shapes(project) == []  # undo removes exactly what the cancelled run wrote


def test_detectors_tab_current_frame(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=3)
    registry = _registry(tmp_path, Registration("ocr", "function-file", str(FUNCTIONS / "ocr_text.py"), ["prefix=str:T"]))
    tab = DetectorsTab(registry=registry, manager=ModelManager(tmp_path / "models"))
    qtbot.addWidget(tab)
    assert not tab.run_button.isEnabled()
    stack = UndoStack()
    job = project.jobs()[0]
    tab.set_context(project, job.id, 1, stack)
    assert tab.run_button.isEnabled()
    tab.run_current_frame()
    qtbot.waitUntil(lambda: tab.handle is None, timeout=20000)
    shapes = _all_shapes(project)
    assert [s.frame for s in shapes] == [1] and "1 shapes" in tab.status.text() and len(stack) == 1


def test_models_dialog_register_and_from_model(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=1, labels=[Label("car")])
    registry = _registry(tmp_path)
    dialog = ModelsDialog(registry, ModelManager(tmp_path / "models"), project)
    qtbot.addWidget(dialog)
    dialog.register_function(str(FUNCTIONS / "pose_skeleton.py"), "pose", "")
    dialog.register_function(str(FUNCTIONS / "ocr_text.py"), "ocr", "bad-param")
    assert "name=type:value" in dialog.info.text() and len(registry) == 1
    dialog.list.setCurrentRow(0)
    dialog.copy_labels_from_model()
    qtbot.waitUntil(lambda: "Added" in dialog.info.text(), timeout=20000)
    person = project.labels().by_name("person")
    assert person is not None and person.type is LabelType.SKELETON and len(person.sublabels) == 17
    dialog.remove_selected()
    assert len(registry) == 0


def test_format_eta() -> None:
    assert format_eta(None) == "ETA --" and format_eta(3725.2) == "ETA 1:02:05"


# ------------------------------------------------------------------ per-attribute / per-keypoint editors
EDITOR_SPEC = [
    cvataa.label_spec("plate", 0, type="rectangle", attributes=[
        cvataa.text_attribute_spec("text", 0), cvataa.text_attribute_spec("ocr", 1),
        cvataa.select_attribute_spec("color", 2, ["blue", "red"]),
        cvataa.number_attribute_spec("size", 3, ["1", "5", "1"])]),
    cvataa.skeleton_label_spec("person", 1, [cvataa.keypoint_spec("head", 0), cvataa.keypoint_spec("foot", 1),
                                             cvataa.keypoint_spec("hand", 2)]),
]


def _editor_labels() -> list[Label]:
    from app.domain.enums import AttributeType
    from app.domain.labels import AttributeSpec

    return [
        Label("plate", type=LabelType.RECTANGLE, attributes=[
            AttributeSpec("text", AttributeType.TEXT), AttributeSpec("color", AttributeType.SELECT, ["red", "blue"]),
            AttributeSpec("number", AttributeType.TEXT)]),
        Label("person", type=LabelType.SKELETON, sublabels=[Label("head", type=LabelType.POINTS),
                                                           Label("left_foot", type=LabelType.POINTS)]),
    ]


class _MappedFunction:
    """A CVAT detection function whose names differ from the task's (needs the dialog's mapping)."""

    spec = cvataa.DetectionFunctionSpec(labels=EDITOR_SPEC)

    def detect(self, context, image):
        from cvat_sdk.attributes import attribute_vals_from_dict

        kp = cvataa.keypoint
        return [cvataa.rectangle(0, [1, 1, 5, 5], attributes=attribute_vals_from_dict({1: "AB12", 2: "red"})),
                cvataa.skeleton(1, [kp(0, [1, 2]), kp(1, [3, 4]), kp(2, [5, 6])])]


def test_attribute_and_keypoint_editors(qtbot) -> None:
    dialog = LabelMatchingDialog(EDITOR_SPEC, _editor_labels(), allow_unmatched=False)
    qtbot.addWidget(dialog)
    attrs = dialog.attribute_editor
    assert dialog.detail_row == 0 and not dialog.keypoint_editor.isVisibleTo(dialog)
    assert attrs.options("ocr") == [DROP, "text", "number"]       # only compatible task attributes
    assert attrs.options("color") == [DROP, "color"] and attrs.options("size") == [DROP]
    assert attrs.attributes() == {"text": "text", "color": "color"}  # pre-filled by name
    attrs.choose("ocr", "number")
    assert dialog.mapping().labels["plate"].attributes == {"text": "text", "ocr": "number", "color": "color"}
    assert dialog.table.cellWidget(0, 2).text() == "3/4 attributes"
    attrs.choose("text", "number")
    assert any("both map to 'number'" in p for p in dialog.problems())
    attrs.choose("text", None)

    dialog.table.setCurrentCell(1, 0)
    keys = dialog.keypoint_editor
    assert dialog.detail_row == 1 and keys.isVisibleTo(dialog)
    assert keys.options("foot") == [DROP, "head", "left_foot"]
    assert {k: v.name for k, v in keys.sublabels().items()} == {"head": "head"}
    assert dialog.problems() == ["task skeleton 'person' keypoints without a model keypoint: left_foot"]
    keys.choose("hand", "head")
    assert any("'head' and 'hand'" in p for p in dialog.problems())
    keys.choose("hand", None)
    keys.choose("foot", "left_foot")
    assert dialog.problems() == [] and dialog.table.cellWidget(1, 2).text() == "0/0 attributes, 2/3 keypoints"
    mapping = dialog.mapping()
    assert {k: v.name for k, v in mapping.labels["person"].sublabels.items()} == {"head": "head", "foot": "left_foot"}

    # switching rows keeps each pair's edits; a copy of a given mapping is edited, not the original
    dialog.table.setCurrentCell(0, 0)
    assert dialog.attribute_editor.attributes() == {"ocr": "number", "color": "color"}
    again = LabelMatchingDialog(EDITOR_SPEC, _editor_labels(), mapping, allow_unmatched=False)
    qtbot.addWidget(again)
    again.attribute_editor.choose("ocr", None)
    assert mapping.labels["plate"].attributes["ocr"] == "number"
    assert again.mapping().labels["plate"].attributes == {"color": "color"}


def test_runner_uses_the_edited_mapping(qtbot, tmp_path: Path) -> None:
    from app.media.sources import open_task_source
    from app.models.runner import RunOptions, plan_task, run_detection
    from app.models.writer import AutoAnnotationRun

    project = make_project(tmp_path, frames=2, labels=_editor_labels())
    dialog = LabelMatchingDialog(EDITOR_SPEC, list(project.labels()), allow_unmatched=False)
    qtbot.addWidget(dialog)
    dialog.attribute_editor.choose("ocr", "number")
    dialog.table.setCurrentCell(1, 0)
    dialog.keypoint_editor.choose("foot", "left_foot")
    assert dialog.problems() == []
    task = project.tasks()[0]
    source = open_task_source(project, task.id)
    run_detection(_MappedFunction(), plan_task(project, task.id), source, project.labels(), AutoAnnotationRun(project),
                  RunOptions(mapping=dialog.mapping(), allow_unmatched_labels=dialog.allow_unmatched()))
    source.close()
    plate, person = project.labels().by_name("plate"), project.labels().by_name("person")
    number, color = plate.attributes[2], plate.attributes[1]
    shapes = sorted(_all_shapes(project), key=lambda s: (s.frame, s.type.value))
    assert len(shapes) == 4
    box, skeleton = shapes[0], shapes[1]
    assert box.attributes[number.id] == "AB12" and box.attributes[color.id] == "red"
    assert [(e.label_id, e.points) for e in skeleton.elements] == [(person.sublabels[0].id, [1.0, 2.0]),
                                                                    (person.sublabels[1].id, [3.0, 4.0])]


def test_keypoint_attribute_editor(qtbot) -> None:
    from app.domain.enums import AttributeType
    from app.domain.labels import AttributeSpec
    from app.models.validation import OutputMapper

    spec = [cvataa.skeleton_label_spec("person", 0, [
        cvataa.keypoint_spec("head", 0, attributes=[cvataa.text_attribute_spec("note", 0)]),
        cvataa.keypoint_spec("foot", 1)])]
    task = [Label("person", type=LabelType.SKELETON, id=1, sublabels=[
        Label("head", type=LabelType.POINTS, id=11, attributes=[AttributeSpec("comment", AttributeType.TEXT, id=111),
                                                                AttributeSpec("note", AttributeType.TEXT, id=112)]),
        Label("foot", type=LabelType.POINTS, id=12)])]
    dialog = LabelMatchingDialog(spec, task, allow_unmatched=False)
    qtbot.addWidget(dialog)
    assert not dialog.keypoint_attribute_editor.isVisibleTo(dialog)
    dialog.keypoint_editor.setCurrentCell(0, 0)
    editor = dialog.keypoint_attribute_editor
    assert editor.isVisibleTo(dialog) and editor.options("note") == [DROP, "comment", "note"]
    assert editor.attributes() == {"note": "note"}                   # pre-filled by name
    editor.choose("note", "comment")
    dialog.keypoint_editor.setCurrentCell(1, 0)                     # foot has no attributes
    assert not editor.isVisibleTo(dialog)
    dialog.keypoint_editor.setCurrentCell(0, 0)
    assert editor.attributes() == {"note": "comment"}               # the edit was kept
    mapping = dialog.mapping()
    assert mapping.labels["person"].sublabels["head"].attributes == {"note": "comment"} and dialog.problems() == []
    from cvat_sdk.attributes import attribute_vals_from_dict

    mapper = OutputMapper(spec, task, mapping=mapping)
    shapes, _ = mapper.map_frame([cvataa.skeleton(0, [
        cvataa.keypoint(0, [1, 1], attributes=attribute_vals_from_dict({0: "hi"})), cvataa.keypoint(1, [2, 2])])], 0)
    assert shapes[0].elements[0].attributes[111] == "hi"
