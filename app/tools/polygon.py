"""Polygon tool: click the vertices; N, Return or a double click closes it (3 points at least)."""

from __future__ import annotations

from app.domain.enums import ShapeType
from app.tools.clicks import ClickPointsTool


class PolygonTool(ClickPointsTool):
    tool_id = "draw:polygon"
    title = "Polygon"
    tooltip = "Draw a polygon: click vertices, N or double-click to finish, Backspace removes the last"
    shape_type = ShapeType.POLYGON
    min_points = 3
    closed = True
