"""The annotation canvas: a QGraphicsView whose scene coordinates are image pixels.

Modes (CanvasMode) and what the canvas does with input in each:

=========  ==============================  ================================
mode       left button                     middle/right button, wheel
=========  ==============================  ================================
IDLE       offered to the tool, else pan   pan / zoom under the cursor
DRAWING    the tool (it consumed a press)  pan / zoom (the gesture goes on)
PANNING    pan                             pan / zoom
=========  ==============================  ================================

Escape always reaches the tool's ``cancel``. Painting is layered: the image (pyramid, visible part
only) and the unselected shapes (OpenCV raster, :mod:`shape_raster`) are cached per view and redrawn
only when the view or the objects change; selected/hovered objects, handles and the tool preview are
painted on top with QPainter each time.

The canvas implements the tool context (:class:`app.tools.base.ToolContext` and
:class:`app.tools.edit_context.EditContext`) by delegating to its :class:`EditSession`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QKeySequence, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from app.tools.base import Button, CursorRole, EventKind, KeyEvent, Modifier, Preview, Tool, ToolEvent
from app.widgets.canvas.image_layer import ImagePyramid, render_image
from app.widgets.canvas.layer_cache import LayerCache
from app.widgets.canvas.overlay import draw_preview, draw_shape
from app.widgets.canvas.shape_raster import ShapeRaster, View

if TYPE_CHECKING:
    from app.domain.labels import LabelSet
    from app.editing.commands import Command
    from app.tools.frame_objects import FrameObjects, ObjectKey
    from app.tools.session import EditSession

MIN_SCALE, MAX_SCALE = 1 / 64, 64.0
BACKGROUND = QColor("#2b2b2b")
ASYNC_IMAGE_PIXELS = 16_000_000  # frames larger than this are rendered in the background
REFINE_MS = 120  # a zoom is drawn from the cached layers, then re-rendered crisply after this pause

_CURSORS = {
    CursorRole.DEFAULT: Qt.CursorShape.ArrowCursor, CursorRole.CROSS: Qt.CursorShape.CrossCursor,
    CursorRole.MOVE: Qt.CursorShape.SizeAllCursor, CursorRole.POINTING: Qt.CursorShape.PointingHandCursor,
    CursorRole.BUSY: Qt.CursorShape.BusyCursor, CursorRole.RESIZE: Qt.CursorShape.SizeFDiagCursor,
    CursorRole.ROTATE: Qt.CursorShape.OpenHandCursor, CursorRole.FORBIDDEN: Qt.CursorShape.ForbiddenCursor,
}
_KEYS = {
    Qt.Key.Key_Escape: "Escape", Qt.Key.Key_Return: "Return", Qt.Key.Key_Enter: "Enter",
    Qt.Key.Key_Backspace: "Backspace", Qt.Key.Key_Delete: "Delete", Qt.Key.Key_Space: "Space",
    Qt.Key.Key_Left: "Left", Qt.Key.Key_Right: "Right", Qt.Key.Key_Up: "Up", Qt.Key.Key_Down: "Down",
    Qt.Key.Key_Control: "Control", Qt.Key.Key_Shift: "Shift", Qt.Key.Key_Alt: "Alt", Qt.Key.Key_Tab: "Tab",
}


class CanvasMode(Enum):
    IDLE = "idle"
    DRAWING = "drawing"
    PANNING = "panning"


def key_name(key: int) -> str:
    """Qt key code -> the toolkit-neutral name of :class:`app.tools.base.KeyEvent`."""
    if key in _KEYS:
        return _KEYS[key]  # type: ignore[index]
    return QKeySequence(key).toString().upper()


def modifiers_of(mods: Qt.KeyboardModifier) -> Modifier:
    out = Modifier.NONE
    if mods & Qt.KeyboardModifier.ShiftModifier:
        out |= Modifier.SHIFT
    if mods & Qt.KeyboardModifier.ControlModifier:
        out |= Modifier.CTRL
    if mods & Qt.KeyboardModifier.AltModifier:
        out |= Modifier.ALT
    return out


def buttons_of(buttons: Qt.MouseButton) -> Button:
    out = Button.NONE
    if buttons & Qt.MouseButton.LeftButton:
        out |= Button.LEFT
    if buttons & Qt.MouseButton.RightButton:
        out |= Button.RIGHT
    if buttons & Qt.MouseButton.MiddleButton:
        out |= Button.MIDDLE
    return out


class CanvasView(QGraphicsView):
    selection_changed = Signal()
    objects_changed = Signal()
    status_message = Signal(str)
    view_changed = Signal()

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.project = session.project
        self.job_id = session.job_id
        self.undo_stack = session.undo_stack
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.mode = CanvasMode.IDLE
        self.tool: Tool | None = None
        self.fill_opacity = 0.3
        self.adjust: Callable[[np.ndarray], np.ndarray] | None = None
        self.hover: ObjectKey | None = None
        self._raw = np.zeros((1, 1, 3), np.uint8)
        self._display = self._raw
        self._pyramid = ImagePyramid(self._raw)
        self._image_rev = 0
        self._raster = ShapeRaster()
        # One worker renders tiles in the background (serialised: the pyramid and raster are shared).
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="canvas-tiles")
        self._image_cache = LayerCache(self._image_renderer, QImage.Format.Format_ARGB32_Premultiplied,
                                       self._render_image_region, on_ready=self.viewport().update)
        self._shape_cache = LayerCache(self._shape_renderer, QImage.Format.Format_RGBA8888_Premultiplied,
                                       self._render_shape_region, executor=self._executor,
                                       on_ready=self.viewport().update)
        self._exclude_drawn: set[ObjectKey] = set()
        self._changes_seen = 0
        self._label_rev = 0
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_MS)
        self._refine_timer.timeout.connect(self.refine_now)
        self._pan_from: QPointF | None = None
        self._space = False
        self._fitted = True
        session.listeners.append(self._on_session)
        self._refresh_label_data()

    # ------------------------------------------------------------ tool context (delegated)

    @property
    def frame(self) -> int:
        return self.session.frame

    @property
    def labels(self) -> LabelSet:
        return self.session.labels

    @property
    def current_label_id(self) -> int | None:
        return self.session.current_label_id

    @current_label_id.setter
    def current_label_id(self, value: int | None) -> None:
        self.session.current_label_id = value

    @property
    def track_mode(self) -> bool:
        return self.session.track_mode

    @track_mode.setter
    def track_mode(self, value: bool) -> None:
        self.session.track_mode = value

    def image(self, *, adjusted: bool = False) -> np.ndarray:
        return self._display if adjusted else self._raw

    def push(self, command: Command) -> None:
        self.session.push(command)

    def set_preview(self, preview: Preview | None) -> None:
        self.session.set_preview(preview)

    def set_cursor(self, role: CursorRole) -> None:
        self.viewport().setCursor(_CURSORS.get(role, Qt.CursorShape.ArrowCursor))

    def status(self, text: str) -> None:
        self.session.status(text)

    def selected_ids(self) -> list[int]:
        return self.session.selected_ids()

    def objects(self) -> FrameObjects:
        return self.session.objects()

    def selection(self) -> list[ObjectKey]:
        return self.session.selection()

    def select(self, keys: list[ObjectKey]) -> None:
        self.session.select(keys)

    def image_size(self) -> tuple[int, int]:
        return self.session.image_size()

    def job_frames(self) -> list[int]:
        return self.session.job_frames()

    def is_locked(self, key: ObjectKey) -> bool:
        return self.session.is_locked(key)

    def is_hidden(self, key: ObjectKey) -> bool:
        return self.session.is_hidden(key)

    # ------------------------------------------------------------ content

    def _on_session(self, what: str) -> None:
        if what == "objects":
            self.objects_changed.emit()
        elif what == "selection":
            self.selection_changed.emit()
        elif what == "status" and self.session.messages:
            self.status_message.emit(self.session.messages[-1])
        self.viewport().update()

    def _refresh_label_data(self) -> None:
        labels = self.session.labels
        self._colors = {}
        for label in labels:
            for item in (label, *label.sublabels):
                if item.id is not None:
                    self._colors[item.id] = item.color or label.color or "#ffffff"
        self._edges = {lb.id: list(lb.edges) for lb in labels if lb.id is not None and lb.edges}
        self._raster.skeleton_edges = self._edges
        self._label_rev += 1
        self._raster.invalidate()

    def labels_changed(self) -> None:
        """Call after the project's labels changed (colours, skeleton edges)."""
        self._refresh_label_data()
        self.viewport().update()

    def set_image(self, image: np.ndarray) -> None:
        """Show ``image`` (RGB uint8) for the session's current frame."""
        first = self._raw.shape[:2] == (1, 1)
        self._raw = image
        self._display = self.adjust(image) if self.adjust is not None else image
        self._pyramid = ImagePyramid(self._display)
        self._image_rev += 1
        h, w = image.shape[:2]
        self.scene().setSceneRect(QRectF(-w, -h, 3 * w, 3 * h))
        if first or self._fitted:
            self.fit()
        self.viewport().update()

    def set_adjust(self, adjust: Callable[[np.ndarray], np.ndarray] | None) -> None:
        """Display adjustment applied to this and every following frame (None turns it off)."""
        self.adjust = adjust
        self.set_image(self._raw)

    def set_fill_opacity(self, value: float) -> None:
        self.fill_opacity = max(0.0, min(1.0, value))
        self.viewport().update()

    def refresh(self) -> None:
        """Repaint after view flags (hidden, locked) changed."""
        self.viewport().update()

    # ------------------------------------------------------------ tools

    def set_tool(self, tool: Tool | None) -> None:
        if self.tool is not None:
            self.tool.deactivate()
        self.tool = tool
        self.mode = CanvasMode.IDLE
        self.set_cursor(CursorRole.DEFAULT)
        if tool is not None:
            tool.activate(self)
        self.viewport().update()

    def offer_key(self, name: str, modifiers: Modifier = Modifier.NONE) -> bool:
        """Give a key to the active tool first (used by window shortcuts such as N and Delete)."""
        if self.tool is None:
            return False
        return self.tool.key(KeyEvent(name, modifiers))

    # ------------------------------------------------------------ view

    @property
    def scale_factor(self) -> float:
        return self.transform().m11()

    def image_to_view(self, x: float, y: float) -> QPointF:
        return self.viewportTransform().map(QPointF(x, y))

    def view_to_image(self, pos: QPointF) -> QPointF:
        inverse, _ = self.viewportTransform().inverted()
        return inverse.map(pos)

    def fit(self) -> None:
        h, w = self._raw.shape[:2]
        self.fitInView(QRectF(0, 0, w, h), Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True
        self._view_changed()

    def zoom_1to1(self) -> None:
        centre = self.view_to_image(QPointF(self.viewport().rect().center()))
        self.resetTransform()
        self.centerOn(centre)
        self._fitted = False
        self._view_changed()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        target = max(MIN_SCALE, min(MAX_SCALE, self.scale_factor * factor))
        factor = target / self.scale_factor
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        before = self.view_to_image(anchor)
        self.scale(factor, factor)
        after = self.view_to_image(anchor)
        self.pan_by_image(after.x() - before.x(), after.y() - before.y())
        self._fitted = False
        self._view_changed()

    def pan_by_image(self, dx: float, dy: float) -> None:
        """Move the view so image content shifts by (dx, dy) image pixels on screen."""
        s = self.scale_factor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(dx * s))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(dy * s))
        self._view_changed()

    def pan_by_screen(self, dx: float, dy: float) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(dy))
        self._view_changed()

    def center_on_image(self, x: float, y: float) -> None:
        self.centerOn(QPointF(x, y))
        self._view_changed()

    def _view_changed(self) -> None:
        self.viewport().update()
        self.view_changed.emit()

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)  # type: ignore[arg-type]
        if self._fitted:
            self.fit()

    # ------------------------------------------------------------ input

    def _tool_event(self, kind: EventKind, event: QMouseEvent) -> ToolEvent:
        p = self.view_to_image(event.position())
        return ToolEvent(kind, p.x(), p.y(), button=buttons_of(event.button()), buttons=buttons_of(event.buttons()),
                         modifiers=modifiers_of(event.modifiers()), scale=self.scale_factor)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.setFocus()
        pan_button = event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton)
        if not pan_button and not self._space and self.tool is not None:
            if self.tool.press(self._tool_event(EventKind.PRESS, event)):
                self.mode = CanvasMode.DRAWING
                return
        self.mode = CanvasMode.PANNING
        self._pan_from = event.position()
        self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.mode is CanvasMode.PANNING and self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by_screen(delta.x(), delta.y())
            return
        if self.tool is not None and self.tool.move(self._tool_event(EventKind.MOVE, event)):
            return
        if event.buttons() == Qt.MouseButton.NoButton:
            self._update_hover(event.position())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.mode is CanvasMode.PANNING:
            self.mode = CanvasMode.IDLE
            self._pan_from = None
            self.viewport().unsetCursor()
            if self.tool is not None:
                self.set_cursor(CursorRole.CROSS if self.tool.tool_id.startswith("draw:") else CursorRole.DEFAULT)
            return
        if self.tool is not None:
            self.tool.release(self._tool_event(EventKind.RELEASE, event))
        self.mode = CanvasMode.IDLE

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self.tool is not None and event.button() == Qt.MouseButton.LeftButton:
            self.tool.double_click(self._tool_event(EventKind.DOUBLE_CLICK, event))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25 ** steps, event.position())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        name = key_name(event.key())
        if name == "Space":
            self._space = True
        if self.tool is not None and self.tool.key(KeyEvent(name, modifiers_of(event.modifiers()))):
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        name = key_name(event.key())
        if name == "Space":
            self._space = False
        if self.tool is not None:
            self.tool.key(KeyEvent(name, modifiers_of(event.modifiers()), pressed=False))

    def event(self, event: QEvent) -> bool:
        # Escape must reach the tool even when a window shortcut would take it.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Backspace, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                event.accept()
                return True
        return super().event(event)

    def _update_hover(self, pos: QPointF) -> None:
        p = self.view_to_image(pos)
        found = self.session.objects().hit(p.x(), p.y(), 6.0 / max(self.scale_factor, 1e-6),
                                           skip=self.session.hidden)
        key = found[0].key if found else None
        if key != self.hover:
            self.hover = key
            self.viewport().update()

    # ------------------------------------------------------------ painting

    def _view(self) -> View:
        t = self.viewportTransform()
        size = self.viewport().size()
        return View(t.m11(), t.dx(), t.dy(), max(size.width(), 1), max(size.height(), 1))

    def _image_size(self) -> tuple[int, int]:
        h, w = self._raw.shape[:2]
        return w, h

    def _image_renderer(self) -> Callable[[View, np.ndarray], None]:
        pyramid = self._pyramid
        return lambda view, buffer: render_image(pyramid, view, buffer)

    def _render_image_region(self, view: View, buffer: np.ndarray) -> None:
        render_image(self._pyramid, view, buffer)

    def _shape_renderer(self) -> Callable[[View, np.ndarray], None]:
        """A renderer over a snapshot of the objects (it may run in the tile worker)."""
        objects = self.session.objects()
        ordered, revision = objects.ordered(), (id(objects), objects.revision)
        exclude, opacity, colors, raster = set(self._exclude_drawn), self.fill_opacity, self._colors, self._raster

        def render(view: View, buffer: np.ndarray) -> None:
            raster.prepare(ordered, revision, colors)
            raster.render(view, opacity, exclude, out=buffer)

        return render

    def shutdown(self) -> None:
        """Stop the tile worker (the job window calls this when it closes)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def wait_rendered(self) -> None:
        """Finish background tile renders and repaint (tests, screenshots, benchmarks)."""
        self.viewport().repaint()
        self._image_cache.wait_idle()
        self._shape_cache.wait_idle()
        self.viewport().repaint()

    def _render_shape_region(self, view: View, buffer: np.ndarray) -> None:
        """A small region after an edit: draw the objects that cross it, in z-order, one by one."""
        objects = self.session.objects()
        boxes = objects.boxes()
        x0, y0, x1, y1 = view.image_rect()
        hit = np.flatnonzero((boxes[:, 2] >= x0) & (boxes[:, 0] <= x1) & (boxes[:, 3] >= y0) & (boxes[:, 1] <= y1))
        ordered = objects.ordered()
        chosen = [ordered[i] for i in hit if ordered[i].key not in self._exclude_drawn]
        self._raster.render_objects(buffer, view, chosen, self.fill_opacity)

    def _hidden_in_layer(self) -> set[ObjectKey]:
        out = set(self.session.hidden) | set(self.session.selection())
        preview = self.session.preview
        if preview is not None:
            out |= set(preview.extra.get("hide", []))
        return out

    def _sync_image_layer(self, view: View) -> None:
        layer = self._image_cache
        if layer.empty or layer.key != self._image_rev:
            # Big images render in the background (the old tiles stay as placeholders while zooming).
            layer.executor = self._executor if self._raw.shape[0] * self._raw.shape[1] > ASYNC_IMAGE_PIXELS else None
            layer.reset(view, self._image_rev)
        elif not layer.exact(view):
            self._refine_timer.start()

    def _sync_shape_layer(self, view: View) -> None:
        objects = self.session.objects()
        full_key = (id(objects), objects.generation, self.fill_opacity, self._label_rev)
        exclude = self._hidden_in_layer()
        layer = self._shape_cache
        if layer.empty or layer.key != full_key:
            same_frame = isinstance(layer.key, tuple) and layer.key[:2] == full_key[:2]
            self._exclude_drawn, self._changes_seen = exclude, len(objects.changes)
            layer.reset(view, full_key, keep_placeholders=same_frame)
            return
        dirty = list(objects.changes[self._changes_seen :])
        self._changes_seen = len(objects.changes)
        for key in exclude ^ self._exclude_drawn:
            obj = objects.get(key)
            if obj is not None:
                dirty.append(obj.box)
        self._exclude_drawn = exclude
        if len(dirty) > 500:
            layer.reset(view, full_key, keep_placeholders=True)
        elif dirty:
            layer.update_regions(dirty, full_key)
        if not layer.exact(view):
            self._refine_timer.start()

    def refine_now(self) -> None:
        """Re-anchor the cached layers at the current zoom (runs when a zoom settles); tiles are
        rendered crisply on the next paint."""
        view = self._view()
        self._image_cache.executor = self._executor  # the old tiles stay on screen meanwhile
        self._image_cache.reset(view, self._image_rev, keep_placeholders=True)
        self._shape_cache.reset(view, self._shape_cache.key, keep_placeholders=True)
        self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        view = self._view()
        self._sync_image_layer(view)
        self._sync_shape_layer(view)
        painter.save()
        painter.resetTransform()
        painter.fillRect(0, 0, view.width, view.height, BACKGROUND)
        size = self._image_size()
        self._image_cache.draw(painter, view, size)
        self._shape_cache.draw(painter, view, size)
        painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        scale = self.scale_factor
        objects = self.session.objects()
        hide = set(self.session.hidden)
        if self.session.preview is not None:
            hide |= set(self.session.preview.extra.get("hide", []))
        if self.hover is not None and self.hover not in self.session.selection():
            obj = objects.get(self.hover)
            if obj is not None and self.hover not in hide:
                color = QColor(self._colors.get(obj.shape.label_id, "#ffffff"))
                draw_shape(painter, obj.shape, color.lighter(140), scale, opacity=self.fill_opacity + 0.1,
                           selected=False, edges=self._edges.get(obj.shape.label_id))
        for key in self.session.selection():
            obj = objects.get(key)
            if obj is None or key in hide:
                continue
            color = QColor(self._colors.get(obj.shape.label_id, "#ffffff"))
            draw_shape(painter, obj.shape, color, scale, opacity=self.fill_opacity, selected=True,
                       edges=self._edges.get(obj.shape.label_id))
        preview = self.session.preview
        if preview is not None:
            label = self.session.current_label_id
            color = QColor(self._colors.get(label, "#ffffff") if label is not None else "#ffffff")
            draw_preview(painter, preview, color, scale, self.fill_opacity, self._edges)
