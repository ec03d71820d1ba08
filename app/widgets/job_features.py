"""Plugs the features of other packages into a :class:`~app.widgets.job_window.JobWindow`: the AI
tools panel (Detectors, Interactors, Trackers tabs) and the quality panel.

Kept apart from the window so the window only composes; every feature exposes one ``install``-style
entry point and is wired here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from app.widgets.ai.detectors_tab import DetectorsTab
from app.widgets.ai.panel import AIToolsPanel

if TYPE_CHECKING:
    from app.widgets.job_window import JobWindow

log = logging.getLogger(__name__)


def install_ai_tools(window: JobWindow) -> AIToolsPanel:
    from app.widgets.ai import interactors_tab, trackers_tab

    panel = AIToolsPanel(window)
    detectors = DetectorsTab(parent=panel)
    panel.add_tab(detectors, "Detectors")

    def follow(frame: int) -> None:
        detectors.set_context(window.project, window.job_id, frame, window.undo_stack)

    window.frame_changed.connect(follow)
    follow(window.frame)
    window.interactors = interactors_tab.install(window, panel)
    window.trackers = trackers_tab.install(window, panel)
    window.detectors = detectors
    window.ai_dock = window.add_side_panel(panel, "AI tools", Qt.DockWidgetArea.LeftDockWidgetArea)
    return panel


def install_features(window: JobWindow) -> None:
    """Everything optional around the canvas; then re-announce the current frame to the new parts."""
    install_ai_tools(window)
    window.frame_changed.emit(window.frame)
