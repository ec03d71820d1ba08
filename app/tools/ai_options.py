"""Settings shared by the Interactors tab and the AI interactor tools (Qt-free, observable).

The tab writes them; the tools read them when they build a preview or a shape and re-render the
preview when they change (e.g. the point slider moves).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.domain.enums import ShapeType

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
