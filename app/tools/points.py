"""Points tool: several points in one shape; click each, N or Return finishes."""

from __future__ import annotations

from app.domain.enums import ShapeType
from app.tools.base import Preview
from app.tools.clicks import ClickPointsTool


class PointsTool(ClickPointsTool):
    tool_id = "draw:points"
    title = "Points"
    tooltip = "Place points (one shape): click each point, N to finish"
    shape_type = ShapeType.POINTS
    min_points = 1

    def _show(self) -> None:
        # Points are not joined: show only the markers.
        n = len(self.points) // 2
        markers = [(self.points[2 * i], self.points[2 * i + 1], "vertex") for i in range(n)]
        self.view.set_preview(Preview(points=markers, text=f"Points: {n}"))
