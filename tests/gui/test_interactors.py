"""AI interactor tools driven by pytest-qt clicks, with the real SAM 2 predictor (random weights, 256 px).

app/widgets/job_window.py did not exist when these were written, so the tools run in a minimal host
widget (real Qt mouse/key events -> ToolEvents at scale 1) with a fake ToolContext over a real
project and undo stack; the Interactors tab is the real widget.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.domain.enums import LabelType, ShapeType, Source
from app.domain.labels import Label
from app.domain.project import FrameInfo
from app.editing.session import EditSession
from app.models.functions import load_function_file
from app.models.interaction_functions import FunctionInteractor
from app.models.sam2_image import Sam2Interactor, save_random_checkpoint
from app.storage.store import Project
from app.tools.ai_options import InteractorOptions
from app.tools.ai_sam2 import Sam2Tool
from app.tools.ai_scissors import ScissorsTool
from app.tools.base import Button, EventKind, KeyEvent, Modifier, ToolEvent
from app.tools.host import PlainView
from app.widgets.ai.interactors_tab import InteractorsTab

pytestmark = pytest.mark.gui

H, W = 120, 160
FUNC = Path(__file__).resolve().parents[1] / "data" / "functions" / "threshold_interactor.py"


class Spy:
    """Wraps an interactor and records the prompts each predict call received."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []
        self.name, self.description = inner.name, inner.description

    def requirement(self, prompts):
        return self.inner.requirement(prompts)

    def prepare(self, key, image):
        return self.inner.prepare(key, image)

    def is_prepared(self, key):
        return self.inner.is_prepared(key)

    def predict(self, key, image, prompts):
        self.calls.append(prompts)
        return self.inner.predict(key, image, prompts)


@pytest.fixture(scope="module")
def sam(tmp_path_factory: pytest.TempPathFactory) -> Sam2Interactor:
    import torch

    torch.set_num_threads(1)
    ckpt = save_random_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml",
                                  tmp_path_factory.mktemp("sam") / "sam2.1_hiera_tiny.pt", image_size=256)
    model = Sam2Interactor(ckpt, image_size=256, device="cpu", threads=1, cache_mib=16, name="sam2.1-tiny")
    model.load()
    return model


class Ctx:
    """A tool host: a real editing session on the project's first job and a plain view showing ``image``."""

    def __init__(self, project: Project, image: np.ndarray) -> None:
        self.session = EditSession(project, project.jobs()[0].id)
        self.view = PlainView(self.session, lambda _frame, _adjusted: image)
        self.project, self.job_id, self.undo_stack = project, self.session.job_id, self.session.undo_stack
        self.frame = self.session.frame

    @property
    def preview(self):
        return self.view.preview

    @property
    def messages(self) -> list[str]:
        return self.session.messages

    def shapes(self):
        return self.project.frame_shapes(self.job_id, self.frame)


_BUTTONS = {Qt.MouseButton.LeftButton: Button.LEFT, Qt.MouseButton.RightButton: Button.RIGHT}
_KEYS = {Qt.Key.Key_Control: "Control", Qt.Key.Key_N: "N", Qt.Key.Key_Escape: "Escape"}


class Host(QWidget):
    """Turns Qt input into tool events (1 widget pixel = 1 image pixel)."""

    def __init__(self, tool) -> None:
        super().__init__()
        self.tool = tool
        self.resize(W, H)
        self.setMouseTracking(True)

    def _event(self, kind: EventKind, e: QMouseEvent) -> ToolEvent:
        buttons = Button.NONE
        for qt_button, button in _BUTTONS.items():
            if e.buttons() & qt_button:
                buttons |= button
        mods = Modifier.CTRL if e.modifiers() & Qt.KeyboardModifier.ControlModifier else Modifier.NONE
        return ToolEvent(kind, e.position().x(), e.position().y(), _BUTTONS.get(e.button(), Button.NONE),
                         buttons, mods)

    def mousePressEvent(self, e: QMouseEvent) -> None:
        self.tool.press(self._event(EventKind.PRESS, e))

    def mouseMoveEvent(self, e: QMouseEvent) -> None:
        self.tool.move(self._event(EventKind.MOVE, e))

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        self.tool.release(self._event(EventKind.RELEASE, e))

    def keyPressEvent(self, e) -> None:
        self.tool.key(KeyEvent(_KEYS.get(e.key(), e.text().upper()), pressed=True))

    def keyReleaseEvent(self, e) -> None:
        self.tool.key(KeyEvent(_KEYS.get(e.key(), e.text().upper()), pressed=False))


