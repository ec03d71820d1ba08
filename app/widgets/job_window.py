"""The job window: the canvas in the centre, frame navigation, tool bar, side panels and every
editing action with its shortcut. Each edit is one command on the window's undo stack, and the store
writes it as it runs (there is no Save button).

Its parts: ``session`` (the job's editing model, :class:`~app.editing.session.EditSession`), ``canvas``
(the view of it), ``edit`` (the editing actions), the side panels (the objects sidebar with the
selected object's card, labels, image adjustments: :mod:`app.widgets.job_sidebar`; AI tools,
quality), the panel strip and layout keeper (:mod:`app.widgets.job_layout`), the AI and Help menus
(:mod:`app.widgets.job_menus`) and the key router (:mod:`app.widgets.key_router`); the window
creates and keeps them all.

Integration points for other features: :meth:`JobWindow.add_side_panel`, :meth:`JobWindow.goto_frame`
and the :attr:`JobWindow.frame_changed` signal; ``window.set_tool(tool)`` activates a tool on the
canvas and ``window.undo_stack`` is the one stack.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QDockWidget, QInputDialog, QMainWindow, QMenu, QWidget

from app import settings
from app.editing.session import EditSession, SessionChange
from app.editing.stack import StackChange, UndoStack
from app.media.cache import FrameCache
from app.media.errors import MediaError
from app.media.sources import open_task_source
from app.quality.honeypots import display_numbers
from app.storage.errors import ConnectionLostError
from app.tools import registry
from app.tools.base import Modifier, Tool
from app.widgets.canvas.frame_bar import FrameBar
from app.widgets.canvas.view import CanvasView
from app.widgets.job_actions import JobActions
from app.widgets.job_features import build_ai_tools, build_quality_panel
from app.widgets.job_layout import LayoutKeeper, PanelStrip
from app.widgets.job_lease import install_heartbeat, release_job_lease
from app.widgets.job_menus import install_job_menus
from app.widgets.job_sidebar import build_sidebar
from app.widgets.job_toolbar import JobToolBar
from app.widgets.key_router import KeyRouter
from app.widgets.shortcuts import SHORTCUTS, ShortcutsDialog, bindings
from app.widgets.stale_job import (
    install_pending_retry,
    install_stale_handler,
    may_close_with_pending,
    tell_connection_lost,
)
from app.widgets.tool_memory import remember_tool_options

if TYPE_CHECKING:
    from app.storage.store import Project

log = logging.getLogger(__name__)

TOOL_ACTIONS = {
    "tool.select": "edit:select", "tool.rectangle": "draw:rectangle", "tool.polygon": "draw:polygon",
    "tool.polyline": "draw:polyline", "tool.points": "draw:points", "tool.ellipse": "draw:ellipse",
    "tool.mask": "draw:mask", "tool.skeleton": "draw:skeleton", "tool.tag": "draw:tag",
}
PREFETCH_DELAY_MS = 40
_KEY_NAMES = {"Del": "Delete", "Esc": "Escape"}
SHORT_NAMES = {
    "tool.select": "Select", "tool.rectangle": "Rectangle", "tool.polygon": "Polygon", "tool.polyline": "Polyline",
    "tool.points": "Points", "tool.ellipse": "Ellipse", "tool.mask": "Mask", "tool.skeleton": "Skeleton",
    "tool.tag": "Tag", "track.mode": "Track mode", "edit.undo": "Undo", "edit.redo": "Redo", "view.fit": "Fit",
    "view.one": "1:1",
}


class JobWindow(QMainWindow):
    frame_changed = Signal(int)

    def __init__(self, project: Project, job_id: int, parent: QWidget | None = None, *,
                 holds_lease: bool = False) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.project = project
        self.job_id = job_id
        self.job = project.job(job_id)
        self.task = project.task(self.job.task_id)
        self.prefs = settings.load()
        self.undo_stack = UndoStack()
        self.frames = self.job.frame_list()
        self._sizes = {f.index: (f.width, f.height) for f in project.frames(self.task.id)}
        self.cache: FrameCache | None = None
        try:
            self.cache = FrameCache(open_task_source(project, self.task.id),
                                    capacity_bytes=self.prefs.frame_cache_mib << 20)
        except MediaError as exc:
            log.warning("media of task %s cannot be opened: %s", self.task.id, exc)
        self.session = EditSession(project, job_id, self.undo_stack)
        self.canvas = CanvasView(self.session, self)
        install_stale_handler(self, self.session)  # a team project's job written elsewhere
        install_pending_retry(self, self.session)  # an edit kept while the server was away
        self.holds_lease = holds_lease
        if holds_lease:
            install_heartbeat(self, project, job_id)
        self.canvas.set_fill_opacity(self.prefs.fill_opacity)
        self.frame_bar = FrameBar(self.frames, self, numbers=display_numbers(self.job))
        self.frame_bar.frame_requested.connect(self.goto_frame)
        self.setCentralWidget(FrameBar.wrap(self.canvas, self.frame_bar))
        self.tools: dict[str, Tool] = {tool_id: registry.create(tool_id) for tool_id in registry.tool_ids()}
        self.last_draw_tool = "draw:rectangle"
        self.actions_by_id: dict[str, QAction] = {}
        self.edit = JobActions(self.session, self)
        self._build_docks()
        self._build_actions()
        self.toolbar = JobToolBar([[self.actions_by_id[a] for a in (*TOOL_ACTIONS, "track.mode")],
                                   [self.actions_by_id[a] for a in ("edit.undo", "edit.redo", "view.fit", "view.one")]],
                                  self.tools["draw:mask"], self.canvas.fill_opacity, self)  # type: ignore[arg-type]
        self.toolbar.opacity_changed.connect(self._on_opacity_changed)
        remember_tool_options(self.toolbar, self.tools["draw:mask"], self.prefs)  # type: ignore[arg-type]
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self.session.status_posted.connect(self._show_status)
        self.session.changed.connect(self._on_session_changed)
        self.undo_stack.changed.connect(self._on_stack_changed)
        self.setWindowTitle(f"{self.task.name} — job {job_id}")
        self.resize(1400, 900)
        self.set_tool("edit:select")
        self.goto_frame(self.frames[0] if self.frames else 0)
        self._install_features()

    # ------------------------------------------------------------ public API

    def add_side_panel(self, widget: QWidget, title: str,
                       area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea) -> QDockWidget:
        """Dock ``widget`` at the side (quality panel, AI tools, ...) and list it in the View menu."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        for box in widget.findChildren(QComboBox):  # a long item must not widen the dock (the popup shows it)
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
        self.addDockWidget(area, dock)
        if hasattr(self, "view_menu"):
            self.view_menu.addAction(dock.toggleViewAction())
        return dock

    def goto_frame(self, frame: int, highlight_ids: list[int] | None = None) -> None:
        """Show ``frame`` (a task frame number of this job); select and centre ``highlight_ids`` (shape ids)."""
        if frame not in self.frames:
            self.statusBar().showMessage(f"Frame {frame} is not in this job ({self.frames[0]}–{self.frames[-1]})")
            return
        if self.canvas.tool is not None:
            self.canvas.tool.cancel()
        try:
            self.session.load_frame(frame)
        except ConnectionLostError as exc:  # a team project's server went away: stay on the frame shown
            tell_connection_lost(self, str(exc))
            return
        self.canvas.set_image(self._image_for(frame, False))
        if self.cache is not None:
            index = self.frames.index(frame)
            ahead = self.frames[index + 1 : index + 1 + self.prefs.prefetch_frames]
            wanted = ahead + self.frames[max(0, index - 1) : index]
            # Decode-ahead starts once this frame is drawn, so it does not compete with the drawing.
            QTimer.singleShot(PREFETCH_DELAY_MS, lambda: self.cache is not None and self.cache.prefetch(wanted))
        if highlight_ids:
            keys = [("shape", i) for i in highlight_ids if ("shape", i) in self.session.objects()]
            self.session.select(keys)
            boxes = [self.session.objects().get(k) for k in keys]
            if boxes:
                from app.domain.geometry import bbox  # local: only needed for centring

                x1, y1, x2, y2 = bbox(boxes[0].shape)  # type: ignore[union-attr]
                self.canvas.center_on_image((x1 + x2) / 2, (y1 + y2) / 2)
        self.frame_bar.show_frame(frame, self._frame_name(frame))
        self._update_actions()
        self.frame_changed.emit(frame)

    @property
    def frame(self) -> int:
        return self.session.frame

    def set_tool(self, tool: Tool | str) -> None:
        """Activate a tool (an id of the registry, or any Tool instance such as an AI tool)."""
        if isinstance(tool, str):
            tool_id, tool = tool, self.tools[tool]
        else:
            tool_id = tool.tool_id
        if tool_id.startswith("draw:"):
            self.last_draw_tool = tool_id
        self.canvas.set_tool(tool)
        for action_id, tid in TOOL_ACTIONS.items():
            action = self.actions_by_id.get(action_id)
            if action is not None:
                action.setChecked(tid == tool_id)

    # ------------------------------------------------------------ frames

    def _frame_name(self, frame: int) -> str:
        try:
            return self.cache.source.name(frame) if self.cache is not None else str(frame)
        except IndexError:
            return str(frame)

    def _image_for(self, frame: int, adjusted: bool) -> np.ndarray:
        image = None
        if self.cache is not None:
            try:
                image = self.cache.get(frame)
            except (MediaError, OSError, IndexError) as exc:
                self.statusBar().showMessage(f"Frame {frame} cannot be decoded: {exc}")
        if image is None:
            w, h = self._sizes.get(frame, (640, 480))
            image = np.full((h, w, 3), 64, np.uint8)
        if adjusted and self.canvas.adjust is not None:
            return self.canvas.adjust(image)
        return image

    def step(self, delta: int) -> None:
        index = self.frames.index(self.frame) + delta
        if 0 <= index < len(self.frames):
            self.goto_frame(self.frames[index])

    # ------------------------------------------------------------ building

    def _build_docks(self) -> None:
        sidebar = build_sidebar(self)
        self.objects_panel, self.object_card = sidebar.objects, sidebar.card
        self.labels_panel, self.attributes_panel = sidebar.labels, sidebar.attributes
        self.adjustments_panel, self.docks = sidebar.adjustments, sidebar.docks

    def _build_actions(self) -> None:
        keys = bindings(self.prefs)
        menus: dict[str, QMenu] = {}
        self.tool_group = QActionGroup(self)
        for spec in SHORTCUTS:
            action = QAction(spec.text, self)
            action.setObjectName(spec.action_id)
            action.setShortcut(QKeySequence(keys[spec.action_id]))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setIconText(SHORT_NAMES.get(spec.action_id, spec.text))
            action.setToolTip(f"{spec.text} ({keys[spec.action_id]})" if keys[spec.action_id] else spec.text)
            action.triggered.connect(lambda _checked=False, s=spec.action_id: self.trigger(s))
            if spec.action_id in TOOL_ACTIONS:
                action.setCheckable(True)
                self.tool_group.addAction(action)
            if spec.action_id == "track.mode":
                action.setCheckable(True)
            self.addAction(action)
            self.actions_by_id[spec.action_id] = action
            group = spec.group
            if group not in menus:
                menus[group] = self.menuBar().addMenu(group)
            menus[group].addAction(action)
        self.view_menu = menus.get("View") or self.menuBar().addMenu("View")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.menus = menus

    def _install_features(self) -> None:
        """The AI tools panel (Detectors, Interactors, Trackers tabs), the quality panel and the layout
        keeper (built by :mod:`app.widgets.job_features`); then the current frame is re-announced."""
        ai = build_ai_tools(self)
        self.detectors, self.interactors, self.trackers = ai.detectors, ai.interactors, ai.trackers
        # The objects panel gets a per-object tracking switch, kept in step with the Trackers tab.
        self.objects_panel.model.tracking = self.trackers
        self.trackers.tracking_changed.connect(self.objects_panel.reload)
        self.ai_dock = self.add_side_panel(ai.panel, "AI tools", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.quality_panel = build_quality_panel(self)
        self.quality_dock = self.add_side_panel(self.quality_panel, "Quality")
        self.tabifyDockWidget(self.docks["objects"], self.quality_dock)
        self.docks["objects"].raise_()
        self.strip = PanelStrip(self)
        for dock, name in ((self.ai_dock, "AI tools"), (self.docks["objects"], "Objects"),
                           (self.quality_dock, "Quality"), (self.docks["labels"], "Labels"),
                           (self.docks["adjustments"], "Image")):
            self.strip.add_dock(dock, name)
        self.addToolBar(Qt.ToolBarArea.LeftToolBarArea, self.strip)
        install_job_menus(self, self.menus)
        self.key_router = KeyRouter(self, self.canvas)
        self.layout_keeper = LayoutKeeper(self, [self.ai_dock], [self.docks["objects"], self.docks["labels"]])
        self.frame_changed.emit(self.frame)

    # ------------------------------------------------------------ actions

    def trigger(self, action_id: str) -> None:
        """Run an action by id (what its shortcut and menu entry do)."""
        action = self.actions_by_id.get(action_id)
        shortcut = action.shortcut().toString() if action is not None else ""
        # Single keys go to the active tool first (N finishes a polygon, E toggles the mask eraser).
        if shortcut and "+" not in shortcut.strip("+") and shortcut not in ("F", "D"):
            if self.canvas.offer_key(_KEY_NAMES.get(shortcut, shortcut.upper()), Modifier.NONE):
                return
        if action_id in TOOL_ACTIONS:
            self.set_tool(TOOL_ACTIONS[action_id])
            return
        handler = self.edit.handlers().get(action_id)
        if handler is None:
            raise KeyError(f"no handler for action {action_id!r}")
        handler()

    def _on_opacity_changed(self, value: float) -> None:
        self.canvas.set_fill_opacity(value)
        prefs = settings.load()
        prefs.fill_opacity = value
        settings.save(prefs)

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self).exec()

    def goto_dialog(self) -> None:
        numbers = self.frame_bar.numbers
        number, ok = QInputDialog.getInt(self, "Go to frame", "Frame:", self.frame_bar.number_of(self.frame),
                                         min(numbers), max(numbers))
        frame = self.frame_bar.frame_for_number(number) if ok else None
        if frame is not None:
            self.goto_frame(frame)

    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def _on_session_changed(self, change: SessionChange) -> None:
        if change is SessionChange.SELECTION:
            self._update_actions()

    def _on_stack_changed(self, _change: StackChange) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        undo, redo = self.actions_by_id.get("edit.undo"), self.actions_by_id.get("edit.redo")
        if undo is not None and redo is not None:
            undo.setEnabled(self.undo_stack.can_undo())
            redo.setEnabled(self.undo_stack.can_redo())
            undo.setText(f"Undo {self.undo_stack.undo_text()}".strip())
            redo.setText(f"Redo {self.undo_stack.redo_text()}".strip())

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not may_close_with_pending(self, self.session):
            event.ignore()
            return
        if self.canvas.tool is not None:
            self.canvas.tool.deactivate()
        self.session.status_posted.disconnect(self._show_status)
        self.session.changed.disconnect(self._on_session_changed)
        self.undo_stack.changed.disconnect(self._on_stack_changed)
        self.session.close()
        if self.holds_lease:
            release_job_lease(self.project, self.job_id)
            self.holds_lease = False
        self.canvas.shutdown()
        if self.cache is not None:
            self.cache.close()
            self.cache = None
        super().closeEvent(event)
