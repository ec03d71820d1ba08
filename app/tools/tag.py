"""Tag tool: a click on the frame adds a frame-level tag with the current tag label."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.annotations import Tag
from app.domain.enums import LabelType
from app.editing.commands import add_tags
from app.tools.base import Button, ToolEvent
from app.tools.drawing import DrawTool

if TYPE_CHECKING:
    from app.editing.session import EditSession


def add_tag(ctx: EditSession, label_id: int | None = None) -> bool:
    """Add a tag of ``label_id`` (default: the current label when it is a tag label, else the first
    tag label) to the session's frame; skipped when the frame already has that tag."""
    labels = ctx.labels
    label = labels.get(label_id if label_id is not None else ctx.current_label_id)
    if label is None or label.type is not LabelType.TAG:
        label = next((lb for lb in labels if lb.type is LabelType.TAG), None)
    if label is None:
        ctx.status("No tag label; add a label of type 'tag'")
        return False
    project, job_id, frame = ctx.project, ctx.job_id, ctx.frame
    if any(t.label_id == label.id for t in project.frame_tags(job_id, frame)):
        ctx.status(f"Frame {frame} already has tag {label.name!r}")
        return False
    tag = Tag(frame=frame, label_id=label.id, attributes=label.default_attributes())
    ctx.push(add_tags(project, job_id, [tag], text=f"Tag {label.name}"))
    return True


class TagTool(DrawTool):
    tool_id = "draw:tag"
    title = "Tag"
    tooltip = "Tag the frame: click anywhere on the image"
    shape_type = "tag"

    def press(self, event: ToolEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        add_tag(self.session)
        return True
