"""Settings shared by the Interactors tab and the AI interactor tools (Qt-free, observable).

The tab writes them; the tools read them when they build a preview or a shape and re-render the
preview when they change (e.g. the point slider moves).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from app.core.events import Event
from app.domain.enums import ShapeType
from app.tools.ai_worker import SlotWorker
from app.tools.base import CursorRole, Tool

MIN_POINTS = 3
MAX_POINTS = 300
DEFAULT_POINTS = 40


class Option(Enum):
    """An option of :class:`InteractorOptions` (the payload of its ``changed`` event)."""

    INTERACTOR = "interactor"
    LABEL_ID = "label_id"
    MAX_POINTS = "max_points"
    OUTPUT = "output"


@dataclass
class InteractorOptions:
    """``interactor``: the selected point/box model (:class:`app.models.interactor.Interactor`), None
    until one is chosen; ``label_id``: the label of new shapes (None: the canvas's current label);
    ``max_points``: polygon vertex budget (the slider); ``output``: polygon or mask."""

    interactor: Any = None
    label_id: int | None = None
    max_points: int = DEFAULT_POINTS
    output: ShapeType = ShapeType.POLYGON
    changed: Event[Option] = field(default_factory=lambda: Event("interactor_options.changed"), repr=False,
                                   compare=False)

    def set(self, **changes: Any) -> None:
        """Change fields and emit :attr:`changed` for each one that changed."""
        names = {o.value for o in Option}
        for name, value in changes.items():
            if name not in names:
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
            self.changed.emit(Option(name))


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
        self.options.changed.connect(self._option_changed)
        ctx.view.set_cursor(CursorRole.CROSS)

    def deactivate(self) -> None:
        self.options.changed.disconnect(self._option_changed)
        super().deactivate()

    def _option_changed(self, option: Option) -> None:
        """Called with the option when it changes while the tool is active."""