def _image() -> np.ndarray:
    img = np.full((H, W, 3), 40, np.uint8)
    img[30:90, 50:120] = 200
    return img


@pytest.fixture
def setup(qtbot, tmp_path: Path, sam: Sam2Interactor):
    labels = [Label("car", type=LabelType.ANY), Label("road", type=LabelType.MASK),
              Label("person", type=LabelType.SKELETON, sublabels=[Label("head", type=LabelType.POINTS)])]
    project = Project.create(tmp_path / "p.fmproj", "p", labels)
    project.create_task("t", [FrameInfo(0, "a.png", W, H), FrameInfo(1, "b.png", W, H)])
    ctx = Ctx(project, _image())
    options = InteractorOptions()
    spy = Spy(sam)
    factory = {"sam2:sam2.1-tiny": spy}
    tab = InteractorsTab(options, project.labels(), functions=[("threshold", "demo function")],
                         factory=lambda key: factory.get(key) or FunctionInteractor(load_function_file(FUNC), "thr"))
    qtbot.addWidget(tab)
    tab.select_model("sam2:sam2.1-tiny")
    tool = Sam2Tool(options)
    tool.activate(ctx)
    host = Host(tool)
    qtbot.addWidget(host)
    host.show()
    yield ctx, tab, tool, host, spy
    tool.deactivate()
    tool.worker.shutdown()
    project.close()


def _wait_result(qtbot, tool) -> None:
    qtbot.waitUntil(lambda: not tool.busy and tool.result is not None, timeout=20000)


def test_click_then_n_adds_one_polygon_with_the_chosen_label(qtbot, setup) -> None:
    ctx, tab, tool, host, spy = setup
    assert [tab.label_combo.itemText(i) for i in range(tab.label_combo.count())] == ["car", "road"]
    tab.slider.setValue(12)
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(80, 60))
    _wait_result(qtbot, tool)
    assert spy.calls[-1].positive == ((80.0, 60.0),)
    assert ctx.preview.shapes and ctx.preview.shapes[0].type == ShapeType.POLYGON
    qtbot.keyClick(host, Qt.Key.Key_N)
    shapes = ctx.shapes()
    assert len(shapes) == 1
    shape = shapes[0]
    car = ctx.project.labels().by_name("car")
    assert (shape.type, shape.label_id, shape.source) == (ShapeType.POLYGON, car.id, Source.SEMI_AUTO)
    assert 3 <= len(shape.points) // 2 <= 12
    assert ctx.preview is None and not tool.positive
    ctx.undo_stack.undo()
    assert ctx.shapes() == []
    ctx.undo_stack.redo()
    assert len(ctx.shapes()) == 1


def test_ctrl_postpones_until_released(qtbot, setup) -> None:
    ctx, tab, tool, host, spy = setup
    qtbot.keyPress(host, Qt.Key.Key_Control)
    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, ctrl, QPoint(70, 50))
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, ctrl, QPoint(100, 70))
    qtbot.wait(50)
    assert tool.pending and spy.calls == [] and tool.result is None
    assert len(ctx.preview.points) == 2 and "Ctrl" in ctx.preview.text
    qtbot.keyRelease(host, Qt.Key.Key_Control)
    _wait_result(qtbot, tool)
    assert not tool.pending
    assert len(spy.calls) == 1 and spy.calls[0].positive == ((70.0, 50.0), (100.0, 70.0))


def test_negative_points_and_removing_a_point(qtbot, setup) -> None:
    ctx, tab, tool, host, spy = setup
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(80, 60))
    _wait_result(qtbot, tool)
    first = tool.result.mask.sum()
    qtbot.mouseClick(host, Qt.MouseButton.RightButton, pos=QPoint(20, 20))
    qtbot.waitUntil(lambda: len(spy.calls) == 2 and not tool.busy, timeout=20000)
    assert spy.calls[-1].negative == ((20.0, 20.0),)
    assert tool.result.mask.sum() != first  # the negative point changed the mask
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(21, 21))  # on the negative point: removes it
    qtbot.waitUntil(lambda: len(spy.calls) == 3 and not tool.busy, timeout=20000)
    assert tool.negative == [] and spy.calls[-1].negative == () and spy.calls[-1].positive == ((80.0, 60.0),)
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(80, 60))  # removes the last positive point
    qtbot.wait(50)
    assert tool.positive == [] and tool.result is None and len(spy.calls) == 3
    qtbot.keyClick(host, Qt.Key.Key_N)
    assert ctx.shapes() == [] and "nothing to add" in ctx.messages[-1]


