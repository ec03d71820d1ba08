"""Frame numbers between a source task and a package: package frame ``i`` is source frame ``frames[i]``.

A package task holds only its job's frames (so a package never carries, nor reveals, the rest of a
task); annotations are renumbered on export and back on merge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.domain.annotations import Annotations, Shape, Track
from app.packages.manifest import PackageError


def _renumber(annotations: Annotations, convert: Callable[[int], int]) -> Annotations:
    """A copy of ``annotations`` with every frame number converted (ids and uids kept)."""

    def shape(s: Shape) -> Shape:
        clone = s.copy(frame=convert(s.frame))
        for element in clone.elements:
            element.frame = clone.frame
        return clone

    def track(t: Track) -> Track:
        clone = t.copy(frame=convert(t.frame))
        for ts in clone.shapes:
            ts.frame = convert(ts.frame)
        clone.elements = [track(e) for e in t.elements]
        return clone

    return Annotations(
        shapes=[shape(s) for s in annotations.shapes],
        tracks=[track(t) for t in annotations.tracks],
        tags=[t.copy(frame=convert(t.frame)) for t in annotations.tags],
    )


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
