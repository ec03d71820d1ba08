"""Reading a job chunk by chunk, so that a merge (and its undo snapshot) holds a bounded part of a job in
memory however many objects it has: the tracks first (a track spans frames: each is read whole), then the
shapes and tags of one run of frames at a time.

Chunks are half-open frame ranges that together cover every frame number, cut at every
:data:`FRAMES_PER_CHUNK`-th of the job's frames: each object is read exactly once, even one on a frame
outside the job's list.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from app.domain.annotations import Annotations
from app.storage.store import Project

FRAMES_PER_CHUNK = 250  # at 50 polygons a frame: about 12,500 objects (tens of MB) in memory at a time

Range = tuple[int | None, int | None]


def frame_ranges(frames: Sequence[int], size: int | None = None) -> list[Range]:
    """Half-open ranges ``[first, stop)`` (``None``: unbounded) covering all integers, ``size`` of ``frames``
    in each (default :data:`FRAMES_PER_CHUNK`)."""
    size = size or FRAMES_PER_CHUNK
    cuts: list[int | None] = list(sorted(frames)[size::size])
    bounds = [None, *cuts, None]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def read_job(project: Project, job_id: int, frames: Sequence[int],
             size: int | None = None) -> Iterator[tuple[Range | None, Annotations]]:
    """``(None, tracks)`` first (when the job has tracks), then ``(range, shapes and tags)`` per chunk."""
    tracks = project.tracks(job_id)
    if tracks:
        yield None, Annotations(tracks=tracks)
    del tracks
    for first, stop in frame_ranges(frames, size):
        chunk = project.frame_range_annotations(job_id, first, stop)
        if chunk.shapes or chunk.tags:
            yield (first, stop), chunk
