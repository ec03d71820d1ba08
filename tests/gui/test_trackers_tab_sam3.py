"""SAM 3 concept tracking in the Trackers tab: a saved prompt or label + text, forward and backward, the
background-work contract (progress, Cancel keeping whole frames, one undo step), refusals with a message.
Real transformers code with the reduced random-weight model (tests/support/sam3_tiny.py), threshold 0, run
through app.models.sam3.video (the same code as the concept tab and ``fieldmark track --tracker sam3``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.enums import LabelType, Source
from app.domain.labels import Label
from app.editing.session import EditSession
from app.media.sources import open_task_source
from app.models.sam3.engine import Exemplar, Sam3Engine
from app.models.sam3.prompting import ConceptPrompt, ConceptSegmenter
from app.models.sam3.saved import save_prompt
from app.widgets.ai.concept_tab import SharedSegmenter
from app.widgets.ai.trackers_tab import LABEL_AND_TEXT, TrackersTab
from tests.support.sam3_tiny import tiny_model
from tests.unit.models_fixtures import make_project

pytestmark = pytest.mark.gui
LABELS = [Label("car", type=LabelType.RECTANGLE), Label("road", type=LabelType.POLYGON),
          Label("sign", type=LabelType.POINTS)]


class Recording(SharedSegmenter):
    """The shared model, noting which frames it ran on and in which order."""

    def __init__(self) -> None:
        super().__init__(lambda: ConceptSegmenter(Sam3Engine(tiny_model(queries=4)), max_points=10))
        self.frames: list[int] = []

    def find(self, key, rgb, frame, prompt, label_type):
        self.frames.append(frame)
        return super().find(key, rgb, frame, prompt, label_type)


@pytest.fixture
def setup(qtbot, tmp_path: Path):
    project = make_project(tmp_path, frames=4, labels=LABELS)
    session = EditSession(project, project.jobs()[0].id)
    source = open_task_source(project, session.job.task_id)
    segmenter = Recording()
    tab = TrackersTab(project, session.job_id, session.undo_stack, source, choices=[], concept_segmenter=segmenter)
    qtbot.addWidget(tab)
    yield project, session, tab, segmenter
    qtbot.waitUntil(lambda: not tab.busy, timeout=60000)
    source.close()
    project.close()


def _run(qtbot, tab: TrackersTab, target: int) -> None:
    assert tab.track_concept_to_frame(target), tab.message.text()
    qtbot.waitUntil(lambda: not tab.busy, timeout=60000)


def test_saved_prompt_backward_then_cancel(qtbot, setup) -> None:
    project, session, tab, segmenter = setup
    save_prompt(project, ConceptPrompt("car", "car", threshold=0.0, name="cars"))
    tab.refresh_concept_prompts()
    assert [tab.concept_combo.itemText(i) for i in range(tab.concept_combo.count())] == [LABEL_AND_TEXT, "cars"]
    tab.concept_combo.setCurrentText("cars")
    assert not tab.concept_text.isEnabled()  # a saved prompt carries its own label, text and threshold
    tab.frame = 3
    seen, show = [], tab._progress
    tab._progress = lambda progress: (seen.append((progress.done, progress.total)), show(progress))
    _run(qtbot, tab, 0)
    assert segmenter.frames == [3, 2, 1, 0]  # backward, one frame at a time
    assert tab.last_outcome.finished and "tracked 4 of 4 frames" in tab.message.text()
    assert "one undo step" in tab.message.text() and seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    tracks = project.tracks(session.job_id)
    car = project.labels().by_name("car")
    assert tracks and all(t.source is Source.AUTO and t.label_id == car.id for t in tracks)
    assert all(s.type.value == "rectangle" for t in tracks for s in t.shapes)
    assert len(session.undo_stack) == 1
    session.undo_stack.undo()
    assert not project.tracks(session.job_id)

    assert tab.track_concept_to_frame(0)
    tab.cancel()  # at once: the frame under way is dropped, the frames done are kept whole
    qtbot.waitUntil(lambda: not tab.busy, timeout=60000)
    outcome = tab.last_outcome
    assert outcome.cancelled and outcome.value.cancelled
    kept = set(outcome.value.done)
    assert kept <= {3, 2, 1, 0} and f"kept {len(kept)} of 4 frames" in tab.message.text()
    assert {s.frame for t in project.tracks(session.job_id) for s in t.shapes if not s.outside} <= kept
    assert len(segmenter.segmenter._features) <= 2  # bounded: the last two frames' features only


def test_label_and_text_forward_and_refusals(qtbot, setup) -> None:
    project, session, tab, segmenter = setup
    assert [tab.concept_label.itemText(i) for i in range(tab.concept_label.count())] == ["car", "road"]
    tab.concept_label.setCurrentText("road")
    tab.concept_text.setText("")
    assert not tab.track_concept_to_frame(2)
    assert "type the text of the concept" in tab.message.text() and not tab.busy
    tab.concept_text.setText("road")
    tab.concept_threshold.set_value(0.0)
    tab.frame = 1
    _run(qtbot, tab, 2)
    assert segmenter.frames == [1, 2] and tab.last_outcome.finished
    tracks = project.tracks(session.job_id)
    assert tracks and all(s.type.value == "polygon" for t in tracks for s in t.shapes)
    assert {s.frame for t in tracks for s in t.shapes} <= {1, 2}

    # example boxes only, drawn on frame 0: SAM 3 reads them from that image, so other frames are refused
    save_prompt(project, ConceptPrompt("car", "", (Exemplar((2, 2, 16, 20)),), frame=0, threshold=0.0,
                                       name="boxes"))
    tab.refresh_concept_prompts()
    tab.concept_combo.setCurrentText("boxes")
    segmenter.frames.clear()
    assert not tab.track_concept_to_frame(3)
    assert "frame 0 only" in tab.message.text() and not tab.busy and segmenter.frames == []
    assert len(session.undo_stack) == 1  # nothing written by the refusal
