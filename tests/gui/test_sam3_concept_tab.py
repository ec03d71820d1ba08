"""The SAM 3 concept tab and tool: example boxes drawn on the canvas (positive and negative) with the text
prompt, previewed and added as one undo step; saved prompts listed, used and deleted; concept tracking
through a frame range with progress and Cancel (the frames done kept exactly, one undo step). Real
transformers code, reduced random-weight model (tests/support/sam3_tiny.py), threshold 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.enums import LabelType, Source
from app.domain.labels import Label
from app.editing.session import EditSession
from app.media.sources import open_task_source
from app.models.sam3.engine import Sam3Engine
from app.models.sam3.prompting import ConceptSegmenter
from app.tools.ai_concept import ConceptTool
from app.tools.base import Button, EventKind, Modifier, ToolEvent
from app.tools.host import PlainView, ToolHost
from app.widgets.ai.concept_tab import ConceptTab, SharedSegmenter
from tests.support.sam3_tiny import tiny_model
from tests.unit.models_fixtures import make_project

pytestmark = pytest.mark.gui
LABELS = [Label("car", type=LabelType.RECTANGLE), Label("road", type=LabelType.POLYGON)]


def _drag(tool: ConceptTool, box: tuple[float, float, float, float], button: Button = Button.LEFT,
          modifiers: Modifier = Modifier.NONE) -> None:
    x1, y1, x2, y2 = box
    tool.press(ToolEvent(EventKind.PRESS, x1, y1, button, button, modifiers))
    tool.move(ToolEvent(EventKind.MOVE, x2, y2, Button.NONE, button, modifiers))
    tool.release(ToolEvent(EventKind.RELEASE, x2, y2, button, Button.NONE, modifiers))


@pytest.fixture
def setup(qtbot, tmp_path: Path):
    project = make_project(tmp_path, frames=4, labels=LABELS)
    session = EditSession(project, project.jobs()[0].id)
    source = open_task_source(project, session.job.task_id)
    view = PlainView(session, lambda frame, _adjusted: source.read(frame))
    loads: list[int] = []

    def load() -> ConceptSegmenter:
        loads.append(1)
        return ConceptSegmenter(Sam3Engine(tiny_model(queries=4)), max_points=10)

    shared = SharedSegmenter(load)
    tool = ConceptTool(lambda: shared)
    pushed: list = []

    def push(command) -> None:
        pushed.append(command)
        session.push(command)

    tab = ConceptTab(project, session.job_id, source, tool, push=push, frame=session.frame, segmenter=shared)
    qtbot.addWidget(tab)
    tool.activate(ToolHost(session, view))
    yield project, session, view, tool, tab, loads
    tool.deactivate()
    tool.worker.shutdown()
    source.close()
    project.close()


def test_example_boxes_preview_and_one_undo_step(qtbot, setup) -> None:
    project, session, view, tool, tab, loads = setup
    tab.label_combo.setCurrentText("road")
    tab.text.setText("")
    tab.threshold.set_value(0.0)
    tab.draw()
    assert "empty prompt" in view.preview.text  # no text and no box yet: nothing runs
    _drag(tool, (2, 2, 16, 20))
    _drag(tool, (20, 2, 30, 12), Button.LEFT, Modifier.SHIFT)  # a wrong hit
    assert [ex.positive for ex in tool.exemplars] == [True, False]
    qtbot.waitUntil(lambda: not tool.busy, timeout=90_000)
    assert tool.found and all(f.type.value == "polygon" for f in tool.found) and tool.last_error == ""
    assert [positive for _box, positive in view.preview.extra["exemplars"]] == [True, False]
    assert len(view.preview.shapes) == len(tool.found) and loads == [1]
    tool.press(ToolEvent(EventKind.PRESS, 25, 7, Button.LEFT, Button.LEFT))  # a click in the negative box
    tool.release(ToolEvent(EventKind.RELEASE, 25, 7, Button.LEFT))
    assert [ex.positive for ex in tool.exemplars] == [True]
    qtbot.waitUntil(lambda: not tool.busy, timeout=90_000)
    count = len(tool.found)
    tab.add_found()
    shapes = project.frame_shapes(session.job_id, session.frame)
    assert len(shapes) == count and all(s.source is Source.AUTO for s in shapes)
    assert len(session.undo_stack) == 1 and not tool.exemplars and "one undo step" in tab.status.text()
    session.undo_stack.undo()
    assert not project.frame_shapes(session.job_id, session.frame)


def test_saved_prompts_and_concept_tracking_with_cancel(qtbot, setup) -> None:
    project, session, view, tool, tab, loads = setup
    tab.label_combo.setCurrentText("car")
    tab.text.setText("car")
    tab.threshold.set_value(0.0)
    tab.save_current()
    assert "give the prompt a name" in tab.status.text()
    tab.name.setText("cars")
    tab.save_current()
    assert tab.saved_list.count() == 1 and "cars: car ← car" in tab.saved_list.item(0).text()
    tab.text.setText("")
    tab.saved_list.setCurrentRow(0)
    tab.use_selected()
    assert tab.text.text() == "car" and tool.text == "car"
    qtbot.waitUntil(lambda: not tool.busy, timeout=90_000)
    assert tool.found and all(f.type.value == "rectangle" for f in tool.found)

    tab.to_frame.setValue(3)
    tab.track()
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=60000)
    assert tab.last_outcome.finished and "tracked 4 of 4 frames" in tab.status.text()
    tracks = project.tracks(session.job_id)
    assert tracks and all(t.source is Source.AUTO for t in tracks) and len(session.undo_stack) == 1
    session.undo_stack.undo()

    tab.track()
    tab.cancel()  # at once: at most the frame under way is dropped, what is kept is whole frames
    qtbot.waitUntil(lambda: not tab.is_running(), timeout=60000)
    outcome = tab.last_outcome
    assert outcome.cancelled and outcome.value.cancelled
    kept = set(outcome.value.done)
    assert {s.frame for t in project.tracks(session.job_id) for s in t.shapes if not s.outside} <= kept
    assert loads == [1]  # one model for the tool and the tracking
    tab.delete_selected()
    assert tab.saved_list.count() == 0
