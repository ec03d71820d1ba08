"""What a command-line tracking request names, made concrete (Qt-free): the tracker and the objects.

``tracker_for(...)``: ``mil``, ``sam2`` / ``sam2:MODEL`` (default model ``sam2.1-tiny``), or a CVAT
tracking function from a file or module with its ``create()`` parameters. ``objects_for(...)``:
``--objects`` ids resolved against the start frame: a plain id is the shape or the track with that id
(an id used by both must be written ``shape:ID`` or ``track:ID``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.models.trackers.base import Tracker, TrackerError
from app.models.trackers.choices import MIL_KEY, create_tracker

if TYPE_CHECKING:
    from app.storage.store import Project

DEFAULT_SAM2 = "sam2.1-tiny"


def tracker_key(spec: str) -> str:
    """``mil`` -> ``opencv:mil``; ``sam2[:MODEL]`` -> ``sam2:MODEL``; anything else is refused."""
    kind, _, model = spec.partition(":")
    if spec == "mil":
        return MIL_KEY
    if kind == "sam2":
        return f"sam2:{model or DEFAULT_SAM2}"
    raise TrackerError(f"unknown tracker {spec!r}: use mil, sam2 or sam2:MODEL")


def tracker_for(spec: str | None = None, *, function_file: str | None = None, function_module: str | None = None,
                params: dict[str, Any] | None = None, image_size: int | None = None) -> Tracker:
    """Build the tracker a request names (slow for SAM 2). Raises :class:`TrackerError`."""
    from app.models.trackers.functions import FunctionTracker

    if function_file:
        return FunctionTracker.from_file(function_file, params)
    if function_module:
        return FunctionTracker.from_module(function_module, params)
    if params:
        raise TrackerError("-p parameters are for tracking functions (--function-file / --function-module)")
    return create_tracker(tracker_key(spec or "mil"), image_size=image_size)


def parse_objects(text: str) -> list[tuple[str | None, int]]:
    """``"3,track:5,shape:7"`` -> ``[(None, 3), ("track", 5), ("shape", 7)]``."""
    chosen: list[tuple[str | None, int]] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        kind, sep, number = part.rpartition(":")
        if sep and kind not in ("shape", "track"):
            raise ValueError(f"--objects: {part!r} is not ID, shape:ID or track:ID")
        try:
            chosen.append((kind or None, int(number)))
        except ValueError:
            raise ValueError(f"--objects: {part!r} is not ID, shape:ID or track:ID") from None
    if not chosen:
        raise ValueError("--objects: give at least one id")
    return chosen


def objects_for(project: Project, job_id: int, frame: int,
                chosen: Sequence[tuple[str | None, int]]) -> tuple[list[int], list[int]]:
    """Shape ids and track ids for ``chosen`` (a plain id must name exactly one object)."""
    shape_ids = {s.id for s in project.frame_shapes(job_id, frame)}
    track_ids = {t.id for t in project.tracks(job_id)}
    shapes: list[int] = []
    tracks: list[int] = []
    for kind, number in chosen:
        if kind is None:
            in_shapes, in_tracks = number in shape_ids, number in track_ids
            if in_shapes and in_tracks:
                raise ValueError(f"--objects: {number} is both a shape and a track; write shape:{number} or "
                                 f"track:{number}")
            if not (in_shapes or in_tracks):
                raise ValueError(f"--objects: no shape on frame {frame} and no track of job {job_id} has id {number}")
            kind = "shape" if in_shapes else "track"
        (shapes if kind == "shape" else tracks).append(number)
    return shapes, tracks
