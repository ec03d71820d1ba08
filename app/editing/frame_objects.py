"""The objects shown on one frame (plain shapes and the frame's state of each track), with fast
box arrays for culling and hit testing. Qt-free: the canvas draws from it, tools query it.

A :class:`FrameObject` is keyed by ``("shape", shape_id)`` or ``("track", track_id)``. For tracks
``shape`` is the track's state on this frame as a :class:`Shape` (``id`` None) and ``keyframe`` says
whether that state is stored or interpolated.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from app.domain.annotations import Shape, Track
from app.domain.geometry import Hit, HitKind, bbox, hit_shape

ObjectKey = tuple[str, int]


@dataclass(eq=False)
class FrameObject:
    key: ObjectKey
    shape: Shape
    track: Track | None = None
    keyframe: bool = True

    @property
    def is_track(self) -> bool:
        return self.key[0] == "track"

    @property
    def box(self) -> tuple[float, float, float, float]:
        """The shape's box, computed once (an edit makes a new FrameObject)."""
        cached = self.__dict__.get("_box")
        if cached is None:
            cached = self.__dict__["_box"] = bbox(self.shape)
        return cached


class FrameObjects:
    """An ordered (by z-order, then creation) collection with box arrays rebuilt lazily."""

    def __init__(self, objects: Iterable[FrameObject] = ()) -> None:
        self._items: dict[ObjectKey, FrameObject] = {}
        self._boxes: np.ndarray | None = None
        self._order: list[ObjectKey] = []
        self._index: dict[ObjectKey, int] | None = None  # key -> position in _order (built on demand)
        self.revision = 0
        self.generation = 0  # bumped when everything is replaced (a new frame)
        self.changes: list[tuple[float, float, float, float]] = []  # boxes changed in this generation
        for obj in objects:
            self._items[obj.key] = obj
        self._dirty()

    def _dirty(self, *boxes: tuple[float, float, float, float]) -> None:
        self._boxes = None
        self.revision += 1
        self.changes.extend(boxes)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[FrameObject]:
        self._ensure()
        return (self._items[k] for k in self._order)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def get(self, key: ObjectKey) -> FrameObject | None:
        return self._items.get(key)

    def put(self, obj: FrameObject) -> None:
        old = self._items.get(obj.key)
        self._items[obj.key] = obj
        if old is not None and self._boxes is not None and old.shape.z_order == obj.shape.z_order:
            # Same place in the order (z-order, kind, id): update its box without sorting everything again.
            boxes = self._boxes.copy()  # callers may hold the previous array
            boxes[self._position(obj.key)] = obj.box
            self._boxes = boxes
            self.revision += 1
            self.changes.extend((obj.box, old.box))
            return
        self._dirty(obj.box, *([old.box] if old is not None else []))

    def _position(self, key: ObjectKey) -> int:
        if self._index is None:
            self._index = {k: i for i, k in enumerate(self._order)}
        return self._index[key]

    def remove(self, key: ObjectKey) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._dirty(old.box)

    def replace_all(self, objects: Iterable[FrameObject]) -> None:
        self._items = {o.key: o for o in objects}
        self.generation += 1
        self.changes = []
        self._dirty()

    def _ensure(self) -> None:
        if self._boxes is not None:
            return
        ordered = sorted(self._items.values(), key=lambda o: (o.shape.z_order, o.key[0] == "track", o.key[1]))
        self._order = [o.key for o in ordered]
        self._index = None
        boxes = np.array([o.box for o in ordered], dtype=np.float64).reshape(-1, 4)
        self._boxes = boxes

    def ordered(self) -> list[FrameObject]:
        """Bottom to top (drawing order)."""
        self._ensure()
        return [self._items[k] for k in self._order]

    def boxes(self) -> np.ndarray:
        """(N, 4) boxes x1, y1, x2, y2 in :meth:`ordered` order."""
        self._ensure()
        assert self._boxes is not None
        return self._boxes

    def hit(
        self, x: float, y: float, tolerance: float, skip: Iterable[ObjectKey] = (), prefer: Iterable[ObjectKey] = ()
    ) -> tuple[FrameObject, Hit] | None:
        """The top-most object under (x, y). Objects in ``prefer`` (the selection) win when hit by a
        vertex or edge, so a selected shape's handles stay grabbable under other shapes."""
        self._ensure()
        boxes = self._boxes
        assert boxes is not None
        if not len(boxes):
            return None
        near = np.flatnonzero(
            (boxes[:, 0] - tolerance <= x) & (x <= boxes[:, 2] + tolerance)
            & (boxes[:, 1] - tolerance <= y) & (y <= boxes[:, 3] + tolerance)
        )
        skip_set, prefer_set = set(skip), set(prefer)
        best: tuple[FrameObject, Hit] | None = None
        for i in near[::-1]:
            obj = self._items[self._order[i]]
            if obj.key in skip_set:
                continue
            hit = hit_shape(obj.shape, x, y, tolerance)
            if hit is None:
                continue
            if obj.key in prefer_set and hit.kind in (HitKind.VERTEX, HitKind.EDGE):
                return obj, hit
            if best is None:
                best = (obj, hit)
                if not prefer_set:
                    break
        return best