def _mouse(host, kind, pos, button, buttons) -> None:
    event = QMouseEvent(kind, QPointF(pos), QPointF(host.mapToGlobal(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(host, event)


def test_box_drag_and_mask_output(qtbot, setup) -> None:
    ctx, tab, tool, host, spy = setup
    tab.mask_radio.setChecked(True)
    tab.label_combo.setCurrentIndex(tab.label_combo.findText("road"))
    left = Qt.MouseButton.LeftButton
    _mouse(host, QMouseEvent.Type.MouseButtonPress, QPoint(45, 25), left, left)
    _mouse(host, QMouseEvent.Type.MouseMove, QPoint(90, 60), Qt.MouseButton.NoButton, left)
    _mouse(host, QMouseEvent.Type.MouseMove, QPoint(125, 95), Qt.MouseButton.NoButton, left)
    _mouse(host, QMouseEvent.Type.MouseButtonRelease, QPoint(125, 95), left, Qt.MouseButton.NoButton)
    _wait_result(qtbot, tool)
    assert spy.calls[-1].box == (45.0, 25.0, 125.0, 95.0) and spy.calls[-1].positive == ()
    tab.done_button.click()  # the tab's Done is wired by the host to tool.accept
    assert ctx.shapes() == []
    tab.done_requested.connect(tool.accept)
    tab.done_button.click()
    shape = ctx.shapes()[0]
    assert shape.type == ShapeType.MASK and shape.label_id == ctx.project.labels().by_name("road").id


def test_stale_answers_are_dropped(qtbot, setup) -> None:
    ctx, tab, tool, host, spy = setup
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(80, 60))
    _wait_result(qtbot, tool)
    current = tool.result
    tool._answer(tool._request - 1, object(), None)  # an answer to an older request
    assert tool.result is current
    qtbot.keyClick(host, Qt.Key.Key_Escape)
    assert tool.result is None and ctx.preview is None and tool.positive == []


def test_interaction_function_runs_as_an_interactor(qtbot, setup) -> None:
    ctx, tab, tool, host, spy = setup
    tab.select_model("function:threshold")
    qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(80, 60))
    _wait_result(qtbot, tool)
    qtbot.keyClick(host, Qt.Key.Key_N)
    poly = np.array(ctx.shapes()[0].points).reshape(-1, 2)
    assert poly[:, 0].min() == 50 and poly[:, 0].max() == 119 and poly[:, 1].min() == 30


def test_scissors_anchor_removal_threshold_and_polygon(qtbot, setup) -> None:
    ctx, tab, _, host, _ = setup
    requested = []
    tab.tool_requested.connect(requested.append)
    tab.select_model("scissors")
    assert requested == ["ai:scissors"]
    tool = ScissorsTool(tab.options, region=200)
    tool.activate(ctx)
    host.tool = tool
    try:
        for x, y in [(50, 30), (119, 30), (119, 89)]:
            qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
            qtbot.waitUntil(lambda: tool.map_ready, timeout=10000)
        qtbot.mouseMove(host, QPoint(50, 89))
        assert ctx.preview.box is not None and ctx.preview.polyline
        qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(119, 89))  # the last anchor: removed
        assert len(tool.path) == 2
        qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(119, 89))
        qtbot.waitUntil(lambda: tool.map_ready, timeout=10000)
        qtbot.mouseClick(host, Qt.MouseButton.LeftButton, pos=QPoint(50, 89))
        assert tool.wheel(120, Modifier.CTRL) and tool.region > 200 and not tool.wheel(120)
        qtbot.keyClick(host, Qt.Key.Key_N)
        shape = ctx.shapes()[0]
        assert shape.type == ShapeType.POLYGON and shape.source == Source.SEMI_AUTO
        poly = np.array(shape.points).reshape(-1, 2)
        assert 4 <= len(poly) <= tab.options.max_points
        assert abs(poly[:, 0].min() - 50) <= 2 and abs(poly[:, 1].max() - 89) <= 2
        ctx.undo_stack.undo()
        assert ctx.shapes() == []
    finally:
        tool.deactivate()
        tool.worker.shutdown()


# ------------------------------------------------------------------------- through the real JobWindow
@pytest.fixture
def window(qtbot, tmp_path: Path, sam: Sam2Interactor):
    from app.widgets.ai.interactors_tab import install
    from app.widgets.job_window import JobWindow
    from tests.support.canvas_project import make_project

    project = make_project(tmp_path, frames=3, size=(W, H))
    w = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(w)
    w.resize(900, 650)
    w.show()
    qtbot.waitExposed(w)
    w.canvas.fit()
    spy = Spy(sam)
    tab = install(w, factory=lambda key: spy, functions=[])
    yield w, tab, spy
    w.close()
    project.close()


