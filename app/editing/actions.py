"""Commands for the editing operations of a session (Qt-free): new, edit, delete, paste, propagate,
z-order, group, label change, occluded. Tools and the job window's actions build their commands here
from the :class:`~app.editing.session.EditSession`, so an edit of a plain shape and an edit of a
track's state on a frame go through the same door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.domain.annotations import Annotations, Shape, Tag
from app.editing import track_bridge
from app.editing.commands import ReplaceAnnotations, add_shapes, edit_shapes

if TYPE_CHECKING:
    from app.editing.commands import Command
    from app.editing.frame_objects import FrameObject
    from app.editing.session import EditSession


class EditError(ValueError):
    """An edit that cannot be made (the message says why; the canvas shows it in the status bar)."""


def label_for(ctx: EditSession, shape_type: str) -> int:
    """The label a new shape of ``shape_type`` gets: the current label when it accepts the type,
    else the first label that does. Raises :class:`EditError` when none does."""
    labels = ctx.labels
    current = labels.get(ctx.current_label_id) if ctx.current_label_id is not None else None
    if current is not None and current.type.accepts(shape_type):
        return current.id  # type: ignore[return-value]
    for label in labels:
        if label.type.accepts(shape_type) and label.id is not None:
            return label.id
    raise EditError(f"no label accepts a {shape_type}; add one in the project's labels")


def top_z(ctx: EditSession) -> int:
    objects = ctx.objects()
    return max((o.shape.z_order for o in objects), default=-1) + 1 if len(objects) else 0


def make_shape(ctx: EditSession, shape_type: str, points: list[float], **fields: object) -> Shape:
    """A new shape on the current frame with the label's default attribute values."""
    label_id = int(fields.pop("label_id", None) or label_for(ctx, shape_type))  # type: ignore[call-overload]
    label = ctx.labels.by_id(label_id)
    shape = Shape(type=shape_type, frame=ctx.frame, label_id=label_id, points=[float(v) for v in points],
                  z_order=top_z(ctx), attributes=label.default_attributes())
    for key, value in fields.items():
        setattr(shape, key, value)
    return shape


def new_object_command(ctx: EditSession, shape: Shape, text: str = "") -> Command:
    """Add ``shape``; in track mode it starts a new track instead."""
    text = text or f"Add {shape.type.value}"
    if ctx.track_mode:
        return track_bridge.new_track_command(ctx.project, ctx.job_id, shape, text=text.replace("Add", "Draw track:"))
    return add_shapes(ctx.project, ctx.job_id, [shape], text=text)


def edit_object_command(ctx: EditSession, obj: FrameObject, shape: Shape, text: str = "Edit shape") -> Command:
    """Replace ``obj``'s geometry/flags on this frame by ``shape`` (a track gets a keyframe here)."""
    if obj.track is not None:
        return track_bridge.set_state_command(ctx.project, ctx.job_id, obj.track, ctx.frame, shape, text=text)
    return edit_shapes(ctx.project, ctx.job_id, [obj.shape], [shape], text=text)


def edit_many_command(ctx: EditSession, pairs: list[tuple[FrameObject, Shape]], text: str) -> Command:
    """Edit several objects in one undo step."""
    plain = [(o, s) for o, s in pairs if o.track is None]
    tracks = [(o, s) for o, s in pairs if o.track is not None]
    if not tracks:
        return edit_shapes(ctx.project, ctx.job_id, [o.shape for o, _ in plain], [s for _, s in plain], text=text)
    before = Annotations(shapes=[o.shape for o, _ in plain])
    after = Annotations(shapes=[s for _, s in plain])
    for obj, shape in tracks:
        assert obj.track is not None
        new_track = track_bridge.track_with_state(ctx.project, obj.track, ctx.frame, shape)
        before.tracks.append(obj.track)
        after.tracks.append(new_track)
    return ReplaceAnnotations(ctx.project, ctx.job_id, before=before, after=after, text=text)


def delete_command(ctx: EditSession, objs: list[FrameObject]) -> Command:
    """Delete plain shapes, and whole tracks (as CVAT does) for track objects."""
    before = Annotations(shapes=[o.shape for o in objs if o.track is None],
                         tracks=[o.track for o in objs if o.track is not None])
    n = len(objs)
    return ReplaceAnnotations(ctx.project, ctx.job_id, before=before, text=f"Delete {n} object{'s' * (n > 1)}")


def paste_command(ctx: EditSession, shapes: list[Shape]) -> Command:
    """Paste copies of ``shapes`` onto the current frame (new ids, on top)."""
    z = top_z(ctx)
    copies = [s.copy(id=None, frame=ctx.frame, z_order=z) for s in shapes]
    for c in copies:
        for e in c.elements:
            e.id = None
            e.frame = ctx.frame
    return add_shapes(ctx.project, ctx.job_id, copies, text=f"Paste {len(copies)} object(s)")


