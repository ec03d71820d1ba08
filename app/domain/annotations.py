"""Annotations of a job: shapes, tracks (with per-frame keyframe shapes) and tags, in CVAT's layout.

Points follow CVAT's internal encoding for every shape type:

- rectangle: ``[xtl, ytl, xbr, ybr]`` (``rotation`` in degrees, clockwise, about the centre);
- polygon / polyline / points: ``[x0, y0, x1, y1, ...]``;
- ellipse: ``[cx, cy, cx + rx, cy - ry]``;
- mask: CVAT run lengths over the mask's box followed by the inclusive box ``[..., x1, y1, x2, y2]``
  (see :mod:`app.domain.mask`);
- skeleton: ``points`` is empty, the keypoints are ``elements`` (one ``points`` shape per sublabel).

``attributes`` maps attribute-spec ids to string values, as CVAT does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.domain.enums import ShapeType, Source


@dataclass(slots=True)
class Shape:
    """A labelled shape on one frame. Slotted: imports and exports hold hundreds of thousands at once."""

    type: ShapeType
    frame: int
    label_id: int
    points: list[float] = field(default_factory=list)
    rotation: float = 0.0
    occluded: bool = False
    outside: bool = False  # only meaningful on skeleton elements
    z_order: int = 0
    group: int = 0
    source: Source = Source.MANUAL
    score: float = 1.0
    attributes: dict[int, str] = field(default_factory=dict)
    elements: list[Shape] = field(default_factory=list)
    id: int | None = None
    # Stable identity across projects and copies (a UUID the store assigns with a new id); not compared.
    uid: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if type(self.type) is not ShapeType:  # the store hands enums in already (hot path)
            self.type = ShapeType(self.type)
        if type(self.source) is not Source:
            self.source = Source(self.source)

    def copy(self, **changes: object) -> Shape:
        """A deep copy (points, attributes and elements copied), with ``changes`` applied."""
        clone = replace(
            self,
            points=list(self.points),
            attributes=dict(self.attributes),
            elements=[e.copy() for e in self.elements],
        )
        for key, value in changes.items():
            setattr(clone, key, value)
        return clone


@dataclass
class TrackedShape:
    """The state of a track on one frame. Only keyframes are stored; other frames are interpolated."""

    type: ShapeType
    frame: int
    points: list[float] = field(default_factory=list)
    rotation: float = 0.0
    occluded: bool = False
    outside: bool = False
    keyframe: bool = True
    z_order: int = 0
    attributes: dict[int, str] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        self.type = ShapeType(self.type)

    def copy(self, **changes: object) -> TrackedShape:
        clone = replace(self, points=list(self.points), attributes=dict(self.attributes))
        for key, value in changes.items():
            setattr(clone, key, value)
        return clone


@dataclass
class Track:
    """An object followed over frames. Skeleton tracks hold one element track per keypoint."""

    label_id: int
    frame: int
    shapes: list[TrackedShape] = field(default_factory=list)
    group: int = 0
    source: Source = Source.MANUAL
    attributes: dict[int, str] = field(default_factory=dict)
    elements: list[Track] = field(default_factory=list)
    id: int | None = None
    # Stable identity across projects and copies (a UUID the store assigns with a new id); not compared.
    uid: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        self.source = Source(self.source)

    def copy(self, **changes: object) -> Track:
        clone = replace(
            self,
            shapes=[s.copy() for s in self.shapes],
            attributes=dict(self.attributes),
            elements=[e.copy() for e in self.elements],
        )
        for key, value in changes.items():
            setattr(clone, key, value)
        return clone


@dataclass
class Tag:
    """A frame-level label."""

    frame: int
    label_id: int
    group: int = 0
    source: Source = Source.MANUAL
    attributes: dict[int, str] = field(default_factory=dict)
    id: int | None = None
    # Stable identity across projects and copies (a UUID the store assigns with a new id); not compared.
    uid: str | None = field(default=None, compare=False)
    score: float = 1.0  # consensus merge: votes / replicas, as CVAT

    def __post_init__(self) -> None:
        self.source = Source(self.source)

    def copy(self, **changes: object) -> Tag:
        clone = replace(self, attributes=dict(self.attributes))
        for key, value in changes.items():
            setattr(clone, key, value)
        return clone


@dataclass
class Annotations:
    """Everything annotated in one job (or any other scope)."""

    shapes: list[Shape] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.shapes) + len(self.tracks) + len(self.tags)

    def extend(self, other: Annotations) -> None:
        self.shapes.extend(other.shapes)
        self.tracks.extend(other.tracks)
        self.tags.extend(other.tags)
