"""Plugs the features of other packages into a :class:`~app.widgets.job_window.JobWindow`: the AI
tools panel (Detectors, Interactors, Trackers tabs) and the quality panel.

Kept apart from the window so the window only composes; every feature exposes one ``install``-style
entry point and is wired here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, Qt

from app.widgets.ai.detectors_tab import DetectorsTab
from app.widgets.ai.panel import AIToolsPanel
from app.widgets.quality.panel import QualityPanel

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
    project, interactors = window.project, window.interactors

    def labels_changed(kind: str, _job_id: int | None) -> None:
        if kind == "labels":  # label edits happen on the GUI thread (labels dialog)
            interactors.set_labels(project.labels())

    project.add_listener(labels_changed)
    window.destroyed.connect(lambda *_: project.remove_listener(labels_changed))
    window.trackers = trackers_tab.install(window, panel)
    # The objects panel gets a per-object tracking switch, kept in step with the Trackers tab.
    window.objects_panel.model.tracking = window.trackers
    window.trackers.tracking_changed.connect(window.objects_panel.reload)
    window.detectors = detectors
    window.ai_dock = window.add_side_panel(panel, "AI tools", Qt.DockWidgetArea.LeftDockWidgetArea)
    return panel


def install_quality(window: JobWindow) -> QualityPanel:
    """The job's quality report; a click on a conflict jumps to its frame and selects its shapes."""
    panel = QualityPanel(window, writer=window.project)

    def show_conflict(frame: int, annotation_ids: list) -> None:
        shape_ids = [int(a["obj_id"]) for a in annotation_ids
                     if isinstance(a, dict) and a.get("type") == "shape" and a.get("job_id") == window.job_id]
        window.goto_frame(frame, highlight_ids=shape_ids)

    panel.conflict_activated.connect(show_conflict)
    panel.frame_activated.connect(lambda frame: window.goto_frame(frame))
    panel.set_job(window.project.location, window.job_id)
    window.quality_panel = panel
    window.quality_dock = window.add_side_panel(panel, "Quality")
    window.tabifyDockWidget(window.docks["objects"], window.quality_dock)
    window.docks["objects"].raise_()
    return panel


class LayoutKeeper(QObject):
    """Saves the job window's geometry and dock layout when it closes; restores them when it opens."""

    KEY = "job"

    def __init__(self, window: JobWindow) -> None:
        super().__init__(window)
        self.window = window
        store = QSettings("Fieldmark", "Fieldmark")
        geometry, state = store.value(f"{self.KEY}/geometry"), store.value(f"{self.KEY}/state")
        if geometry is not None:
            window.restoreGeometry(geometry)
        if state is None or not window.restoreState(state):
            # First time: the canvas gets the room; side panels get what their contents need.
            window.resizeDocks([window.ai_dock, window.docks["objects"]], [320, 340], Qt.Orientation.Horizontal)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.window and event.type() == QEvent.Type.Close:
            store = QSettings("Fieldmark", "Fieldmark")
            store.setValue(f"{self.KEY}/geometry", self.window.saveGeometry())
            store.setValue(f"{self.KEY}/state", self.window.saveState())
        return False


def install_features(window: JobWindow) -> None:
    """Everything optional around the canvas; then re-announce the current frame to the new parts."""
    install_ai_tools(window)
    install_quality(window)
    window.layout_keeper = LayoutKeeper(window)
    window.frame_changed.emit(window.frame)
