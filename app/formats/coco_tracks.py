"""Rebuilding tracks from per-frame shapes that carry a track id (COCO's and YOLO's track columns).

Shapes with the same track id (and label) become one track. Frames marked ``keyframe=False`` are
dropped (they are recomputed by interpolation) unless the track would lose every frame. A frame after
which the object disappears gets an outside keyframe on the next frame, so the track ends there.
"""

from __future__ import annotations

from typing import Any

from app.domain.annotations import Shape, Track, TrackedShape


class TrackCollector:
    def __init__(self) -> None:
        self._shapes: dict[tuple[Any, int], list[tuple[bool, Shape]]] = {}

    def add(self, track_id: Any, keyframe: bool, shape: Shape) -> None:
        self._shapes.setdefault((track_id, shape.label_id), []).append((keyframe, shape))

    def tracks(self, frame_count: int) -> list[Track]:
        out = []
        for items in self._shapes.values():
            items.sort(key=lambda item: item[1].frame)
            seen = {s.frame for _, s in items}
            kept = [(k, s) for k, s in items if k] or items
            first = items[0][1]
            track = Track(label_id=first.label_id, frame=first.frame, group=first.group, source=first.source)
            for _key, shape in kept:
                track.shapes.append(_state(shape, shape.frame, False))
            for _key, shape in items:  # close every visible run
                nxt = shape.frame + 1
                if nxt not in seen and nxt < frame_count:
                    track.shapes.append(_state(shape, nxt, True))
            track.shapes.sort(key=lambda s: s.frame)
            track.attributes = {}
            out.append(track)
        return out


def _state(shape: Shape, frame: int, outside: bool) -> TrackedShape:
    return TrackedShape(type=shape.type, frame=frame, points=list(shape.points), rotation=shape.rotation,
                        occluded=shape.occluded, outside=outside, z_order=shape.z_order,
                        attributes=dict(shape.attributes))
