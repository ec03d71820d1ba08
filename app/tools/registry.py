"""The built-in canvas tools by id (AI tools register theirs with :func:`register`)."""

from __future__ import annotations

from collections.abc import Callable

from app.tools.base import Tool
from app.tools.ellipse import EllipseTool
from app.tools.mask import MaskTool
from app.tools.points import PointsTool
from app.tools.polygon import PolygonTool
from app.tools.polyline import PolylineTool
from app.tools.rectangle import RectangleTool
from app.tools.select import SelectTool
from app.tools.skeleton import SkeletonTool
from app.tools.tag import TagTool

_FACTORIES: dict[str, Callable[[], Tool]] = {}


def register(tool_id: str, factory: Callable[[], Tool]) -> None:
    _FACTORIES[tool_id] = factory


for _cls in (SelectTool, RectangleTool, PolygonTool, PolylineTool, PointsTool, EllipseTool, MaskTool,
             SkeletonTool, TagTool):
    register(_cls.tool_id, _cls)


def tool_ids() -> list[str]:
    return list(_FACTORIES)


def create(tool_id: str) -> Tool:
    if tool_id not in _FACTORIES:
        raise KeyError(f"unknown tool {tool_id!r}; known: {', '.join(_FACTORIES)}")
    return _FACTORIES[tool_id]()
