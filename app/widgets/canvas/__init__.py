"""The annotation canvas (QGraphicsView in image coordinates, layered and cached painting)."""

from app.widgets.canvas.view import CanvasMode, CanvasView

__all__ = ["CanvasMode", "CanvasView"]
