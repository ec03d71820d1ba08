"""Translating label ids, attribute ids and frame numbers of a dataset's annotations (dataset → project).

Done in place: an import consumes its dataset (read the file again to import it twice). This keeps a
500k-shape import from building every object twice.
"""

from __future__ import annotations

from collections.abc import Callable

from app.domain.annotations import Annotations, Shape, Track
from app.formats.label_mapping import LabelMap


class Remapper:
    """Translate ids and frames. ``frame`` maps a dataset frame index to a project (task) frame."""

    def __init__(self, label_map: LabelMap, frame: Callable[[int], int]) -> None:
        self.labels = label_map.labels
        self.attrs = label_map.attributes
        self.frame = frame

    def attributes(self, values: dict[int, str]) -> dict[int, str]:
        if not values:
            return values
        attrs = self.attrs
        return {attrs[k]: v for k, v in values.items() if k in attrs}

    def shape(self, s: Shape, frame: int | None = None) -> None:
        s.frame = self.frame(s.frame) if frame is None else frame
        s.label_id = self.labels[s.label_id]
        s.attributes = self.attributes(s.attributes)
        s.id = None
        for e in s.elements:
            self.shape(e, s.frame)

    def track(self, t: Track) -> None:
        t.label_id = self.labels[t.label_id]
        t.frame = self.frame(t.frame)
        t.attributes = self.attributes(t.attributes)
        t.id = None
        for s in t.shapes:
            s.frame = self.frame(s.frame)
            s.attributes = self.attributes(s.attributes)
            s.id = None
        for e in t.elements:
            self.track(e)

    def annotations(self, ann: Annotations) -> Annotations:
        for s in ann.shapes:
            self.shape(s)
        for t in ann.tracks:
            self.track(t)
        for tag in ann.tags:
            tag.frame = self.frame(tag.frame)
            tag.label_id = self.labels[tag.label_id]
            tag.attributes = self.attributes(tag.attributes)
            tag.id = None
        return ann
