"""Shared behaviour of the drawing tools: label choice, committing a new object, previews.

Each concrete tool (rectangle, polygon, ...) lives in its own module and subclasses :class:`DrawTool`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.annotations import Shape
from app.editing.actions import EditError, make_shape, new_object_command
from app.tools.base import CursorRole
from app.tools.edit_context import EditTool

if TYPE_CHECKING:
    from app.editing.commands import Command

DRAG_THRESHOLD_PX = 4.0  # screen pixels: less than this between press and release is a click


class DrawTool(EditTool):
    """Base of drawing tools: ``commit`` turns a finished draft into one command."""

    shape_type = ""
    cursor = CursorRole.CROSS

    def __init__(self) -> None:
        super().__init__()
        self.last_command: Command | None = None

    def new_shape(self, points: list[float], **fields: object) -> Shape | None:
        try:
            return make_shape(self.session, self.shape_type, points, **fields)
        except EditError as exc:
            self.session.status(str(exc))
            return None

    def commit(self, shape: Shape | None) -> bool:
        """Push the command that adds ``shape`` (a track in track mode); clears the preview."""
        self.view.set_preview(None)
        if shape is None:
            return False
        try:
            command = new_object_command(self.session, shape)
        except EditError as exc:
            self.session.status(str(exc))
            return False
        self.session.push(command)
        self.last_command = command
        return True

    def label_color(self) -> str:
        ctx = self.session
        label = ctx.labels.get(ctx.current_label_id) if ctx.current_label_id is not None else None
        return label.color if label is not None else "#ffffff"
