"""Rectangle tool: drag a box, or click two opposite corners."""

from __future__ import annotations

from app.domain.enums import ShapeType
from app.domain.geometry import normalized_rect
from app.tools.base import Button, KeyEvent, Preview, ToolEvent
from app.tools.drawing import DRAG_THRESHOLD_PX, DrawTool

MIN_SIZE = 1.0  # image pixels: smaller boxes are dropped


class RectangleTool(DrawTool):
    tool_id = "draw:rectangle"
    title = "Rectangle"
    tooltip = "Draw a rectangle: drag, or click two corners"
    shape_type = ShapeType.RECTANGLE

    def __init__(self) -> None:
        super().__init__()
        self.start: tuple[float, float] | None = None
        self.pressed = False
        self.press_pos: tuple[float, float] = (0.0, 0.0)

    def press(self, event: ToolEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        self.pressed = True
        self.press_pos = (event.x, event.y)
        if self.start is None:
            self.start = (event.x, event.y)
        return True

    def move(self, event: ToolEvent) -> bool:
        if self.start is None:
            return False
        self.view.set_preview(Preview(box=(*self.start, event.x, event.y), text="rectangle"))
        return True

    def release(self, event: ToolEvent) -> bool:
        if event.button is not Button.LEFT or self.start is None or not self.pressed:
            return False
        self.pressed = False
        dragged = max(abs(event.x - self.press_pos[0]), abs(event.y - self.press_pos[1])) * event.scale
        is_first_click = (event.x, event.y) == self.press_pos and self.start == self.press_pos
        if dragged < DRAG_THRESHOLD_PX and is_first_click:
            return True  # first corner of a two-click rectangle; wait for the second click
        self.finish(event.x, event.y)
        return True

    def finish(self, x: float, y: float) -> None:
        assert self.start is not None
        box = normalized_rect(*self.start, x, y)
        self.start = None
        if box[2] - box[0] < MIN_SIZE or box[3] - box[1] < MIN_SIZE:
            self.view.set_preview(None)
            self.session.status("Rectangle too small; dropped")
            return
        w, h = self.session.image_size()
        box = [min(max(box[0], 0), w), min(max(box[1], 0), h), min(max(box[2], 0), w), min(max(box[3], 0), h)]
        self.commit(self.new_shape(box))

    def key(self, event: KeyEvent) -> bool:
        return super().key(event)

    def cancel(self) -> None:
        self.start = None
        self.pressed = False
        super().cancel()
