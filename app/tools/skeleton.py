"""Skeleton tool: places the label's keypoint template, by a click (default size) or a dragged box.

Keypoints are laid out as CVAT lays out a template without coordinates (a circle in the unit box),
scaled into the box. Keypoints are then dragged with the select tool, which also toggles a
keypoint's outside (Alt+click) and occluded (Alt+Shift+click) flags.
"""

from __future__ import annotations

import math

from app.domain.annotations import Shape
from app.domain.enums import LabelType, ShapeType
from app.domain.geometry import normalized_rect
from app.domain.labels import Label
from app.editing.actions import EditError
from app.tools.base import Preview, ToolEvent
from app.tools.rectangle import RectangleTool

DEFAULT_SIZE_PX = 120.0  # screen pixels, for a click without a drag


def template_positions(label: Label) -> list[tuple[float, float]]:
    """Keypoint positions in the unit box (CVAT's default layout: a circle)."""
    n = max(len(label.sublabels), 1)
    return [(0.5 + 0.35 * math.cos(2 * math.pi * i / n), 0.5 + 0.35 * math.sin(2 * math.pi * i / n))
            for i in range(n)]


class SkeletonTool(RectangleTool):
    tool_id = "draw:skeleton"
    title = "Skeleton"
    tooltip = "Place a skeleton: drag its box, or click for the default size"
    shape_type = ShapeType.SKELETON

    def _label(self) -> Label | None:
        ctx = self.session
        current = ctx.labels.get(ctx.current_label_id) if ctx.current_label_id is not None else None
        if current is not None and current.type is LabelType.SKELETON:
            return current
        return next((lb for lb in ctx.labels if lb.type is LabelType.SKELETON and lb.sublabels), None)

    def skeleton(self, box: list[float]) -> Shape | None:
        label = self._label()
        if label is None:
            self.session.status(str(EditError("no skeleton label; add one with keypoints in the project's labels")))
            return None
        x1, y1, x2, y2 = box
        elements = [
            Shape(type=ShapeType.POINTS, frame=self.session.frame, label_id=sub.id or 0,
                  points=[x1 + u * (x2 - x1), y1 + v * (y2 - y1)], attributes=sub.default_attributes())
            for sub, (u, v) in zip(label.sublabels, template_positions(label), strict=False)
        ]
        return self.new_shape([], label_id=label.id, elements=elements)

    def move(self, event: ToolEvent) -> bool:
        if self.start is None:
            return False
        draft = self.skeleton(normalized_rect(*self.start, event.x, event.y))
        self.view.set_preview(Preview(shapes=[draft] if draft else [], text="skeleton"))
        return True

    def release(self, event: ToolEvent) -> bool:
        if self.start is None or not self.pressed:
            return False
        self.pressed = False
        x0, y0 = self.start
        if max(abs(event.x - x0), abs(event.y - y0)) * event.scale < 4:
            half = DEFAULT_SIZE_PX / 2 / max(event.scale, 1e-6)
            self.start = None
            self.commit(self.skeleton([x0 - half, y0 - half, x0 + half, y0 + half]))
            return True
        self.start = None
        self.commit(self.skeleton(normalized_rect(x0, y0, event.x, event.y)))
        return True
