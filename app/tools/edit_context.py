"""What editing and drawing tools use beyond :class:`app.tools.base.ToolContext`.

The canvas implements both protocols; the fake contexts of the unit tests do too. Kept apart from
``base.py`` so that tools which only need the core protocol (AI interactors, trackers) stay unaffected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from app.tools.base import CursorRole, Tool, ToolContext

if TYPE_CHECKING:
    from app.tools.frame_objects import FrameObjects, ObjectKey


class EditContext(ToolContext, Protocol):
    track_mode: bool  # new shapes become tracks

    def objects(self) -> FrameObjects:
        """The objects shown on the current frame (plain shapes and tracks' states)."""
        ...

    def selection(self) -> list[ObjectKey]: ...

    def select(self, keys: list[ObjectKey]) -> None: ...

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the current frame."""
        ...

    def job_frames(self) -> list[int]:
        """The task frame numbers of the job, in order."""
        ...

    def is_locked(self, key: ObjectKey) -> bool: ...

    def is_hidden(self, key: ObjectKey) -> bool: ...


class EditTool(Tool):
    """Base of the tools that work on a frame's objects (drawing and editing): typed access to the
    canvas as an :class:`EditContext`, and the tool's cursor set on activation."""

    cursor = CursorRole.DEFAULT

    @property
    def ectx(self) -> EditContext:
        assert self.ctx is not None, "the tool is not active"
        return cast("EditContext", self.ctx)

    def activate(self, ctx: ToolContext) -> None:
        super().activate(ctx)
        ctx.set_cursor(self.cursor)
