"""The base of the tools that work on a frame's objects (drawing and editing).

They read the frame's objects, the selection and the view flags from the session
(``self.session``, an :class:`app.editing.session.EditSession`) and build their commands with
:mod:`app.editing.actions`.
"""

from __future__ import annotations

from app.tools.base import CursorRole, Tool, ToolContext


class EditTool(Tool):
    """A tool on the frame's objects; its cursor is set on activation."""

    cursor = CursorRole.DEFAULT

    def activate(self, ctx: ToolContext) -> None:
        super().activate(ctx)
        ctx.view.set_cursor(self.cursor)
