"""The tracker tool of the Trackers tab: start and stop interactive tracking from the canvas.

- drag a rectangle: a new rectangle track is created with the current label and tracked (as CVAT's
  "Track" button with a rectangle tracker);
- click an object: a tracked track stops being tracked; any other track, or a plain shape (converted to
  a track first), starts being tracked by the chosen tracker when it supports the object's type.

The tool only pushes commands (``draw_track`` / ``shape_to_track`` of :mod:`app.editing.track_ops`) and
updates the :class:`~app.models.trackers.interactive.InteractiveTracking` it shares with the tab; the
tracking itself runs when the annotator steps to the next frame (the tab's job).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from app.core.events import Event
from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.editing import track_ops
from app.models.trackers.interactive import InteractiveTracking
from app.tools.base import Button, CursorRole, EventKind, Preview, Tool, ToolContext, ToolEvent

if TYPE_CHECKING:
    from app.editing.frame_objects import FrameObject, FrameObjects, ObjectKey
    from app.models.trackers.base import Tracker

MIN_DRAG = 3.0  # screen pixels: less is a click
HIT_TOLERANCE = 5.0  # screen pixels


def captions(session: InteractiveTracking, objects: Iterable[FrameObject]) -> list[tuple[float, float, str]]:
    """(x, y, text) for every tracked object on the frame: the tracker's name at its box's top-left."""
    from app.domain.geometry import bbox

    out = []
    for obj in objects:
        if obj.key[0] != "track":
            continue
        name = session.tracker_name(obj.key[1])
        if name:
            x1, y1, _, _ = bbox(obj.shape)
            out.append((float(x1), float(y1), name))
    return out


class TrackingTool(Tool):
    tool_id = "ai:tracker"
    title = "Tracker"
    tooltip = "Drag a rectangle to create and track it; click an object to start or stop tracking it"

    def __init__(self, session: InteractiveTracking | None = None,
                 tracker_provider: Callable[[], Tracker | None] | None = None) -> None:
        super().__init__()
        self.tracking = session if session is not None else InteractiveTracking()
        self.tracker_provider = tracker_provider or (lambda: None)
        self.marked: Event[tuple[int, ...]] = Event("tracking.marked")  # the tracked track ids, after a change
        self._anchor: tuple[float, float] | None = None
        self._box: tuple[float, float, float, float] | None = None
        self._scale = 1.0

    # ------------------------------------------------------------------ helpers
    def _changed(self) -> None:
        self.marked.emit(tuple(e.track_id for e in self.tracking.entries()))

    def _status(self, text: str) -> None:
        if self.ctx is not None:
            self.ctx.session.status(text)

    def _tracker_for(self, shape_type: ShapeType) -> Tracker | None:
        tracker = self.tracker_provider()
        if tracker is None:
            self._status("Choose a tracker first (it may still be loading)")
            return None
        if shape_type not in tracker.supported_types:
            kinds = ", ".join(sorted(t.value for t in tracker.supported_types))
            self._status(f"{tracker.name} cannot track a {shape_type.value} (it tracks: {kinds})")
            return None
        return tracker

    def activate(self, ctx: ToolContext) -> None:
        super().activate(ctx)
        ctx.view.set_cursor(CursorRole.CROSS)

    def cancel(self) -> None:
        self._anchor = self._box = None
        super().cancel()

    # ------------------------------------------------------------------ marking
    def create_rectangle(self, box: tuple[float, float, float, float]) -> int | None:
        """Create a rectangle track from ``box`` on the current frame and track it; its id."""
        if self.ctx is None:
            return None
        ctx = self.ctx.session
        tracker = self._tracker_for(ShapeType.RECTANGLE)
        if tracker is None:
            return None
        if ctx.current_label_id is None:
            self._status("Choose a label for the new object")
            return None
        x1, y1, x2, y2 = box
        shape = Shape(ShapeType.RECTANGLE, ctx.frame, ctx.current_label_id,
                      [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)])
        command = track_ops.draw_track(ctx.project, ctx.job_id, shape)
        ctx.push(command)
        track_id = command.after.tracks[0].id
        self.tracking.mark(track_id, tracker)
        self._changed()
        return track_id

    def toggle(self, obj: FrameObject) -> int | None:
        """Start or stop tracking ``obj``; the track id it is tracked as (None when not tracked)."""
        if self.ctx is None:
            return None
        ctx = self.ctx.session
        kind, object_id = obj.key
        if kind == "track" and self.tracking.entry(object_id) is not None:
            self.tracking.unmark(object_id)
            self._changed()
            self._status(f"Stopped tracking T{object_id}")
            return None
        tracker = self._tracker_for(obj.shape.type)
        if tracker is None:
            return None
        if kind == "shape":
            stored = next((s for s in ctx.project.frame_shapes(ctx.job_id, ctx.frame) if s.id == object_id), None)
            if stored is None:
                return None
            command = track_ops.shape_to_track(ctx.project, ctx.job_id, stored)
            ctx.push(command)
            object_id = command.after.tracks[0].id
        self.tracking.mark(object_id, tracker)
        self._changed()
        self._status(f"T{object_id} is tracked by {tracker.name}; step to the next frame (F) to track it")
        return object_id

    def mark_keys(self, keys: Iterable[ObjectKey], ctx: ToolContext | None = None) -> list[int]:
        """Track the given objects of the current frame (e.g. the selection); the track ids tracked.
        ``ctx`` is used when the tool is not active (the tab's "Track selected" button)."""
        active = self.ctx
        if active is None:
            self.ctx = ctx
        try:
            objects = self._objects()
            tracked = []
            for key in list(keys):
                obj = objects.get(key) if objects is not None else None
                if obj is None or (key[0] == "track" and self.tracking.entry(key[1]) is not None):
                    continue
                track_id = self.toggle(obj)
                if track_id is not None:
                    tracked.append(track_id)
            return tracked
        finally:
            self.ctx = active

    def _objects(self) -> FrameObjects | None:
        return self.ctx.session.objects() if self.ctx is not None else None

    # ------------------------------------------------------------------ events
    def press(self, event: ToolEvent) -> bool:
        if event.button != Button.LEFT:
            return False
        self._anchor, self._box, self._scale = (event.x, event.y), None, max(event.scale, 1e-6)
        return True

    def move(self, event: ToolEvent) -> bool:
        if self._anchor is None or self.ctx is None:
            return False
        x0, y0 = self._anchor
        self._box = (x0, y0, event.x, event.y)
        self.view.set_preview(Preview(box=self._box, text="Release to create and track a rectangle"))
        return True

    def release(self, event: ToolEvent) -> bool:
        if self._anchor is None or event.kind is not EventKind.RELEASE:
            return False
        x0, y0 = self._anchor
        box = (x0, y0, event.x, event.y)
        self.cancel()
        if max(abs(event.x - x0), abs(event.y - y0)) * self._scale >= MIN_DRAG:
            self.create_rectangle(box)
            return True
        objects = self._objects()
        found = objects.hit(event.x, event.y, HIT_TOLERANCE / self._scale) if objects is not None else None
        if found is not None:
            self.toggle(found[0])
        return True
