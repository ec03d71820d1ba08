"""Ellipse tool: drag the ellipse's bounding box (or click two corners). Rotate it with the select tool."""

from __future__ import annotations

from app.domain.enums import ShapeType
from app.domain.geometry import normalized_rect
from app.tools.base import Preview, ToolEvent
from app.tools.rectangle import MIN_SIZE, RectangleTool


class EllipseTool(RectangleTool):
    tool_id = "draw:ellipse"
    title = "Ellipse"
    tooltip = "Draw an ellipse: drag its box, or click two corners"
    shape_type = ShapeType.ELLIPSE

    def move(self, event: ToolEvent) -> bool:
        if self.start is None:
            return False
        x1, y1, x2, y2 = normalized_rect(*self.start, event.x, event.y)
        draft = self.new_shape([(x1 + x2) / 2, (y1 + y2) / 2, x2, y1])
        self.view.set_preview(Preview(shapes=[draft] if draft else [], box=(x1, y1, x2, y2), text="ellipse"))
        return True

    def finish(self, x: float, y: float) -> None:
        assert self.start is not None
        x1, y1, x2, y2 = normalized_rect(*self.start, x, y)
        self.start = None
        if x2 - x1 < MIN_SIZE or y2 - y1 < MIN_SIZE:
            self.view.set_preview(None)
            self.session.status("Ellipse too small; dropped")
            return
        self.commit(self.new_shape([(x1 + x2) / 2, (y1 + y2) / 2, x2, y1]))
