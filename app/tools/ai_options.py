"""Settings shared by the Interactors tab and the AI interactor tools (Qt-free, observable).

The tab writes them; the tools read them when they build a preview or a shape and re-render the
preview when they change (e.g. the point slider moves).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.domain.enums import ShapeType
from app.tools.ai_worker import SlotWorker
from app.tools.base import CursorRole, Tool

MIN_POINTS = 3
MAX_POINTS = 300
DEFAULT_POINTS = 40


@dataclass
class InteractorOptions:
    """``interactor``: the selected point/box model (:class:`app.models.interactor.Interactor`), None
    until one is chosen; ``label_id``: the label of new shapes (None: the canvas's current label);
    ``max_points``: polygon vertex budget (the slider); ``output``: polygon or mask."""

    interactor: Any = None
    label_id: int | None = None
    max_points: int = DEFAULT_POINTS
    output: ShapeType = ShapeType.POLYGON
    _listeners: list[Callable[[str], None]] = field(default_factory=list, repr=False)

    def add_listener(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[str], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def set(self, **changes: Any) -> None:
        """Change fields and tell listeners which ones changed (one call per field)."""
        for name, value in changes.items():
            if name.startswith("_") or not hasattr(self, name):
                raise AttributeError(f"InteractorOptions has no option {name!r}")
            if name == "max_points":
                value = max(MIN_POINTS, min(MAX_POINTS, int(value)))
            if name == "output":
                value = ShapeType(value)
                if value not in (ShapeType.POLYGON, ShapeType.MASK):
                    raise ValueError(f"interactor output must be polygon or mask, not {value}")
            if getattr(self, name) is value or getattr(self, name) == value:
                continue
            setattr(self, name, value)
            for callback in list(self._listeners):
                callback(name)


class InteractorTool(Tool):
    """Base of the AI interactor tools: the shared options (label, points, output) and a background
    worker; listens to option changes while active (``_option_changed``), crosshair cursor."""

    def __init__(self, options: InteractorOptions | None = None, worker: SlotWorker | None = None) -> None:
        super().__init__()
        self.options = options or InteractorOptions()
        self.worker = worker

    def activate(self, ctx: Any) -> None:
        super().activate(ctx)
        if self.worker is None:
            self.worker = SlotWorker()
        self.options.add_listener(self._option_changed)
        ctx.set_cursor(CursorRole.CROSS)

    def deactivate(self) -> None:
        self.options.remove_listener(self._option_changed)
        super().deactivate()

    def _option_changed(self, name: str) -> None:
        """Called with the option's name when it changes while the tool is active."""
