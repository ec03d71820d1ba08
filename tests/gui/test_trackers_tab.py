"""The Trackers tab in a real job window: mark objects, step with F, switch per object, captions,
track to frame with progress, and cancel leaving consistent tracks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import Qt

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.models.trackers.choices import MIL_KEY, TrackerChoice
from app.models.trackers.opencv_mil import MilTracker
from app.widgets.ai.panel import AIToolsPanel
from app.widgets.ai.trackers_tab import TITLE, install
from app.widgets.job_window import JobWindow
from tests.support.qt_input import Mouse
from tests.unit.test_trackers_support import RED_START, RED_STEP, square_at, video_project

pytestmark = pytest.mark.gui
SLOW_KEY = "test:slow-mil"


class SlowMil(MilTracker):
    """TrackerMIL that takes a while per frame and tells when it started tracking (for Cancel)."""

    name = "SlowMIL"

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()

    def track(self, pre, state):
        self.started.set()
        time.sleep(0.15)
        return super().track(pre, state)


def _factory(key: str, size: int | None):
    return SlowMil() if key == SLOW_KEY else MilTracker()


@pytest.fixture
def window(qtbot, tmp_path: Path):
    cv2.setRNGSeed(5)
    project, job_id = video_project(tmp_path, 12)
    w = JobWindow(project, job_id)
    qtbot.addWidget(w)
    w.resize(900, 600)
    w.show()
    qtbot.waitExposed(w)
    w.canvas.fit()
    panel = AIToolsPanel()
    choices = [TrackerChoice(MIL_KEY, "TrackerMIL", "rectangles", frozenset({ShapeType.RECTANGLE})),
               TrackerChoice(SLOW_KEY, "Slow MIL", "rectangles, slowly", frozenset({ShapeType.RECTANGLE}))]
    tab = install(w, panel, choices=choices, factory=_factory)
    w.add_side_panel(panel, "AI tools")
    qtbot.waitUntil(lambda: tab.tracker is not None, timeout=5000)
    yield w, tab, panel
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    w.close()
    project.close()


def _red(frame: int) -> list[float]:
    return [float(v) for v in square_at(RED_START, RED_STEP, frame)]


def test_draw_a_tracked_rectangle_and_step_with_f(qtbot, window) -> None:
    w, tab, panel = window
    assert panel.tab(TITLE) is tab
    w.session.current_label_id = w.project.labels().by_name("car").id
    tab.track_button.click()
    assert w.canvas.tool is tab.tool
    x1, y1, x2, y2 = _red(0)
    Mouse(qtbot, w.canvas).press(x1, y1)
    Mouse(qtbot, w.canvas).move(x2, y2, buttons=Qt.MouseButton.LeftButton)
    Mouse(qtbot, w.canvas).release(x2, y2)
    (track,) = w.project.tracks(w.job_id)
    assert track.shapes[0].points == pytest.approx(_red(0), abs=1.5)
    assert tab.objects_list.count() == 1 and "TrackerMIL" in tab.objects_list.item(0).text()
    assert tab.captions.texts() == ["TrackerMIL"]  # the tracker's name is shown on the canvas
    for frame in (1, 2, 3):
        w.trigger("frame.next")
        qtbot.waitUntil(lambda f=frame: max(s.frame for s in w.project.tracks(w.job_id)[0].shapes) == f, timeout=5000)
    qtbot.waitUntil(lambda: not tab.busy, timeout=5000)
    shapes = w.project.tracks(w.job_id)[0].shapes
    assert [s.frame for s in shapes] == [0, 1, 2, 3]
    assert abs(shapes[-1].points[0] - _red(3)[0]) <= 10
    # The switch turns tracking off: the next step leaves the track alone.
    tab.objects_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    assert tab.captions.texts() == []
    w.trigger("frame.next")
    qtbot.wait(200)
    qtbot.waitUntil(lambda: not tab.busy, timeout=5000)
    assert max(s.frame for s in w.project.tracks(w.job_id)[0].shapes) == 3
    w.trigger("edit.undo")  # each step was one undo step
    assert max(s.frame for s in w.project.tracks(w.job_id)[0].shapes) == 2


def test_track_selected_shape_to_frame(qtbot, window) -> None:
    w, tab, _ = window
    car = w.project.labels().by_name("car").id
    (shape_id,) = w.project.add_shapes(w.job_id, [Shape(ShapeType.RECTANGLE, 0, car, _red(0))])
    w.goto_frame(0)
    w.session.select([("shape", shape_id)])
    assert tab.track_to_frame(6)
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    (track,) = w.project.tracks(w.job_id)
    assert [s.frame for s in track.shapes] == list(range(7))
    assert w.project.frame_shapes(w.job_id, 0) == []  # converted to a track
    assert "tracked 6 of 6 frames" in tab.message.text()


def test_cancel_keeps_whole_frames(qtbot, window) -> None:
    w, tab, _ = window
    tab.choose(SLOW_KEY)
    qtbot.waitUntil(lambda: isinstance(tab.tracker, SlowMil), timeout=5000)
    car, sign = (w.project.labels().by_name(n).id for n in ("car", "sign"))
    w.project.add_shapes(w.job_id, [Shape(ShapeType.RECTANGLE, 0, car, _red(0)),
                                    Shape(ShapeType.RECTANGLE, 0, sign, [125.0, 2.0, 155.0, 32.0])])
    w.goto_frame(0)
    w.session.select([])
    assert tab.track_to_frame(11)  # nothing selected: every rectangle
    assert tab.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: tab.progress.value() >= 2, timeout=10000)
    tab.cancel_button.click()
    qtbot.waitUntil(lambda: not tab.busy, timeout=10000)
    tracks = w.project.tracks(w.job_id)
    assert len(tracks) == 2
    frames = [[s.frame for s in t.shapes] for t in tracks]
    assert frames[0] == frames[1]  # both objects tracked over the same frames
    assert frames[0] == list(range(len(frames[0]))) and 3 <= len(frames[0]) < 12
    assert "cancelled" in tab.message.text()
    w.trigger("edit.undo")
    assert w.project.tracks(w.job_id) == [] and len(w.project.frame_shapes(w.job_id, 0)) == 2

