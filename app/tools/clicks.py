"""Shared behaviour of the click-by-click tools (polygon, polyline, points).

Left click adds a point, N / Return / double-click finishes, Backspace removes the last point and
Escape cancels. Holding the left button while moving adds points continuously (free-hand drawing,
one point every few screen pixels), as CVAT does with Shift.
"""

from __future__ import annotations

from app.tools.base import Button, CursorRole, KeyEvent, Modifier, Preview, ToolContext, ToolEvent
from app.tools.drawing import DrawTool

FREEHAND_STEP_PX = 6.0


class ClickPointsTool(DrawTool):
    min_points = 1
    closed = False

    def __init__(self) -> None:
        super().__init__()
        self.points: list[float] = []
        self.cursor: tuple[float, float] | None = None
        self._down = False

    def activate(self, ctx: ToolContext) -> None:
        super().activate(ctx)
        ctx.view.set_cursor(CursorRole.CROSS)

    def _show(self) -> None:
        band = list(self.points)
        if self.cursor is not None and self.points:
            band += list(self.cursor)
            if self.closed and len(self.points) >= 4:
                band += self.points[:2]
        n = len(self.points) // 2
        pts = [(self.points[2 * i], self.points[2 * i + 1], "vertex") for i in range(n)]
        self.view.set_preview(Preview(polyline=band, points=pts, text=f"{self.title}: {n} point(s)"))

    def press(self, event: ToolEvent) -> bool:
        if event.button is not Button.LEFT:
            return False
        self._down = True
        self.points += [float(event.x), float(event.y)]
        self._show()
        return True

    def move(self, event: ToolEvent) -> bool:
        self.cursor = (event.x, event.y)
        if self._down and (event.buttons & Button.LEFT) and (event.modifiers & Modifier.SHIFT) and self.points:
            lx, ly = self.points[-2], self.points[-1]
            if max(abs(event.x - lx), abs(event.y - ly)) * event.scale >= FREEHAND_STEP_PX:
                self.points += [float(event.x), float(event.y)]
        if self.points:
            self._show()
            return True
        return False

    def release(self, event: ToolEvent) -> bool:
        if event.button is Button.LEFT:
            self._down = False
            return bool(self.points)
        return False

    def double_click(self, event: ToolEvent) -> bool:
        # The press of a double click already added the point: Qt sends press, release, double-click.
        if self.points:
            self.finish()
            return True
        return False

    def key(self, event: KeyEvent) -> bool:
        if not event.pressed:
            return False
        if event.key in ("N", "Return", "Enter") and self.points:
            self.finish()
            return True
        if event.key == "Backspace" and self.points:
            del self.points[-2:]
            self._show() if self.points else self.view.set_preview(None)
            return True
        return super().key(event)

    def _deduplicated(self) -> list[float]:
        out: list[float] = []
        for i in range(0, len(self.points), 2):
            if len(out) >= 2 and out[-2] == self.points[i] and out[-1] == self.points[i + 1]:
                continue
            out += self.points[i : i + 2]
        return out

    def finish(self) -> bool:
        points = self._deduplicated()
        self.points, self.cursor = [], None
        if len(points) // 2 < self.min_points:
            self.view.set_preview(None)
            self.session.status(f"A {self.shape_type} needs at least {self.min_points} point(s); dropped")
            return False
        return self.commit(self.new_shape(points))

    def cancel(self) -> None:
        self.points, self.cursor, self._down = [], None, False
        super().cancel()
