"""The scenario of :mod:`tools.first_hour`, run inside the app's process on an X display.

Input goes to the canvas as Qt mouse events in image coordinates (as a user's clicks would arrive);
the focus check uses real X input through ``xdotool`` when it is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

LEFT = Qt.MouseButton.LeftButton


def pump(ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


class Canvas:
    """Mouse input on a canvas view in image coordinates."""

    def __init__(self, view) -> None:  # noqa: ANN001 - CanvasView
        self.view = view

    def _send(self, kind: QEvent.Type, x: float, y: float, button=LEFT, held=LEFT) -> None:  # noqa: ANN001
        pos = self.view.image_to_view(x, y)
        port = self.view.viewport()
        event = QMouseEvent(kind, pos, port.mapToGlobal(pos), button, held, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(port, event)

    def click(self, x: float, y: float) -> None:
        self._send(QEvent.Type.MouseButtonPress, x, y)
        self._send(QEvent.Type.MouseButtonRelease, x, y, held=Qt.MouseButton.NoButton)
        pump(30)

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
        self._send(QEvent.Type.MouseButtonPress, *start)
        for i in range(1, steps + 1):
            t = i / steps
            x, y = start[0] + (end[0] - start[0]) * t, start[1] + (end[1] - start[1]) * t
            self._send(QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton)
        self._send(QEvent.Type.MouseButtonRelease, *end, held=Qt.MouseButton.NoButton)
        pump(30)

    def key(self, key: Qt.Key) -> None:
        from PySide6.QtTest import QTest

        QTest.keyClick(self.view, key)
        pump(30)


class Shots:
    def __init__(self, out: Path, size: str) -> None:
        self.out, self.size, self.files = out, size, []

    def take(self, name: str, widget: QWidget) -> None:
        pump(400)
        path = self.out / f"{name}-{self.size}.png"
        if shutil.which("import"):
            subprocess.run(["import", "-window", "root", str(path)], check=False, timeout=30)
        if not path.exists():
            widget.window().grab().save(str(path))
        self.files.append(path.name)


def x_click(widget: QWidget) -> bool:
    """A real X click in the middle of ``widget`` (xdotool)."""
    if shutil.which("xdotool") is None:
        return False
    centre = widget.mapToGlobal(QPoint(widget.width() // 2, widget.height() // 2))
    subprocess.run(["xdotool", "mousemove", str(centre.x()), str(centre.y()), "click", "1"], check=True, timeout=10)
    pump(300)
    return True


def x_key(name: str) -> None:
    subprocess.run(["xdotool", "key", name], check=True, timeout=10)
    pump(300)


def run_scenario(out: Path, size: str) -> int:
    from app.widgets.application import make_app
    from app.widgets.main_window import MainWindow

    app = make_app()
    shots = Shots(out, size)
    checks: dict[str, bool] = {}
    main = MainWindow()
    main.show()
    main.open_demo()
    project = main.project
    assert project is not None
    shots.take("01-project", main)
    window = main.open_job(project.jobs()[0].id)
    pump(800)
    canvas_share = window.canvas.width() / window.width()
    checks["canvas gets >= 60% of the width"] = canvas_share >= 0.6
    shots.take("02-job", window)
    draw_every_shape(window)
    checks["one object of each kind drawn"] = len(window.session.objects()) >= 7
    shots.take("03-drawn", window)
    checks.update(edit_cards(window))
    shots.take("04-card", window)
    tag_ok = edit_tag(window)
    checks["tag attribute edited from its card"] = tag_ok
    shots.take("05-tag-card", window)
    checks.update(focus_check(window))
    frame = window.frame
    window.trigger("frame.next")
    pump(300)
    checks["frame switched"] = window.frame != frame
    checks["scissors made a polygon"] = run_scissors(window)
    shots.take("06-scissors", window)
    report = {"size": size, "window": [window.width(), window.height()], "canvas_width": window.canvas.width(),
              "canvas_share": round(canvas_share, 3), "undo_steps": len(window.undo_stack),
              "checks": checks, "screenshots": shots.files}
    (out / f"report-{size}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    main.close()
    app.processEvents()
    return 0 if all(checks.values()) else 1


def _label(window, name: str) -> int:  # noqa: ANN001 - JobWindow
    label_id = window.project.labels().by_name(name).id
    window.labels_panel.set_current(label_id)
    return label_id


def draw_every_shape(window) -> None:  # noqa: ANN001 - JobWindow
    c = Canvas(window.canvas)
    _label(window, "person")
    window.trigger("tool.rectangle")
    c.drag((60, 420), (300, 980))
    window.trigger("tool.polygon")
    for point in ((420, 600), (560, 560), (620, 760), (450, 800)):
        c.click(*point)
    c.key(Qt.Key.Key_N)
    window.trigger("tool.polyline")
    for point in ((40, 1000), (300, 1040), (600, 1010)):
        c.click(*point)
    c.key(Qt.Key.Key_Return)
    window.trigger("tool.points")
    for point in ((700, 300), (740, 320)):
        c.click(*point)
    c.key(Qt.Key.Key_N)
    window.trigger("tool.ellipse")
    c.drag((660, 120), (760, 200))
    window.trigger("tool.mask")
    c.drag((80, 80), (250, 160))
    c.key(Qt.Key.Key_N)
    _label(window, "face")
    window.trigger("tool.skeleton")
    c.drag((330, 120), (430, 240))
    _label(window, "scene")
    window.trigger("tool.tag")
    c.click(400, 400)
    window.trigger("tool.select")


def edit_cards(window) -> dict[str, bool]:  # noqa: ANN001 - JobWindow
    """Select the rectangle on the canvas, change its label on the card, then an attribute."""
    c = Canvas(window.canvas)
    c.click(180, 700)
    card = window.object_card
    selected = card.current()
    if selected is None:
        return {"rectangle selected by a click": False}
    steps = len(window.undo_stack)
    box = card.label_box
    box.setCurrentIndex(box.findText("bus"))
    box.activated.emit(box.currentIndex())
    pump(100)
    box.setCurrentIndex(box.findText("person"))
    box.activated.emit(box.currentIndex())
    pump(100)
    person = window.project.labels().by_name("person")
    pose = next(a for a in person.attributes if a.name == "pose")
    editor = window.attributes_panel.editors[pose.id]
    editor.setCurrentText("walking")
    pump(100)
    shape = card.current().shape
    return {"card label change is undoable": len(window.undo_stack) == steps + 3,
            "card attribute stored": shape.attributes.get(pose.id) == "walking"}


def edit_tag(window) -> bool:  # noqa: ANN001 - JobWindow
    tags = window.session.tags()
    if not tags:
        return False
    window.objects_panel.tags.linkActivated.emit(f"tag:{tags[0].id}")
    pump(100)
    spec = next(iter(window.project.labels().by_id(tags[0].label_id).attributes))
    radios = window.attributes_panel.editors[spec.id].findChildren(QWidget)
    night = next(r for r in radios if getattr(r, "text", lambda: "")() == "night")
    night.click()
    pump(100)
    stored = window.project.frame_tags(window.job_id, window.frame)[0]
    return stored.attributes.get(spec.id) == "night"


def focus_check(window) -> dict[str, bool]:  # noqa: ANN001 - JobWindow
    """Real X input: click the objects list, then press ] with the mask tool: the brush grows."""
    window.trigger("tool.mask")
    before = window.toolbar.brush_size.value()
    window.activateWindow()
    pump(200)
    if not x_click(window.objects_panel.view.viewport()):
        return {}
    focus_in_panel = window.objects_panel.isAncestorOf(QApplication.focusWidget())
    x_key("bracketright")
    grown = window.toolbar.brush_size.value() > before
    window.trigger("tool.select")
    return {"focus is in the objects list after the click": focus_in_panel,
            "] changes the brush size with the focus in a side panel": grown}


def run_scissors(window) -> bool:  # noqa: ANN001 - JobWindow
    tab = window.interactors
    window.ai_dock.show()
    window.ai_dock.raise_()
    window.ai_dock.widget().setCurrentWidget(tab)
    tab.select_model("scissors")
    tool = tab.scissors_tool
    c = Canvas(window.canvas)
    before = len(window.project.frame_shapes(window.job_id, window.frame))
    for point in ((120, 120), (420, 100), (440, 380), (140, 400)):
        c.click(*point)
        for _ in range(200):
            if tool.map_ready:
                break
            pump(50)
    c.key(Qt.Key.Key_N)
    pump(300)
    return len(window.project.frame_shapes(window.job_id, window.frame)) > before
