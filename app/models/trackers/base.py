"""The tracker protocol every tracker implements (OpenCV, SAM 2, CVAT tracking functions).

It mirrors CVAT's tracking-function protocol (``cvat_sdk.auto_annotation``): per frame the tracker
preprocesses the image once (``preprocess``), then each object has a state made by ``init_state`` on
the frame where its shape is known and advanced by ``track`` on each following frame. ``track``
returns the points of the object on the new frame (same shape type as the original, CVAT encoding)
or None when the object is lost.

Qt-free; model libraries are imported lazily by the implementations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from app.domain.enums import ShapeType


class TrackerError(RuntimeError):
    """A tracker cannot be built or run (bad checkpoint, unsupported shape, broken function)."""


@dataclass(frozen=True)
class TrackTarget:
    """What a tracker is asked to follow: a shape's type and points (CVAT encoding) on its frame."""

    type: ShapeType
    points: tuple[float, ...]
    rotation: float = 0.0

    @classmethod
    def of(cls, type_: ShapeType | str, points: list[float] | tuple[float, ...], rotation: float = 0.0) -> TrackTarget:
        return cls(ShapeType(type_), tuple(float(p) for p in points), float(rotation))


class Tracker(Protocol):
    """A tracker. Implementations may keep heavy resources (a model); ``close`` frees them."""

    name: str
    supported_types: frozenset[ShapeType]

    def preprocess(self, image: np.ndarray) -> Any:
        """Shape-independent work on one RGB uint8 frame, shared by all objects on that frame."""
        ...

    def init_state(self, pre: Any, target: TrackTarget) -> Any:
        """A new tracking state for ``target`` as seen on the preprocessed frame ``pre``."""
        ...

    def track(self, pre: Any, state: Any) -> list[float] | None:
        """Points of the object on a new frame (same type as the target), or None when it is lost.
        May update ``state``."""
        ...

    def close(self) -> None: ...


@dataclass
class TrackerInfo:
    """What the UI lists: a tracker's display name, the shape types it follows and how to build it."""

    name: str
    supported_types: frozenset[ShapeType]
    description: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def check_supported(tracker: Tracker, target: TrackTarget) -> None:
    if target.type not in tracker.supported_types:
        kinds = ", ".join(sorted(t.value for t in tracker.supported_types))
        raise TrackerError(f"{tracker.name} cannot track a {target.type.value} (it tracks: {kinds})")
