"""What every point/box interactor (SAM 2, CVAT interaction functions) takes and returns. Qt-free.

An interactor is used in two steps: ``prepare(key, image)`` does the prompt-independent work (SAM 2's
image embedding; a function's ``preprocess_image``) and may be slow, so it runs in the background as
soon as a frame is shown; ``predict(key, image, prompts)`` then turns clicks into a mask and must be
quick. ``key`` identifies the image content (e.g. ``(task_id, frame)``) for caches.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from app.domain.geometry import contour_to_polygon, largest_contour, polygon_to_mask_points, simplify
from app.domain.mask import mask_to_points


@dataclass(frozen=True)
class Prompts:
    """Clicks and an optional box, in image pixels."""

    positive: tuple[tuple[float, float], ...] = ()
    negative: tuple[tuple[float, float], ...] = ()
    box: tuple[float, float, float, float] | None = None  # (x1, y1, x2, y2)

    @property
    def empty(self) -> bool:
        return not self.positive and not self.negative and self.box is None


@dataclass
class MaskResult:
    """An interactor's answer: a bool mask crop placed at (left, top) on a (height, width) frame.

    ``polygon`` is set when the model answered with a polygon itself (interaction functions may); it
    is then used as is instead of outlining the mask."""

    mask: np.ndarray
    left: int
    top: int
    width: int
    height: int
    score: float = 1.0
    polygon: list[float] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    _contour: np.ndarray | None = field(default=None, init=False, repr=False)
    _outlined: bool = field(default=False, init=False, repr=False)
    _mask_points: list[float] | None = field(default=None, init=False, repr=False)

    @property
    def empty(self) -> bool:
        return self.polygon is None and not bool(self.mask.any())

    def to_polygon(self, max_points: int | None = None) -> list[float] | None:
        """The outline as a flat polygon with at most ``max_points`` vertices (None: full detail)."""
        if self.polygon is not None and not self.mask.any():
            return _limit_polygon(self.polygon, max_points)
        if not self._outlined:  # outline once; the point slider then only re-simplifies
            self._contour = largest_contour(self.mask) if self.mask.size else None
            self._outlined = True
        return contour_to_polygon(self._contour, max_points=max_points, left=self.left, top=self.top)

    def to_mask_points(self) -> list[float]:
        """CVAT mask points (runs over the tight box + inclusive box); computed once."""
        if self._mask_points is None:
            if not self.mask.any() and self.polygon is not None:
                self._mask_points = polygon_to_mask_points(self.polygon, self.width, self.height)
            else:
                self._mask_points = mask_to_points(self.mask, self.left, self.top)
        return list(self._mask_points)


class Interactor(Protocol):
    """A model that turns prompts into a mask on one image."""

    name: str
    description: str

    def requirement(self, prompts: Prompts) -> str | None:
        """None when ``prompts`` are enough to ask the model; otherwise what is missing (for the UI)."""
        ...

    def prepare(self, key: Hashable, image: np.ndarray) -> None:
        """Prompt-independent work for this image (cached by ``key``)."""
        ...

    def is_prepared(self, key: Hashable) -> bool: ...

    def predict(self, key: Hashable, image: np.ndarray, prompts: Prompts) -> MaskResult:
        """The mask for the prompts; calls ``prepare`` first when needed."""
        ...


def _limit_polygon(points: list[float], max_points: int | None) -> list[float]:
    if max_points is None or len(points) // 2 <= max_points:
        return list(points)
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    return [float(v) for v in simplify(pts, max_points=max_points).reshape(-1)]