def test_job_window_sam2_clicks_ctrl_shift_negative_n_and_undo(qtbot, window) -> None:
    from tests.support.qt_input import Mouse

    w, tab, spy = window
    tab.select_model("sam2:sam2.1-tiny")
    assert w.canvas.tool is tab.sam_tool
    tab.label_combo.setCurrentIndex(tab.label_combo.findText("car"))
    tool, m = tab.sam_tool, Mouse(qtbot, w.canvas)
    key = (id(w.project), w.job_id)
    qtbot.waitUntil(lambda: spy.is_prepared((*key, w.frame)), timeout=20000)  # embedded in the background
    qtbot.waitUntil(lambda: spy.is_prepared((*key, w.frames[1])), timeout=20000)  # next frame prefetched

    ctrl = Qt.KeyboardModifier.ControlModifier
    qtbot.keyPress(w.canvas, Qt.Key.Key_Control)
    m.click(80, 60, ctrl)
    m.click(20, 20, ctrl | Qt.KeyboardModifier.ShiftModifier)  # Shift+click: a negative point
    qtbot.wait(50)
    assert tool.pending and spy.calls == []
    qtbot.keyRelease(w.canvas, Qt.Key.Key_Control)
    _wait_result(qtbot, tool)
    (prompts,) = spy.calls
    assert len(prompts.positive) == len(prompts.negative) == 1
    assert np.allclose(prompts.positive[0], (80, 60), atol=1.0) and np.allclose(prompts.negative[0], (20, 20), atol=1.0)
    qtbot.keyClick(w.canvas, Qt.Key.Key_N)
    (shape,) = w.project.frame_shapes(w.job_id, w.frame)
    assert shape.label_id == w.project.labels().by_name("car").id and shape.source == Source.SEMI_AUTO
    assert shape.type == ShapeType.POLYGON and len(shape.points) // 2 <= tab.options.max_points
    qtbot.keyClick(w.canvas, Qt.Key.Key_Z, ctrl)
    assert w.project.frame_shapes(w.job_id, w.frame) == []


def test_job_window_frame_change_drops_prompts_and_scissors_work(qtbot, window) -> None:
    from tests.support.qt_input import Mouse

    w, tab, spy = window
    tab.select_model("sam2:sam2.1-tiny")
    m = Mouse(qtbot, w.canvas)
    m.click(80, 60)
    _wait_result(qtbot, tab.sam_tool)
    w.step(1)
    assert tab.sam_tool.positive == [] and tab.sam_tool.result is None
    qtbot.waitUntil(lambda: spy.is_prepared((id(w.project), w.job_id, w.frame)), timeout=20000)

    tab.select_model("scissors")
    assert w.canvas.tool is tab.scissors_tool
    tab.label_combo.setCurrentIndex(tab.label_combo.findText("road"))
    tab.mask_radio.setChecked(True)
    for x, y in [(30, 30), (120, 30), (120, 90)]:
        m.click(x, y)
        qtbot.waitUntil(lambda: tab.scissors_tool.map_ready, timeout=10000)
    region = tab.scissors_tool.region
    qtbot.keyClick(w.canvas, Qt.Key.Key_BracketRight)
    assert tab.scissors_tool.region > region
    tab.done_button.click()
    (shape,) = w.project.frame_shapes(w.job_id, w.frame)
    assert shape.type == ShapeType.MASK and shape.label_id == w.project.labels().by_name("road").id


def test_tab_lists_models_and_says_when_a_checkpoint_is_missing(qtbot) -> None:
    options = InteractorOptions()
    tab = InteractorsTab(options, None)  # the default factory: SAM 2 through the model manager
    qtbot.addWidget(tab)
    titles = [tab.model_combo.itemText(i) for i in range(tab.model_combo.count())]
    assert titles[:4] == ["SAM 2.1 tiny", "SAM 2.1 small", "SAM 2.1 base-plus", "SAM 2.1 large"]
    assert "Intelligent scissors" in titles
    tab.select_model("sam2:sam2.1-small")
    assert "46 M params" in tab.description.text()
    assert "sam2.1_hiera_small.pt" in tab.message.text()  # not installed in the test home
    assert options.interactor is not None and options.interactor.name == "sam2.1-small"
    tab.slider.setValue(2)
    assert options.max_points == 3
    tab.mask_radio.setChecked(True)
    assert options.output == ShapeType.MASK
