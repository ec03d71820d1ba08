"""Polyline tool: click the vertices; N, Return or a double click finishes it (2 points at least)."""

from __future__ import annotations

from app.domain.enums import ShapeType
from app.tools.clicks import ClickPointsTool


class PolylineTool(ClickPointsTool):
    tool_id = "draw:polyline"
    title = "Polyline"
    tooltip = "Draw a polyline: click vertices, N or double-click to finish"
    shape_type = ShapeType.POLYLINE
    min_points = 2
