"""A job window carries the AI tools panel (Detectors, Interactors, Trackers), and the canvas routes
the right button and Ctrl+wheel to the active tool before using them to pan and zoom."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent

from app.domain import Shape
from app.tools.base import Button, Modifier, Tool, ToolEvent
from app.widgets.job_window import JobWindow
from tests.support.canvas_project import make_project
from tests.support.qt_input import Mouse

pytestmark = pytest.mark.gui


class RecordingTool(Tool):
    tool_id = "test:recording"

    def __init__(self) -> None:
        super().__init__()
        self.presses: list[ToolEvent] = []
        self.wheels: list[tuple[float, Modifier]] = []

    def press(self, event: ToolEvent) -> bool:
        self.presses.append(event)
        return event.button is Button.RIGHT

    def wheel(self, delta: float, modifiers: Modifier) -> bool:
        self.wheels.append((delta, modifiers))
        return True


@pytest.fixture
def window(qtbot, tmp_path: Path) -> JobWindow:
    project = make_project(tmp_path)
    w = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()
    project.close()


def test_ai_panel_has_the_three_tabs_and_no_torch_loaded(window: JobWindow) -> None:
    titles = [window.ai_dock.widget().tabText(i) for i in range(window.ai_dock.widget().count())]
    assert titles == ["Detectors", "Interactors", "Trackers", "SAM 3 concept"]
    if not window.detectors.choices:  # no model in the (test) models folder: the tab says what to do
        assert "No detectors yet" in window.detectors.status.text()
    assert "ai:sam2" in window.tools and "ai:scissors" in window.tools and "ai:sam3-concept" in window.tools
    assert window.detectors.frame == window.frame and window.detectors.job_id == window.job_id
    window.step(1)
    assert window.detectors.frame == window.frame


def test_opening_a_job_window_does_not_import_torch(tmp_path: Path) -> None:
    """Starting the app and using non-AI features never loads torch (checked in a fresh interpreter)."""
    root = Path(__file__).resolve().parents[2]
    code = f"""
import sys
from app.widgets.application import make_app
app = make_app()
from tests.support.canvas_project import make_project
from app.widgets.job_window import JobWindow
from app.widgets.main_window import MainWindow
project = make_project(__import__("pathlib").Path({str(tmp_path)!r}))
main = MainWindow()
window = JobWindow(project, project.jobs()[0].id)
window.show(); app.processEvents(); window.step(1); app.processEvents()
print(sorted(m for m in ("torch", "ultralytics", "sam2", "onnxruntime") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_right_button_goes_to_the_tool_first(window: JobWindow, qtbot) -> None:
    tool = RecordingTool()
    window.set_tool(tool)
    mouse = Mouse(qtbot, window.canvas)
    mouse.press(40, 40, button=Qt.MouseButton.RightButton)
    mouse.release(40, 40, button=Qt.MouseButton.RightButton)
    assert [e.button for e in tool.presses] == [Button.RIGHT]


def test_ctrl_wheel_goes_to_a_tool_with_a_wheel_hook(window: JobWindow) -> None:
    tool = RecordingTool()
    window.set_tool(tool)
    scale = window.canvas.scale_factor
    pos = QPointF(50, 50)
    event = QWheelEvent(pos, window.canvas.viewport().mapToGlobal(pos), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase,
                        False)
    window.canvas.wheelEvent(event)
    assert tool.wheels and tool.wheels[0][0] == 1.0
    assert window.canvas.scale_factor == scale  # consumed: no zoom
    plain = QWheelEvent(pos, window.canvas.viewport().mapToGlobal(pos), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    window.canvas.wheelEvent(plain)
    assert window.canvas.scale_factor > scale


def test_quality_conflict_jumps_to_frame_and_selects_shapes(window: JobWindow) -> None:
    from app.domain import Shape

    label = window.project.labels().by_name("car").id
    (sid,) = window.project.add_shapes(window.job_id, [Shape("rectangle", 2, label, [10, 10, 40, 40])])
    assert window.quality_dock.windowTitle() == "Quality"
    window.quality_panel.conflict_activated.emit(2, [
        {"obj_id": sid, "job_id": window.job_id, "type": "shape", "shape_type": "rectangle"},
        {"obj_id": 999, "job_id": 12345, "type": "shape", "shape_type": "rectangle"},  # the GT side: other job
    ])
    assert window.frame == 2
    assert window.session.selected_ids() == [sid]
    window.quality_panel.frame_activated.emit(3)
    assert window.frame == 3


def test_job_window_layout_persists(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    from app.widgets.job_layout import LayoutKeeper
    from app.widgets.job_window import JobWindow

    project = make_project(tmp_path)
    first = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(first)
    first.show()
    first.quality_dock.hide()
    first.close()
    assert QSettings("Fieldmark", "Fieldmark").value(f"{LayoutKeeper.KEY}/state") is not None
    second = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(second)
    second.show()
    assert not second.quality_dock.isVisible()  # restored from the saved layout
    second.close()
    project.close()


def test_honeypot_job_shows_consecutive_frame_numbers(qtbot, tmp_path: Path) -> None:
    """Annotators cannot tell honeypots from the numbering: the job shows consecutive numbers."""
    from app.quality.honeypots import display_numbers, honeypot_frames, setup_honeypots

    project = make_project(tmp_path, frames=8)
    task_id = project.tasks()[0].id
    setup_honeypots(project, task_id, pool_frames=[6, 7], frames_per_job=1, seed=1)
    job = next(j for j in project.jobs(task_id) if j.options.get("honeypots"))
    frames, numbers = job.frame_list(), display_numbers(job)
    (real,) = honeypot_frames(job)
    assert real in frames and numbers == list(range(numbers[0], numbers[0] + len(frames)))
    window = JobWindow(project, job.id)
    qtbot.addWidget(window)
    position = frames.index(real)
    window.goto_frame(real)
    assert window.frame_bar.spin.value() == numbers[position]
    assert window.frame_bar.name.text().startswith(f"{numbers[position]}:")
    window.frame_bar.spin.setValue(numbers[0])
    window.frame_bar.spin.editingFinished.emit()
    assert window.frame == frames[0]
    window.close()
    project.close()


def test_objects_panel_has_the_per_object_tracking_switch(window: JobWindow, qtbot) -> None:
    tab = window.trackers  # its default tracker is OpenCV's MIL
    car = window.project.labels().by_name("car").id
    (shape_id,) = window.project.add_shapes(window.job_id, [Shape("rectangle", window.frame, car, [20, 20, 60, 60])])
    window.goto_frame(window.frame)
    window.session.select([("shape", shape_id)])
    marked = tab.track_selected()
    assert marked, "the selected rectangle became a tracked track"
    track_id = marked[0]
    model = window.objects_panel.model
    row = next(i for i, obj in enumerate(model.rows) if obj.key == ("track", track_id))
    from app.widgets.panels.objects import TRACKING

    index = model.index(row, TRACKING)
    assert model.headerData(TRACKING, Qt.Orientation.Horizontal) == "Tracking"
    assert model.data(index, Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.setData(index, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert tab.tracking_state(track_id) is False
    row = next(i for i, obj in enumerate(model.rows) if obj.key == ("track", track_id))
    assert model.data(model.index(row, TRACKING), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked


def test_interactors_tab_follows_label_edits(window: JobWindow) -> None:
    from app.domain import Label

    window.project.add_label(Label("tree", type="polygon"))
    names = [window.interactors.label_combo.itemText(i) for i in range(window.interactors.label_combo.count())]
    assert "tree" in names
