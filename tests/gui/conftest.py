"""Fixtures shared by the GUI tests."""

from __future__ import annotations

import pytest

from app.widgets.main_window import MainWindow


@pytest.fixture
def main_window(qtbot) -> MainWindow:  # noqa: ANN001 - pytest-qt's fixture
    """A project window with no project; its project is closed at the end."""
    w = MainWindow()
    qtbot.addWidget(w)
    yield w
    w.close_project()
