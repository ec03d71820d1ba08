"""Select/edit tool: select (click, Shift+click, rubber band), move, drag vertices and the rotation
handle, insert a vertex (double-click on an edge), delete a vertex (Alt+click), toggle a skeleton
keypoint's outside (Alt+click) or occluded (Alt+Shift+click) flag, delete the selection (Delete).

A drag is one command pushed on release; Escape during a drag drops it and nothing is written.
Locked objects can be selected but not changed; hidden objects are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.annotations import Shape
from app.domain.enums import ShapeType
from app.domain.geometry import (
    Hit,
    HitKind,
    delete_vertex,
    insert_vertex,
    move_vertex,
    rotation_handle,
    rotation_towards,
    translate,
)
from app.editing.actions import EditError, delete_command, edit_many_command, edit_object_command
from app.tools.base import Button, KeyEvent, Modifier, Preview, ToolEvent
from app.tools.edit_context import EditTool

if TYPE_CHECKING:
    from app.editing.frame_objects import FrameObject

HIT_TOLERANCE_PX = 6.0
DRAG_THRESHOLD_PX = 3.0


@dataclass
class Drag:
    kind: str  # "move" | "vertex" | "rotate" | "band"
    x0: float
    y0: float
    objects: list[FrameObject] = field(default_factory=list)
    index: int = -1
    moved: bool = False
    clicked: tuple[str, int] | None = None  # a click without a drag selects just this object
    result: list[Shape] = field(default_factory=list)


class SelectTool(EditTool):
    tool_id = "edit:select"
    title = "Select"
    tooltip = "Select and edit: drag to move, drag handles, double-click an edge to add a vertex, Alt+click deletes one"

    def __init__(self) -> None:
        super().__init__()
        self.drag: Drag | None = None

    # ------------------------------------------------------------ helpers

    def _selected_objects(self) -> list[FrameObject]:
        objects = self.session.objects()
        return [o for o in (objects.get(k) for k in self.session.selection()) if o is not None]

    def _editable(self, obj: FrameObject) -> bool:
        if self.session.is_locked(obj.key):
            self.session.status("The object is locked (L unlocks it)")
            return False
        return True

    def _pinned(self, obj: FrameObject) -> bool:
        if self.session.is_pinned(obj.key):
            self.session.status("The object is pinned: drag its vertices; unpin it on its card to move it")
            return True
        return False

    def _hit(self, event: ToolEvent) -> tuple[FrameObject, Hit] | None:
        ctx = self.session
        hidden = [o.key for o in ctx.objects() if ctx.is_hidden(o.key)]
        return ctx.objects().hit(event.x, event.y, HIT_TOLERANCE_PX / max(event.scale, 1e-6),
                                 skip=hidden, prefer=ctx.selection())

    def _rotation_hit(self, event: ToolEvent) -> FrameObject | None:
        tol = HIT_TOLERANCE_PX / max(event.scale, 1e-6)
        for obj in self._selected_objects():
            handle = rotation_handle(obj.shape, event.scale)
            if handle and abs(handle[0] - event.x) <= tol and abs(handle[1] - event.y) <= tol:
                return obj
        return None

    # ------------------------------------------------------------ events

    def press(self, event: ToolEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        ctx = self.session
        rotating = self._rotation_hit(event)
        if rotating is not None and self._editable(rotating) and not self._pinned(rotating):
            self.drag = Drag("rotate", event.x, event.y, [rotating])
            return True
        found = self._hit(event)
        if found is None:
            if not event.modifiers & Modifier.SHIFT:
                ctx.select([])
            self.drag = Drag("band", event.x, event.y)
            return True
        obj, hit = found
        if event.modifiers & Modifier.ALT:
            self._alt_click(obj, hit, bool(event.modifiers & Modifier.SHIFT))
            return True
        selection = ctx.selection()
        if event.modifiers & Modifier.SHIFT:
            ctx.select([k for k in selection if k != obj.key] if obj.key in selection else [*selection, obj.key])
            return True
        if obj.key not in selection:
            ctx.select([obj.key])
        if not self._editable(obj):
            return True
        if hit.kind is HitKind.VERTEX:
            self.drag = Drag("vertex", event.x, event.y, [obj], index=hit.index)
        elif not self._pinned(obj):
            moving = [o for o in self._selected_objects() if not ctx.is_locked(o.key) and not ctx.is_pinned(o.key)]
            self.drag = Drag("move", event.x, event.y, moving or [obj], clicked=obj.key)
        return True

    def move(self, event: ToolEvent) -> bool:
        drag = self.drag
        if drag is None:
            return False
        if not drag.moved and max(abs(event.x - drag.x0), abs(event.y - drag.y0)) * event.scale < DRAG_THRESHOLD_PX:
            return True
        drag.moved = True
        if drag.kind == "band":
            self.view.set_preview(Preview(box=(drag.x0, drag.y0, event.x, event.y), text="select"))
            return True
        drag.result = self._dragged(drag, event.x, event.y)
        self.view.set_preview(Preview(shapes=drag.result, extra={"hide": [o.key for o in drag.objects],
                                                                 "selected": True}))
        return True

    def _dragged(self, drag: Drag, x: float, y: float) -> list[Shape]:
        if drag.kind == "move":
            return [translate(o.shape, x - drag.x0, y - drag.y0) for o in drag.objects]
        shape = drag.objects[0].shape
        if drag.kind == "rotate":
            return [shape.copy(rotation=rotation_towards(shape, x, y))]
        return [move_vertex(shape, drag.index, x, y)]

    def release(self, event: ToolEvent) -> bool:
        drag, self.drag = self.drag, None
        if drag is None or event.button is not Button.LEFT:
            return False
        ctx = self.session
        self.view.set_preview(None)
        if not drag.moved:
            if drag.clicked is not None:
                ctx.select([drag.clicked])
            return True
        if drag.kind == "band":
            self._band_select(drag, event)
            return True
        result = self._dragged(drag, event.x, event.y)
        text = {"move": "Move", "vertex": "Move vertex", "rotate": "Rotate"}[drag.kind]
        try:
            if len(result) == 1:
                ctx.push(edit_object_command(ctx, drag.objects[0], result[0], text=text))
            else:
                ctx.push(edit_many_command(ctx, list(zip(drag.objects, result, strict=True)), text))
        except EditError as exc:
            ctx.status(str(exc))
        return True

    def _band_select(self, drag: Drag, event: ToolEvent) -> None:
        ctx = self.session
        x1, x2 = sorted((drag.x0, event.x))
        y1, y2 = sorted((drag.y0, event.y))
        objects = ctx.objects()
        boxes = objects.boxes()
        inside = (boxes[:, 0] >= x1) & (boxes[:, 2] <= x2) & (boxes[:, 1] >= y1) & (boxes[:, 3] <= y2)
        ordered = objects.ordered()
        keys = [ordered[i].key for i in inside.nonzero()[0] if not ctx.is_hidden(ordered[i].key)]
        keep = ctx.selection() if event.modifiers & Modifier.SHIFT else []
        ctx.select(list(dict.fromkeys([*keep, *keys])))

    def double_click(self, event: ToolEvent) -> bool:
        found = self._hit(event)
        if found is None:
            return False
        obj, hit = found
        if hit.kind is not HitKind.EDGE or not self._editable(obj):
            return True
        shape = insert_vertex(obj.shape, hit.index, event.x, event.y)
        self.session.push(edit_object_command(self.session, obj, shape, text="Insert vertex"))
        return True

    def _alt_click(self, obj: FrameObject, hit: Hit, shift: bool) -> None:
        ctx = self.session
        if not self._editable(obj):
            return
        index = hit.index
        if obj.shape.type is ShapeType.SKELETON and index >= 0:
            shape = obj.shape.copy()
            element = [e for e in shape.elements if len(e.points) >= 2][index]
            if shift:
                element.occluded = not element.occluded
            else:
                element.outside = not element.outside
            flag = "occluded" if shift else "outside"
            ctx.push(edit_object_command(ctx, obj, shape, text=f"Keypoint {flag}"))
            return
        if hit.kind is not HitKind.VERTEX:
            return
        shape = delete_vertex(obj.shape, index)
        if shape is None:
            ctx.status(f"A {obj.shape.type.value} cannot lose more vertices")
            return
        ctx.push(edit_object_command(ctx, obj, shape, text="Delete vertex"))

    def key(self, event: KeyEvent) -> bool:
        if not event.pressed:
            return False
        if event.key == "Escape":
            if self.drag is not None:
                self.cancel()
            else:
                self.session.select([])
            return True
        if event.key == "Delete":
            return self.delete_selection()
        return False

    def delete_selection(self) -> bool:
        ctx = self.session
        objs = [o for o in self._selected_objects() if not ctx.is_locked(o.key)]
        if not objs:
            return False
        ctx.push(delete_command(ctx, objs))
        ctx.select([])
        return True

    def cancel(self) -> None:
        self.drag = None
        super().cancel()
