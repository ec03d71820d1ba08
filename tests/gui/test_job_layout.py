"""The job window's layout on first open (the canvas gets the room at 1920×1080 and 1366×768), the panel
strip that collapses and reopens docks, the job window's menus, and canvas keys with the focus in a
side panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from app.widgets.job_layout import CANVAS_SHARE, LayoutKeeper
from app.widgets.job_window import JobWindow
from tests.support.canvas_project import make_project

pytestmark = pytest.mark.gui


def open_first_time(qtbot, project, size: tuple[int, int]) -> JobWindow:  # noqa: ANN001
    store = QSettings("Fieldmark", "Fieldmark")
    store.remove(f"{LayoutKeeper.KEY}/state")  # a first open: no saved layout
    store.remove(f"{LayoutKeeper.KEY}/geometry")
    window = JobWindow(project, project.jobs()[0].id)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.layout_keeper._first is None, timeout=3000)
    QApplication.processEvents()
    return window


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_canvas_gets_at_least_60_percent_on_first_open(qtbot, tmp_path: Path, size: tuple[int, int]) -> None:
    project = make_project(tmp_path)
    window = open_first_time(qtbot, project, size)
    try:
        assert window.width() == size[0]
        share = window.canvas.width() / window.width()
        assert share >= CANVAS_SHARE, f"canvas {window.canvas.width()} px of {window.width()}"
        assert window.docks["objects"].isVisible()
        # Below 1600 px the AI tools start collapsed to their strip button; at 1920 they are open.
        assert window.ai_dock.isVisible() is (size[0] >= 1600)
        texts = [a.iconText() for a in window.strip.actions()]
        assert texts == ["AI tools", "Objects", "Quality", "Labels", "Image"]
    finally:
        window.close()
        project.close()


def test_strip_collapses_and_reopens_a_dock(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    window = open_first_time(qtbot, project, (1920, 1080))
    try:
        wide = window.canvas.width()
        button = next(a for a in window.strip.actions() if a.iconText() == "AI tools")
        button.trigger()
        qtbot.waitUntil(lambda: not window.ai_dock.isVisible(), timeout=2000)
        qtbot.waitUntil(lambda: window.canvas.width() > wide, timeout=2000)  # the canvas takes the room
        button.trigger()
        qtbot.waitUntil(window.ai_dock.isVisible, timeout=2000)
    finally:
        window.close()
        project.close()


def test_job_window_has_ai_and_help_menus(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    window = open_first_time(qtbot, project, (1366, 768))
    try:
        titles = [a.text() for a in window.menuBar().actions()]
        assert "&AI" in titles and titles[-1] == "Help"
        names = {a.objectName() for m in window.menus.values() for a in m.actions()}
        ai = next(a.menu() for a in window.menuBar().actions() if a.text() == "&AI")
        assert {a.objectName() for a in ai.actions()} == {"ai_models", "ai_auto"}
        assert {"help.shortcuts", "help_quick_start", "help_about", "help_log_folder"} <= names
    finally:
        window.close()
        project.close()


def test_canvas_keys_work_after_clicking_a_side_panel(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    window = open_first_time(qtbot, project, (1366, 768))
    try:
        window.set_tool("draw:mask")
        size = window.toolbar.brush_size.value()
        view = window.objects_panel.view
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton)
        view.setFocus()
        assert QApplication.focusWidget() is view
        qtbot.keyClick(view, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.NoModifier)
        assert window.toolbar.brush_size.value() > size  # the mask tool took ] from the side panel
        grown = window.toolbar.brush_size.value()
        # A text field keeps its keys: ] typed into the frame number box does not resize the brush.
        spin = window.frame_bar.spin
        spin.setFocus()
        qtbot.keyClick(spin, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.NoModifier)
        assert window.toolbar.brush_size.value() == grown
        # Window shortcuts (F: next frame) work with the focus in the list too.
        view.setFocus()
        frame = window.frame
        qtbot.keyClick(view, Qt.Key.Key_F)
        assert window.frame != frame
    finally:
        window.close()
        project.close()


def test_brush_size_and_propagate_count_are_remembered(qtbot, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    window = open_first_time(qtbot, project, (1366, 768))
    window.set_tool("draw:mask")
    qtbot.keyClick(window.canvas, Qt.Key.Key_BracketRight)  # by key: 10 px -> 12 px
    size = window.toolbar.brush_size.value()
    assert size != 10
    window.toolbar.propagate_count.setValue(7)
    window.close()
    again = JobWindow(project, project.jobs()[0].id)  # as after a restart: read from the settings file
    qtbot.addWidget(again)
    try:
        assert again.toolbar.brush_size.value() == size and again.tools["draw:mask"].size == size
        assert again.toolbar.propagate_count.value() == 7
    finally:
        again.close()
        project.close()