def propagate_command(ctx: EditSession, objs: list[FrameObject], count: int) -> Command:
    """Copy the objects' current state onto the next ``count`` frames of the job (plain shapes)."""
    frames = ctx.job_frames()
    if ctx.frame not in frames:
        raise EditError("the current frame is not in the job")
    start = frames.index(ctx.frame)
    targets = frames[start + 1 : start + 1 + count]
    if not targets:
        raise EditError("there are no later frames to propagate to")
    copies = []
    for obj in objs:
        for frame in targets:
            c = obj.shape.copy(id=None, frame=frame)
            for e in c.elements:
                e.id, e.frame = None, frame
            copies.append(c)
    return add_shapes(ctx.project, ctx.job_id, copies, text=f"Propagate to {len(targets)} frames")


def z_order_command(ctx: EditSession, objs: list[FrameObject], forward: bool) -> Command:
    zs = [o.shape.z_order for o in ctx.objects()]
    z = (max(zs) + 1) if forward else (min(zs) - 1)
    return edit_many_command(ctx, [(o, o.shape.copy(z_order=z)) for o in objs],
                             "Bring forward" if forward else "Send backward")


def group_command(ctx: EditSession, objs: list[FrameObject], ungroup: bool = False) -> Command:
    """Put the objects in one new group (or take them out of any group)."""
    if ungroup:
        group = 0
    else:
        annotations = ctx.project.annotations(ctx.job_id)
        group = max([s.group for s in annotations.shapes] + [t.group for t in annotations.tracks] + [0]) + 1
    plain = [o for o in objs if o.track is None]
    tracks = [o.track for o in objs if o.track is not None]
    before = Annotations(shapes=[o.shape for o in plain], tracks=tracks)
    after = Annotations(shapes=[o.shape.copy(group=group) for o in plain],
                        tracks=[t.copy(group=group) for t in tracks])
    return ReplaceAnnotations(ctx.project, ctx.job_id, before=before, after=after,
                              text="Ungroup" if ungroup else "Group")


def change_label_command(ctx: EditSession, objs: list[FrameObject], label_id: int) -> Command:
    """Give the objects another label; their attributes restart from the new label's defaults."""
    label = ctx.labels.by_id(label_id)
    for o in objs:
        if not label.type.accepts(o.shape.type):
            raise EditError(f"label {label.name!r} ({label.type.value}) does not accept a {o.shape.type.value}")
    plain = [o for o in objs if o.track is None]
    tracks = [o.track for o in objs if o.track is not None]
    before = Annotations(shapes=[o.shape for o in plain], tracks=tracks)
    after = Annotations(
        shapes=[o.shape.copy(label_id=label_id, attributes=label.default_attributes()) for o in plain],
        tracks=[t.copy(label_id=label_id, attributes=label.default_attributes()) for t in tracks],
    )
    return ReplaceAnnotations(ctx.project, ctx.job_id, before=before, after=after, text=f"Label {label.name}")


def occluded_command(ctx: EditSession, objs: list[FrameObject]) -> Command:
    value = not all(o.shape.occluded for o in objs)
    return edit_many_command(ctx, [(o, o.shape.copy(occluded=value)) for o in objs],
                             "Occluded" if value else "Not occluded")


def attribute_command(ctx: EditSession, obj: FrameObject, spec_id: int, value: str) -> Command:
    """Set one attribute value (a track's immutable attribute is set on the track)."""
    spec = ctx.labels.attribute_spec(spec_id)
    if spec is not None:
        error = spec.validate_value(value)
        if error:
            raise EditError(error)
    text = f"Set {spec.name if spec else spec_id}"
    if obj.track is not None and spec is not None and not spec.mutable:
        after = obj.track.copy()
        after.attributes[spec_id] = value
        return ReplaceAnnotations(ctx.project, ctx.job_id, before=Annotations(tracks=[obj.track]),
                                  after=Annotations(tracks=[after]), text=text)
    shape = obj.shape.copy()
    shape.attributes[spec_id] = value
    return edit_object_command(ctx, obj, shape, text=text)


def tag_attribute_command(ctx: EditSession, tag: Tag, spec_id: int, value: str) -> Command:
    """Set one attribute value of a frame tag (the tag keeps its id)."""
    spec = ctx.labels.attribute_spec(spec_id)
    if spec is not None:
        error = spec.validate_value(value)
        if error:
            raise EditError(error)
    after = tag.copy()
    after.attributes[spec_id] = value
    return ReplaceAnnotations(ctx.project, ctx.job_id, before=Annotations(tags=[tag]), after=Annotations(tags=[after]),
                              text=f"Set tag {spec.name if spec else spec_id}")
