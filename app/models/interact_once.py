"""One interactor call without a window (Qt-free): prompts from text, the shape as the GUI would make it.

Used by ``fieldmark interact`` to run SAM 2 or a CVAT interaction function on one frame: points
``x,y`` (positive) or ``x,y,neg`` (negative), a box ``x1,y1,x2,y2``; the answer is the polygon (at
most ``max_points`` vertices) or CVAT mask points the interactors tab would add.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.domain.enums import ShapeType
from app.models.interactor import Prompts


class InteractError(ValueError):
    """Bad prompts, or the interactor found nothing; the message says which."""


def _numbers(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise InteractError(f"{what} {text!r}: expected numbers separated by commas") from None


def parse_prompts(points: Sequence[str], box: str | None) -> Prompts:
    """``points``: ``x,y`` or ``x,y,neg`` (``x,y,pos`` is positive too); ``box``: ``x1,y1,x2,y2``."""
    positive: list[tuple[float, float]] = []
    negative: list[tuple[float, float]] = []
    for text in points:
        head, _, sign = text.rpartition(",") if text.count(",") == 2 else (text, "", "")
        if sign not in ("", "pos", "neg"):
            raise InteractError(f"point {text!r}: the third part must be pos or neg")
        x_y = _numbers(head, "point")
        if len(x_y) != 2:
            raise InteractError(f"point {text!r}: expected x,y or x,y,neg")
        (negative if sign == "neg" else positive).append((x_y[0], x_y[1]))
    corners = None
    if box is not None:
        values = _numbers(box, "box")
        if len(values) != 4:
            raise InteractError(f"box {box!r}: expected x1,y1,x2,y2")
        corners = (values[0], values[1], values[2], values[3])
    prompts = Prompts(tuple(positive), tuple(negative), corners)
    if prompts.empty:
        raise InteractError("give --points and/or --box")
    return prompts


@dataclass
class InteractShape:
    type: ShapeType
    points: list[float]
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type.value, "points": [round(p, 3) for p in self.points], "score": round(self.score, 4)}


def interact(interactor: Any, key: Any, image: np.ndarray, prompts: Prompts, *, output: ShapeType = ShapeType.POLYGON,
             max_points: int | None = None) -> InteractShape:
    """The shape for ``prompts`` on ``image``. Raises :class:`InteractError` when the interactor refuses
    the prompts or finds nothing."""
    missing = interactor.requirement(prompts)
    if missing:
        raise InteractError(missing)
    result = interactor.predict(key, image, prompts)
    if result.empty:
        raise InteractError(f"{getattr(interactor, 'name', 'the interactor')} found nothing at these prompts")
    if output is ShapeType.MASK:
        return InteractShape(ShapeType.MASK, result.to_mask_points(), float(result.score))
    polygon = result.to_polygon(max_points)
    if not polygon:
        raise InteractError("the answer has no outline to make a polygon from")
    return InteractShape(ShapeType.POLYGON, polygon, float(result.score))
