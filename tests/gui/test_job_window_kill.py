"""A job window killed (SIGKILL) in the middle of an editing session: every finished edit is in the
file, the gesture in progress is not, and the file opens cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.domain.enums import ShapeType
from app.storage.store import Project
from tests.support.canvas_project import make_project

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent("""
    import sys, time
    from PySide6.QtWidgets import QApplication
    from PySide6.QtCore import Qt
    app = QApplication([])
    from app.storage.store import Project
    from app.widgets.job_window import JobWindow
    from tests.support.qt_input import Mouse
    project = Project.open(sys.argv[1])
    w = JobWindow(project, project.jobs()[0].id)
    w.resize(900, 600)
    w.show()
    app.processEvents()
    w.canvas.fit()
    w.session.current_label_id = project.labels().by_name("car").id
    m = Mouse(None, w.canvas)
    w.set_tool("draw:rectangle")
    for i in range(3):
        m.drag((10 + 40 * i, 10), (40 + 40 * i, 40))
        print("done rectangle", i, flush=True)
    w.set_tool("draw:polygon")
    for x, y in [(10, 100), (60, 100), (60, 150)]:
        m.click(x, y)
    w.trigger("draw.repeat")  # N: finishes the polygon
    print("done polygon", flush=True)
    w.set_tool("edit:select")
    m.click(25, 25)
    m.drag((25, 25), (25, 75))
    print("done move", flush=True)
    w.trigger("edit.undo")
    w.trigger("edit.redo")
    print("done undo-redo", flush=True)
    # A gesture in progress when the process dies: a second move, never released.
    m.press(25, 60)
    m.move(100, 100, buttons=Qt.MouseButton.LeftButton)
    print("dragging", flush=True)
    time.sleep(60)
""")


def test_kill_mid_session_keeps_every_finished_edit(tmp_path: Path) -> None:
    project = make_project(tmp_path, frames=2, size=(200, 200))
    path = project.path
    project.close()
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(script), str(path)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert child.stdout is not None
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.strip() == "dragging":
            break
    try:
        assert "dragging" in lines, "\n".join(lines)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    with Project.open(path) as reopened:  # the lock died with the process
        shapes = reopened.frame_shapes(reopened.jobs()[0].id, 0)
    rects = sorted((s for s in shapes if s.type is ShapeType.RECTANGLE), key=lambda s: s.points[0])
    assert len(rects) == 3
    assert rects[0].points == pytest.approx([10, 60, 40, 90], abs=1.5)  # the finished move (redone)
    assert [r.points[1] for r in rects[1:]] == pytest.approx([10, 10], abs=1.5)
    assert [s.type for s in shapes].count(ShapeType.POLYGON) == 1
