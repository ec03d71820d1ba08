"""Mask tool: brush and eraser strokes, polygon fill and polygon erase, into one mask shape.

Strokes accumulate into the same mask shape until the mask is finished (N / Return) or another one
is selected; each stroke (press to release) or each polygon is one command, so one undo step. The
shape is stored as CVAT run lengths (:mod:`app.domain.mask`). Escape drops the stroke or polygon in
progress and leaves the stored mask as it was.

Keys while active: E toggles brush/eraser, P toggles polygon mode, ``[`` / ``]`` change the brush size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import cv2
import numpy as np

from app.core.events import Event
from app.domain.enums import ShapeType
from app.domain.geometry import fill_polygon
from app.domain.mask import mask_to_points, points_to_mask
from app.editing.actions import EditError, delete_command, edit_object_command
from app.tools.base import Button, KeyEvent, Preview, ToolEvent
from app.tools.clicks import ClickPointsTool

if TYPE_CHECKING:
    from app.editing.frame_objects import FrameObject, ObjectKey

MODES = ("brush", "eraser", "polygon", "polygon_erase")


class MaskTool(ClickPointsTool):
    tool_id = "draw:mask"
    title = "Mask"
    tooltip = "Paint a mask: brush/eraser (E), polygon fill/erase (P), size [ ]; N finishes the mask"
    shape_type = ShapeType.MASK
    min_points = 3
    closed = True

    def __init__(self, size: int = 10) -> None:
        super().__init__()
        self.mode = "brush"
        self.size = size
        self.target: ObjectKey | None = None
        self.bitmap: np.ndarray | None = None  # uint8 (H, W), the mask being edited
        self._before: np.ndarray | None = None
        self._last: tuple[int, int] | None = None
        self._stroking = False
        # (mode, size) after either changed; the window's mode/size widgets follow it
        self.options_changed: Event[tuple[str, int]] = Event("mask_tool.options_changed")

    # ------------------------------------------------------------ state

    def _options_changed(self) -> None:
        self.options_changed.emit((self.mode, self.size))

    @property
    def erasing(self) -> bool:
        return self.mode in ("eraser", "polygon_erase")

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mask mode {mode!r}; use one of {MODES}")
        if self.ctx is not None:
            self.cancel()
        self.mode = mode
        self._options_changed()

    def _target_object(self) -> FrameObject | None:
        return self.session.objects().get(self.target) if self.target is not None else None

    def _ensure_bitmap(self) -> None:
        """Start from the mask being edited, else the single selected mask, else an empty one."""
        ctx = self.session
        w, h = ctx.image_size()
        if self.target is not None and self._target_object() is None:
            self.target, self.bitmap = None, None  # deleted or undone meanwhile
        if self.target is None:
            selected = [ctx.objects().get(k) for k in ctx.selection()]
            masks = [o for o in selected if o is not None and o.shape.type is ShapeType.MASK]
            if len(masks) == 1:
                self.target, self.bitmap = masks[0].key, None
        if self.bitmap is None or self.bitmap.shape != (h, w):
            obj = self._target_object()
            self.bitmap = (points_to_mask(obj.shape.points, w, h).astype(np.uint8) if obj is not None
                           else np.zeros((h, w), np.uint8))

    def _show(self) -> None:
        if self.mode.startswith("polygon"):
            preview = self.preview_extra(Preview(polyline=self._band(), points=self._markers()))
        else:
            preview = self.preview_extra(Preview(text=f"{self.mode} {self.size}px"))
        self.view.set_preview(preview)

    def _band(self) -> list[float]:
        band = list(self.points)
        if self.cursor is not None and self.points:
            band += [*self.cursor, *self.points[:2]]
        return band

    def _markers(self) -> list[tuple[float, float, str]]:
        return [(self.points[i], self.points[i + 1], "vertex") for i in range(0, len(self.points), 2)]

    def preview_extra(self, preview: Preview) -> Preview:
        if self.bitmap is not None:
            preview.extra["mask"] = {"bitmap": self.bitmap, "color": self.label_color()}
            if self.target is not None:
                preview.extra["hide"] = [self.target]
        return preview

    # ------------------------------------------------------------ events

    def press(self, event: ToolEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        self._ensure_bitmap()
        if self.mode.startswith("polygon"):
            return super().press(event)
        assert self.bitmap is not None
        self._before = self.bitmap.copy()
        self._stroking = True
        self._last = (int(event.x), int(event.y))
        self._dab(self._last, self._last)
        self._show()
        return True

    def _dab(self, a: tuple[int, int], b: tuple[int, int]) -> None:
        assert self.bitmap is not None
        value = 0 if self.erasing else 1
        cv2.line(self.bitmap, a, b, value, thickness=max(1, int(self.size)), lineType=cv2.LINE_8)
        if self.size <= 1:
            h, w = self.bitmap.shape
            self.bitmap[min(max(b[1], 0), h - 1), min(max(b[0], 0), w - 1)] = value

    def move(self, event: ToolEvent) -> bool:
        if self.mode.startswith("polygon"):
            return super().move(event)
        if not self._stroking or not (event.buttons & Button.LEFT):
            self.cursor = (event.x, event.y)
            return False
        point = (int(event.x), int(event.y))
        self._dab(self._last or point, point)
        self._last = point
        self._show()
        return True

    def release(self, event: ToolEvent) -> bool:
        if self.mode.startswith("polygon"):
            return super().release(event)
        if event.button is not Button.LEFT or not self._stroking:
            return False
        self._stroking = False
        self._before = None
        self._store("Erase mask" if self.erasing else "Paint mask")
        return True

    def key(self, event: KeyEvent) -> bool:
        if not event.pressed:
            return False
        if event.key == "E":
            self.set_mode({"brush": "eraser", "eraser": "brush", "polygon": "polygon_erase",
                           "polygon_erase": "polygon"}[self.mode])
            return True
        if event.key == "P":
            self.set_mode("polygon" if not self.mode.startswith("polygon") else "brush")
            return True
        if event.key in ("[", "]"):
            self.size = max(1, min(500, round(self.size * (1.25 if event.key == "]" else 0.8))))
            self.session.status(f"Brush size {self.size}px")
            self._options_changed()
            return True
        if event.key in ("N", "Return", "Enter") and not self.points:
            self.finish_mask()
            return True
        return super().key(event)

    # ------------------------------------------------------------ results

    def finish(self) -> bool:
        """Apply the polygon in progress (fill or erase) as one step."""
        points = self._deduplicated()
        self.points, self.cursor = [], None
        if len(points) < 6:
            self.session.status("A mask polygon needs at least 3 points; dropped")
            self._show()
            return False
        self._ensure_bitmap()
        assert self.bitmap is not None
        fill_polygon(self.bitmap, points, 0 if self.erasing else 1)
        return self._store("Erase mask polygon" if self.erasing else "Fill mask polygon")

    def finish_mask(self) -> None:
        """End this mask: the next stroke starts a new one."""
        self.target, self.bitmap = None, None
        self.view.set_preview(None)
        self.session.select([])

    def _store(self, text: str) -> bool:
        ctx = self.session
        assert self.bitmap is not None
        obj = self._target_object()
        empty = not self.bitmap.any()
        try:
            if empty:
                if obj is not None:
                    ctx.push(delete_command(ctx, [obj]))
                self.target, self.bitmap = None, None
                self.view.set_preview(None)
                return obj is not None
            points = mask_to_points(self.bitmap.astype(bool))
            if obj is None:
                ok = self.commit(self.new_shape(points))
                if ok and self.last_command is not None:
                    self.target = _new_key(self.last_command)
                    if self.target is not None:
                        ctx.select([self.target])
                return ok
            ctx.push(edit_object_command(ctx, obj, obj.shape.copy(points=points), text=text))
        except EditError as exc:
            ctx.status(str(exc))
            return False
        self._show()
        return True

    def cancel(self) -> None:
        if self._stroking and self._before is not None:
            self.bitmap = self._before
        self._stroking, self._before = False, None
        obj = self._target_object() if self.ctx is not None else None
        if obj is None:
            self.bitmap = None
        elif self.bitmap is not None:
            w, h = self.session.image_size()
            self.bitmap = points_to_mask(obj.shape.points, w, h).astype(np.uint8)
        super().cancel()


def _new_key(command: object) -> ObjectKey | None:
    """The key of the object a just-pushed add command created."""
    after = getattr(command, "after", None)
    if after is None:
        return None
    if after.shapes and after.shapes[0].id is not None:
        return ("shape", after.shapes[0].id)
    if after.tracks and after.tracks[0].id is not None:
        return ("track", after.tracks[0].id)
    return None
