"""Copying annotations with label ids, attribute ids and frame numbers translated (dataset → project)."""

from __future__ import annotations

from collections.abc import Callable

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.formats.label_mapping import LabelMap


class Remapper:
    """Translate ids and frames. ``frame`` maps a dataset frame index to a project (task) frame."""

    def __init__(self, label_map: LabelMap, frame: Callable[[int], int]) -> None:
        self.labels = label_map.labels
        self.attrs = label_map.attributes
        self.frame = frame

    def attributes(self, values: dict[int, str]) -> dict[int, str]:
        attrs = self.attrs
        return {attrs[k]: v for k, v in values.items() if k in attrs}

    def shape(self, s: Shape, frame: int | None = None) -> Shape:
        frame = self.frame(s.frame) if frame is None else frame
        return Shape(type=s.type, frame=frame, label_id=self.labels[s.label_id], points=list(s.points),
                     rotation=s.rotation, occluded=s.occluded, outside=s.outside, z_order=s.z_order, group=s.group,
                     source=s.source, score=s.score, attributes=self.attributes(s.attributes) if s.attributes else {},
                     elements=[self.shape(e, frame) for e in s.elements])

    def tracked(self, s: TrackedShape) -> TrackedShape:
        return TrackedShape(type=s.type, frame=self.frame(s.frame), points=list(s.points), rotation=s.rotation,
                            occluded=s.occluded, outside=s.outside, keyframe=s.keyframe, z_order=s.z_order,
                            attributes=self.attributes(s.attributes))

    def track(self, t: Track) -> Track:
        return Track(label_id=self.labels[t.label_id], frame=self.frame(t.frame),
                     shapes=[self.tracked(s) for s in t.shapes], group=t.group, source=t.source,
                     attributes=self.attributes(t.attributes), elements=[self.track(e) for e in t.elements])

    def tag(self, t: Tag) -> Tag:
        return Tag(frame=self.frame(t.frame), label_id=self.labels[t.label_id], group=t.group, source=t.source,
                   attributes=self.attributes(t.attributes))

    def annotations(self, ann: Annotations) -> Annotations:
        return Annotations(shapes=[self.shape(s) for s in ann.shapes], tracks=[self.track(t) for t in ann.tracks],
                           tags=[self.tag(t) for t in ann.tags])
