"""Intelligent scissors tool (OpenCV IntelligentScissorsMB), as CVAT's OpenCV tool.

Left click adds an anchor; the contour from the last anchor follows the cursor along edges. The
shortest-path map is built in the worker only on the threshold square around the last anchor (the
same square is drawn around the cursor: an anchor placed inside it is reached along edges;
Ctrl+wheel (:meth:`ScissorsTool.wheel`) or the ``[`` / ``]`` keys resize it). Clicking the last anchor removes it;
N / Return finishes: the outline becomes a polygon with at most ``options.max_points`` vertices (or
a mask), added as ONE undo step with source ``semi-auto``.
"""

from __future__ import annotations

import numpy as np

from app.domain.annotations import Shape
from app.domain.enums import ShapeType, Source
from app.domain.geometry import polygon_to_mask_points
from app.editing.commands import add_shapes
from app.models.scissors import DEFAULT_REGION, ScissorsMap, ScissorsPath, build_map, clamp_region, straight
from app.tools.ai_options import InteractorOptions, InteractorTool, Option
from app.tools.ai_worker import SlotWorker
from app.tools.base import Button, KeyEvent, Modifier, Preview, ToolEvent

HIT_PX = 7.0
WHEEL_STEP = 1.15  # region factor per wheel notch (120 units)


class ScissorsTool(InteractorTool):
    """Anchors + live contour. ``region`` is the threshold square's side in image pixels."""

    tool_id = "ai:scissors"
    title = "Intelligent scissors"
    tooltip = "Click along an edge; Ctrl+wheel: threshold size; click the last point to remove it; N: done"

    def __init__(self, options: InteractorOptions | None = None, worker: SlotWorker | None = None,
                 region: int = DEFAULT_REGION) -> None:
        super().__init__(options, worker)
        self.region = clamp_region(region)
        self.path = ScissorsPath()
        self.map: ScissorsMap | None = None
        self.cursor: tuple[float, float] | None = None
        self._request = 0
        self._image: np.ndarray | None = None
        self._frame: int | None = None


    def cancel(self) -> None:
        self.path = ScissorsPath()
        self.map = None
        self._request += 1
        if self.worker is not None:
            self.worker.clear("map")
        super().cancel()

    @property
    def map_ready(self) -> bool:
        return bool(self.path.anchors) and self.map is not None and self.map.anchor == self.path.anchors[-1]

    # ---------------------------------------------------------------------------- events
    def press(self, event: ToolEvent) -> bool:
        if self.ctx is None or event.button != Button.LEFT:
            return False
        if self._frame is not None and self._frame != self.session.frame:
            self.cancel()
        self._frame = self.session.frame
        image = self.view.image()
        h, w = image.shape[:2]
        x, y = min(max(event.x, 0.0), w - 1), min(max(event.y, 0.0), h - 1)
        if self.path.hits_last(x, y, HIT_PX / max(event.scale, 1e-6)):
            self.path.remove_last()
        else:
            segment = self.map.path_to(x, y) if self.map_ready else None
            self.path.add((x, y), segment)
        self._image = image
        self._request_map()
        self.cursor = (x, y)
        self._render()
        return True

    def move(self, event: ToolEvent) -> bool:
        if self.ctx is None:
            return False
        self.cursor = (event.x, event.y)
        self._render()
        return bool(self.path.anchors)

    def key(self, event: KeyEvent) -> bool:
        if event.pressed and event.key in ("N", "Return", "Enter"):
            self.accept()
            return True
        if event.pressed and event.key in ("[", "]"):  # keyboard alternative to Ctrl+wheel
            return self.wheel(120 if event.key == "]" else -120, Modifier.CTRL)
        return super().key(event)

    def wheel(self, delta: float, modifiers: Modifier = Modifier.NONE) -> bool:
        """Ctrl+wheel resizes the threshold square (``delta`` in Qt units, 120 per notch); the canvas
        forwards wheel events to tools that have this method and zooms only when it returns False."""
        if not modifiers & Modifier.CTRL:
            return False
        self.region = clamp_region(self.region * WHEEL_STEP ** (delta / 120.0))
        if self.path.anchors:
            self._request_map()
        self._render()
        return True

    # ------------------------------------------------------------------------------- map
    def _request_map(self) -> None:
        self._request += 1
        self.map = None
        if not self.path.anchors:
            self.worker.clear("map")
            return
        request, image, anchor, region = self._request, self._image, self.path.anchors[-1], self.region
        self.worker.submit("map", lambda: build_map(image, anchor, region),
                           lambda result, error: self._map_built(request, result, error))

    def _map_built(self, request: int, result: ScissorsMap | None, error: BaseException | None) -> None:
        if request != self._request or self.ctx is None:
            return
        if error is not None:
            self.session.status(f"Intelligent scissors: {error}")
            return
        self.map = result
        self._render()

    # ---------------------------------------------------------------------------- output
    def _live(self) -> np.ndarray | None:
        if not self.path.anchors or self.cursor is None:
            return None
        if self.map_ready:
            return self.map.path_to(*self.cursor)
        return straight(self.path.anchors[-1], self.cursor)

    def accept(self) -> Shape | None:
        if self.ctx is None:
            return None
        poly = self.path.polygon(self.options.max_points)
        label_id = self.options.label_id if self.options.label_id is not None else self.session.current_label_id
        if poly is None:
            self.session.status("place at least three points along the object's edge first")
            return None
        if label_id is None:
            self.session.status("choose a label first")
            return None
        kind, points = ShapeType.POLYGON, poly
        if self.options.output == ShapeType.MASK:
            h, w = self.view.image().shape[:2]
            kind, points = ShapeType.MASK, polygon_to_mask_points(self.path.points().ravel().tolist(), w, h)
        label = self.session.labels.get(label_id)
        if label is not None and not label.type.accepts(kind):
            self.session.status(f"label {label.name!r} does not accept {kind.value} shapes")
            return None
        shape = Shape(type=kind, frame=self.session.frame, label_id=label_id, points=points, source=Source.SEMI_AUTO,
                      attributes=label.default_attributes() if label is not None else {})
        session = self.session
        session.push(add_shapes(session.project, session.job_id, [shape], text=f"Add {kind.value} (scissors)"))
        self.cancel()
        return shape

    def _option_changed(self, _option: Option) -> None:
        self._render()

    def _render(self) -> None:
        if self.ctx is None:
            return
        preview = Preview(points=[(float(x), float(y), "vertex") for x, y in self.path.anchors])
        if self.path.anchors:
            preview.polyline = [float(v) for v in self.path.points(self._live()).ravel()]
        if self.cursor is not None:
            cx, cy = self.cursor
            half = self.region / 2
            preview.box = (cx - half, cy - half, cx + half, cy + half)
        preview.text = "" if self.map_ready or not self.path.anchors else "building edge map…"
        preview.extra = {"threshold": self.region, "map_ready": self.map_ready}
        self.view.set_preview(preview)
