"""Ground Truth job frame selection (CVAT's methods), seeded and reproducible.

- ``random_uniform``: ``frame_count`` frames, or ``frame_share`` of the task, drawn from all frames;
- ``random_per_job``: ``frames_per_job_count`` (or ``frames_per_job_share``) frames drawn from each
  annotation job's frames;
- ``manual``: the given ``frames``.

Draws use NumPy's MT19937 generator seeded with ``seed`` (a seed is drawn and recorded when none is
given), choosing without replacement; the result is sorted. The selection parameters and the seed are
stored in the GT job's options, so the same call reproduces the same frames.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from app.domain.enums import JobType
from app.domain.project import JobInfo

METHODS = ("random_uniform", "random_per_job", "manual")


class FrameSelectionError(ValueError):
    """Bad frame selection parameters."""


@dataclass
class FrameSelection:
    method: str = "random_uniform"
    frame_count: int | None = None
    frame_share: float | None = None
    frames_per_job_count: int | None = None
    frames_per_job_share: float | None = None
    frames: list[int] = field(default_factory=list)
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [])}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameSelection:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def parse_frames(text: str) -> list[int]:
    """Frame numbers from ``"1, 3, 5-9"`` (commas or spaces; ``a-b`` is inclusive), sorted and unique."""
    out: set[int] = set()
    for part in text.replace(",", " ").split():
        first, dash, last = part.partition("-")
        try:
            lo = int(first)
            hi = int(last) if dash else lo
        except ValueError:
            raise FrameSelectionError(f"{part!r} is not a frame number or a range such as 5-9") from None
        if lo < 0 or hi < lo:
            raise FrameSelectionError(f"{part!r} is not a valid frame range")
        out.update(range(lo, hi + 1))
    return sorted(out)


def _count(n: int, count: int | None, share: float | None, what: str) -> int:
    if (count is None) == (share is None):
        raise FrameSelectionError(f"give exactly one of {what}_count and {what}_share")
    if count is not None:
        if count < 1:
            raise FrameSelectionError(f"{what}_count must be >= 1, got {count}")
        return min(int(count), n)
    if not 0 < float(share) <= 1:  # type: ignore[arg-type]
        raise FrameSelectionError(f"{what}_share must be in (0, 1], got {share}")
    return max(1, min(n, round(float(share) * n)))  # type: ignore[arg-type]


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.MT19937(seed=seed))


def select_frames(selection: FrameSelection, task_frames: Sequence[int],
                  job_frames: Sequence[Sequence[int]] = ()) -> tuple[list[int], int]:
    """The GT frames and the seed used. ``job_frames``: frames of each annotation job (random_per_job)."""
    if selection.method not in METHODS:
        raise FrameSelectionError(f"frame selection method must be one of {METHODS}, got {selection.method!r}")
    seed = selection.seed if selection.seed is not None else secrets.randbelow(2**31)
    frames = sorted(set(int(f) for f in task_frames))
    if selection.method == "manual":
        chosen = sorted(set(int(f) for f in selection.frames))
        outside = [f for f in chosen if f not in set(frames)]
        if not chosen:
            raise FrameSelectionError("manual frame selection needs at least one frame")
        if outside:
            raise FrameSelectionError(f"frames {outside[:5]} are not frames of the task")
        return chosen, seed
    rng = _rng(seed)
    if selection.method == "random_uniform":
        k = _count(len(frames), selection.frame_count, selection.frame_share, "frame")
        return sorted(int(f) for f in rng.choice(frames, size=k, replace=False, shuffle=False)), seed
    chosen_set: set[int] = set()
    for group in job_frames:
        group = sorted(set(int(f) for f in group) - chosen_set)
        if not group:
            continue
        k = _count(len(group), selection.frames_per_job_count, selection.frames_per_job_share, "frames_per_job")
        chosen_set.update(int(f) for f in rng.choice(group, size=k, replace=False, shuffle=False))
    return sorted(chosen_set), seed


def gt_job(project: Any, task_id: int) -> JobInfo | None:
    """The task's Ground Truth job (at most one per task)."""
    return next((j for j in project.jobs(task_id) if j.type is JobType.GROUND_TRUTH), None)


def create_gt_job(project: Any, task_id: int, selection: FrameSelection) -> JobInfo:
    """Create the task's GT job with the selected frames; the selection and seed go into job.options."""
    if gt_job(project, task_id) is not None:
        raise FrameSelectionError(f"task {task_id} already has a Ground Truth job")
    task = project.task(task_id)
    jobs = [j for j in project.jobs(task_id) if j.type is JobType.ANNOTATION]
    frames, seed = select_frames(selection, range(task.size), [j.frame_list() for j in jobs])
    recorded = FrameSelection(**{**asdict(selection), "seed": seed})
    return project.create_job(task_id, JobType.GROUND_TRUTH, frames,
                              options={"frame_selection": recorded.to_dict()})
