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

The canvas shows an :class:`~app.editing.session.EditSession` (the job's editing model) and is the
tools' view port (:class:`app.tools.base.ViewPort`: previews, cursor, the pixels shown, hit
tolerance); a tool is activated with a :class:`~app.tools.host.ToolHost` of the two. Everything about
the job's data (objects, selection, commands) is asked of ``canvas.session``, never of the canvas.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from app.editing.session import SessionChange
from app.tools.base import CursorRole, EventKind, KeyEvent, Modifier, Preview, Tool, ToolEvent
from app.tools.host import ToolHost
from app.widgets.canvas.input_map import CURSORS, buttons_of, key_name, modifiers_of
from app.widgets.canvas.layers import CanvasLayers
from app.widgets.canvas.overlay import draw_preview, draw_reference, draw_shape
from app.widgets.canvas.shape_raster import View

if TYPE_CHECKING:
    from app.domain.annotations import Shape
    from app.editing.frame_objects import ObjectKey
    from app.editing.session import EditSession

MIN_SCALE, MAX_SCALE = 1 / 64, 64.0
BACKGROUND = QColor("#2b2b2b")
HOVER_PX = 6.0  # screen pixels around the pointer that hover an object
REFINE_MS = 120  # a zoom is drawn from the cached layers, then re-rendered crisply after this pause

class CanvasMode(Enum):
    IDLE = "idle"
    DRAWING = "drawing"
    PANNING = "panning"


class CanvasView(QGraphicsView):
    view_changed = Signal()

    def __init__(self, session: EditSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.preview: Preview | None = None
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
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(REFINE_MS)
        self._refine_timer.timeout.connect(self.refine_now)
        self.layers = CanvasLayers(session, lambda: self.preview, on_ready=self.viewport().update,
                                   on_zooming=self._refine_timer.start)
        self._pan_from: QPointF | None = None
        self.reference: tuple[int, list[Shape]] | None = None  # Ground Truth shapes of a frame (review)
        self.reference_visible = True
        self._space = False
        self._fitted = True
        session.changed.connect(self._on_session)
        self._refresh_label_data()

    # ------------------------------------------------------------ view port (app.tools.base.ViewPort)

    def image(self, *, adjusted: bool = False) -> np.ndarray:
        return self._display if adjusted else self._raw

    def set_preview(self, preview: Preview | None) -> None:
        self.preview = preview
        self.viewport().update()

    def set_cursor(self, role: CursorRole) -> None:
        self.viewport().setCursor(CURSORS.get(role, Qt.CursorShape.ArrowCursor))

    def hit_tolerance(self, screen_px: float) -> float:
        return screen_px / max(self.scale_factor, 1e-6)

    # ------------------------------------------------------------ content

    def _on_session(self, _change: SessionChange) -> None:
        self.viewport().update()

    def _refresh_label_data(self) -> None:
        labels = self.session.labels
        self._colors = {}
        for label in labels:
            for item in (label, *label.sublabels):
                if item.id is not None:
                    self._colors[item.id] = item.color or label.color or "#ffffff"
        self._edges = {lb.id: list(lb.edges) for lb in labels if lb.id is not None and lb.edges}
        self.layers.set_labels(self._colors, self._edges)

    def labels_changed(self) -> None:
        """Call after the project's labels changed (colours, skeleton edges)."""
        self._refresh_label_data()
        self.viewport().update()

    def set_image(self, image: np.ndarray) -> None:
        """Show ``image`` (RGB uint8) for the session's current frame."""
        first = self._raw.shape[:2] == (1, 1)
        self._raw = image
        self._display = self.adjust(image) if self.adjust is not None else image
        self.layers.set_image(self._display)
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
        self.layers.opacity = self.fill_opacity
        self.viewport().update()

    def set_reference(self, frame: int | None, shapes: list[Shape] | None = None) -> None:
        """Draw ``shapes`` (Ground Truth, reviewing a conflict) over ``frame`` whenever it is shown;
        ``None`` removes the overlay."""
        self.reference = None if frame is None else (int(frame), list(shapes or []))
        self.viewport().update()

    def set_reference_visible(self, visible: bool) -> None:
        self.reference_visible = bool(visible)
        self.viewport().update()

    def reference_shown(self) -> list[Shape]:
        """The Ground Truth shapes drawn on the current frame now."""
        if self.reference is None or not self.reference_visible or self.reference[0] != self.session.frame:
            return []
        return self.reference[1]

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
            tool.activate(ToolHost(self.session, self))
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
        # The middle button (and Space + drag) always pans; the right button is offered to the tool
        # first (negative points of interactors, CVAT-style) and pans when the tool does not use it.
        if event.button() != Qt.MouseButton.MiddleButton and not self._space and self.tool is not None:
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
        modifiers = modifiers_of(event.modifiers())
        wheel = getattr(self.tool, "wheel", None)  # optional tool hook, e.g. Ctrl+wheel resizes a region
        if steps and modifiers & Modifier.CTRL and wheel is not None and wheel(steps, modifiers):
            return
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
        found = self.session.objects().hit(p.x(), p.y(), self.hit_tolerance(HOVER_PX), skip=self.session.hidden)
        key = found[0].key if found else None
        if key != self.hover:
            self.hover = key
            self.viewport().update()

    # ------------------------------------------------------------ painting

    def _view(self) -> View:
        t = self.viewportTransform()
        size = self.viewport().size()
        return View(t.m11(), t.dx(), t.dy(), max(size.width(), 1), max(size.height(), 1))

    def shutdown(self) -> None:
        """Stop the tile worker and stop following the session (the job window calls this when it closes)."""
        self.session.changed.disconnect(self._on_session)
        self.layers.shutdown()

    def wait_rendered(self) -> None:
        """Finish background tile renders and repaint (tests, screenshots, benchmarks)."""
        self.viewport().repaint()
        self.layers.wait_idle()
        self.viewport().repaint()

    def refine_now(self) -> None:
        """Re-render the cached layers crisply at the current zoom (runs when a zoom settles)."""
        self.layers.refine(self._view())
        self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        view = self._view()
        painter.save()
        painter.resetTransform()
        painter.fillRect(0, 0, view.width, view.height, BACKGROUND)
        self.layers.paint(painter, view)
        painter.restore()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        scale = self.scale_factor
        objects = self.session.objects()
        hide = set(self.session.hidden)
        if self.preview is not None:
            hide |= set(self.preview.extra.get("hide", []))
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
        for shape in self.reference_shown():
            draw_reference(painter, shape, scale, self._edges.get(shape.label_id))
        preview = self.preview
        if preview is not None:
            label = self.session.current_label_id
            color = QColor(self._colors.get(label, "#ffffff") if label is not None else "#ffffff")
            draw_preview(painter, preview, color, scale, self.fill_opacity, self._edges)
