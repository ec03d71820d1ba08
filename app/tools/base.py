"""The tool protocol shared by every canvas tool (drawing, editing, AI interactors, trackers).

Tools receive toolkit-neutral events in *image* coordinates and act through a :class:`ToolContext`,
a small host of two parts: the job's :class:`~app.editing.session.EditSession` (the frame's objects,
selection, labels; annotations change only by pushing commands, ``self.session.push``) and a
:class:`ViewPort` (the canvas: draft geometry with ``set_preview``, the cursor, the pixels shown).
So tool tests need no window: a real session and a :class:`app.tools.host.PlainView` are enough.

Life cycle: ``activate(ctx)`` -> any number of ``press/move/release/double_click/key`` ->
``deactivate()``. ``cancel()`` (Escape, always) drops the gesture in progress and the preview and
leaves the annotations as they were before the gesture.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntFlag
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from app.domain.annotations import Shape
    from app.editing.session import EditSession


class EventKind(Enum):
    PRESS = "press"
    MOVE = "move"
    RELEASE = "release"
    DOUBLE_CLICK = "double_click"


class Button(IntFlag):
    NONE = 0
    LEFT = 1
    RIGHT = 2
    MIDDLE = 4


class Modifier(IntFlag):
    NONE = 0
    SHIFT = 1
    CTRL = 2
    ALT = 4


@dataclass(frozen=True)
class ToolEvent:
    """A pointer event. ``x, y`` in image pixels; ``scale`` = screen pixels per image pixel (for
    hit tolerances that stay constant on screen)."""

    kind: EventKind
    x: float
    y: float
    button: Button = Button.NONE  # the button that changed (press/release)
    buttons: Button = Button.NONE  # buttons held
    modifiers: Modifier = Modifier.NONE
    scale: float = 1.0


@dataclass(frozen=True)
class KeyEvent:
    """A key press or release. ``key`` is a Qt-independent name: letters/digits upper-case ("N", "3"),
    and "Escape", "Return", "Backspace", "Delete", "Control", "Shift", "Alt", "Space", "Left", ..."""

    key: str
    modifiers: Modifier = Modifier.NONE
    pressed: bool = True


class CursorRole(Enum):
    DEFAULT = "default"
    CROSS = "cross"
    MOVE = "move"
    POINTING = "pointing"
    BUSY = "busy"
    RESIZE = "resize"
    ROTATE = "rotate"
    FORBIDDEN = "forbidden"


@dataclass
class Preview:
    """Draft geometry a tool shows while working. Never stored."""

    shapes: list[Shape] = field(default_factory=list)
    points: list[tuple[float, float, str]] = field(default_factory=list)  # (x, y, role) role: "pos"/"neg"/"vertex"
    polyline: list[float] = field(default_factory=list)  # a rubber band, flat [x0, y0, x1, y1, ...]
    box: tuple[float, float, float, float] | None = None  # (x1, y1, x2, y2)
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class ViewPort(Protocol):
    """The view showing the session to the user: what a tool may change that is not the job's data.
    Implemented by the canvas; :class:`app.tools.host.PlainView` is a Qt-free one for tests."""

    def image(self, *, adjusted: bool = False) -> np.ndarray:
        """The current frame as RGB uint8 (display adjustments applied only when asked)."""
        ...

    def set_preview(self, preview: Preview | None) -> None:
        """Show draft geometry over the frame (None removes it)."""
        ...

    def set_cursor(self, role: CursorRole) -> None: ...

    def hit_tolerance(self, screen_px: float) -> float:
        """``screen_px`` screen pixels in image pixels at the current zoom."""
        ...


class ToolContext(Protocol):
    """What a tool acts through (its host): the job's editing session, where it reads the frame's
    objects and labels and pushes commands, and the view port, where it shows previews and sets the
    cursor. :class:`app.tools.host.ToolHost` is the one implementation."""

    @property
    def session(self) -> EditSession: ...

    @property
    def view(self) -> ViewPort: ...


class Tool:
    """Base class of every canvas tool. Subclasses override what they need; returning True from an
    event handler means the event was consumed (the canvas then does not pan/select with it)."""

    tool_id: str = "tool"  # namespaced: "draw:polygon", "edit:select", "ai:sam2", ...
    title: str = "Tool"
    shortcut: str = ""
    tooltip: str = ""

    def __init__(self) -> None:
        self.ctx: ToolContext | None = None

    def activate(self, ctx: ToolContext) -> None:
        self.ctx = ctx

    @property
    def session(self) -> EditSession:
        """The job's editing session (only while the tool is active)."""
        assert self.ctx is not None, "the tool is not active"
        return self.ctx.session

    @property
    def view(self) -> ViewPort:
        """The view port showing the session (only while the tool is active)."""
        assert self.ctx is not None, "the tool is not active"
        return self.ctx.view

    def deactivate(self) -> None:
        self.cancel()
        self.ctx = None

    def press(self, event: ToolEvent) -> bool:
        return False

    def move(self, event: ToolEvent) -> bool:
        return False

    def release(self, event: ToolEvent) -> bool:
        return False

    def double_click(self, event: ToolEvent) -> bool:
        return False

    def key(self, event: KeyEvent) -> bool:
        if event.pressed and event.key == "Escape":
            self.cancel()
            return True
        return False

    def cancel(self) -> None:
        """Drop the gesture in progress; the store is left as before the gesture."""
        if self.ctx is not None:
            self.ctx.view.set_preview(None)
