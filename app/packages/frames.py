"""Frame numbers between a source task and a package: package frame ``i`` is source frame ``frames[i]``.

A package task holds only its job's frames (so a package never carries, nor reveals, the rest of a
task); annotations are renumbered on export and back on merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.domain.annotations import Annotations, Shape, Track
from app.packages.manifest import PackageError


def _renumber(annotations: Annotations, convert: Callable[[int], int]) -> Annotations:
    """Convert every frame number in place (the objects were just read and belong to the caller; copying
    half a million of them would double the time of an export or a merge). Returns ``annotations``."""

    def shape(s: Shape) -> None:
        s.frame = convert(s.frame)
        for element in s.elements:
            element.frame = s.frame

    def track(t: Track) -> None:
        t.frame = convert(t.frame)
        for ts in t.shapes:
            ts.frame = convert(ts.frame)
        for element in t.elements:
            track(element)

    for s in annotations.shapes:
        shape(s)
    for t in annotations.tracks:
        track(t)
    for tag in annotations.tags:
        tag.frame = convert(tag.frame)
    return annotations


def to_package(annotations: Annotations, frames: Sequence[int], job_name: str) -> Annotations:
    index = {f: i for i, f in enumerate(frames)}

    def convert(frame: int) -> int:
        if frame not in index:
            raise PackageError(f"{job_name} has an object on frame {frame}, outside the job's frames; "
                               "fix the job before packaging it.")
        return index[frame]

    return _renumber(annotations, convert)


def to_source(annotations: Annotations, frames: Sequence[int], where: str) -> Annotations:
    def convert(frame: int) -> int:
        if not 0 <= frame < len(frames):
            raise PackageError(f"{where} has an object on frame {frame}, which the package does not hold.")
        return frames[frame]

    return _renumber(annotations, convert)
