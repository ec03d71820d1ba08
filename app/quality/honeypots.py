"""Honeypots ("GT pool" validation): validation frames mixed, unmarked, into annotation jobs.

A pool of task frames is the GT job's frame set and is taken out of the regular job sequences; every
annotation job then gets ``frames_per_job`` pool frames inserted at random positions of its frame list
(its ``frames``). Annotations on a honeypot are stored on the real (pool) frame number, so reports map
them back to real frames directly. Placement data lives in JSON options, no schema change:

- task.options["validation"] = {"mode": "gt_pool", "pool": [...], "frames_per_job": n, "seed": s};
- job.options["honeypots"] = [{"real_frame": f, "position": p}, ...], job.options["honeypot_seed"].
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from app.domain.enums import JobType
from app.domain.project import JobInfo
from app.quality.gt_frames import FrameSelection, FrameSelectionError, gt_job, select_frames


def _rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.MT19937(seed=seed))


def _place(regular: list[int], pool: list[int], count: int, rng: np.random.Generator,
           avoid: set[int] = frozenset()) -> tuple[list[int], list[dict[str, int]]]:
    candidates = [f for f in pool if f not in avoid] or list(pool)
    count = min(count, len(candidates))
    chosen = [int(f) for f in rng.choice(candidates, size=count, replace=False, shuffle=False)] if count else []
    sequence = list(regular)
    positions = sorted(int(p) for p in rng.choice(len(regular) + count, size=count, replace=False)) if count else []
    placements = []
    for frame, position in zip(chosen, positions):
        sequence.insert(position, frame)
        placements.append({"real_frame": frame, "position": position})
    return sequence, placements


def setup_honeypots(project: Any, task_id: int, *, pool_count: int | None = None, pool_share: float | None = None,
                    pool_frames: list[int] | None = None, frames_per_job: int = 1, seed: int | None = None) -> JobInfo:
    """Choose the validation pool, create the GT job over it and mix honeypots into every annotation job."""
    if gt_job(project, task_id) is not None:
        raise FrameSelectionError(f"task {task_id} already has a Ground Truth job")
    if frames_per_job < 1:
        raise FrameSelectionError("frames_per_job must be >= 1")
    task = project.task(task_id)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    if pool_frames:
        selection = FrameSelection(method="manual", frames=pool_frames, seed=seed)
    else:
        selection = FrameSelection(method="random_uniform", frame_count=pool_count, frame_share=pool_share, seed=seed)
    pool, _ = select_frames(selection, range(task.size))
    pool_set = set(pool)
    jobs = [j for j in project.jobs(task_id) if j.type is JobType.ANNOTATION]
    rng = _rng(seed + 1)
    with project.transaction():
        gt = project.create_job(task_id, JobType.GROUND_TRUTH, pool,
                                options={"frame_selection": selection.to_dict(), "honeypot_pool": True})
        for job in jobs:
            regular = [f for f in job.frame_list() if f not in pool_set]
            if not regular:
                continue
            project.clear_annotations(job.id, [f for f in job.frame_list() if f in pool_set])
            sequence, placements = _place(regular, pool, frames_per_job, rng)
            options = {**job.options, "honeypots": placements, "honeypot_seed": int(rng.integers(2**31))}
            project.update_job(job.id, frames=sequence, options=options)
        project.update_task_options(task_id, {**task.options, "validation": {
            "mode": "gt_pool", "pool": pool, "frames_per_job": frames_per_job, "seed": seed}})
    return project.job(gt.id)


def honeypot_frames(job: JobInfo) -> list[int]:
    """Real frames of a job's honeypots."""
    return [int(p["real_frame"]) for p in job.options.get("honeypots", [])]


def display_numbers(job: JobInfo) -> list[int]:
    """The frame numbers an annotator sees, one per position of the job.

    A job without honeypots shows its task frame numbers. A job with honeypots shows consecutive
    numbers from its first regular frame, so the out-of-sequence pool frames do not stand out
    (CVAT likewise gives honeypots ordinary-looking frame numbers inside the job)."""
    frames = job.frame_list()
    hidden = set(honeypot_frames(job))
    if not hidden:
        return frames
    regular = [f for f in frames if f not in hidden]
    first = min(regular) if regular else (frames[0] if frames else 0)
    return list(range(first, first + len(frames)))


def redraw_honeypots(project: Any, job_id: int, seed: int | None = None) -> JobInfo:
    """Replace a job's honeypots by other pool frames (where the pool allows), dropping their annotations."""
    job = project.job(job_id)
    task = project.task(job.task_id)
    validation = task.options.get("validation") or {}
    if validation.get("mode") != "gt_pool":
        raise FrameSelectionError(f"task {task.id} has no honeypot validation pool")
    pool = [int(f) for f in validation["pool"]]
    old = honeypot_frames(job)
    regular = [f for f in job.frame_list() if f not in set(pool)]
    seed = seed if seed is not None else secrets.randbelow(2**31)
    sequence, placements = _place(regular, pool, int(validation["frames_per_job"]), _rng(seed), avoid=set(old))
    with project.transaction():
        project.clear_annotations(job_id, old)
        project.update_job(job_id, frames=sequence,
                           options={**job.options, "honeypots": placements, "honeypot_seed": seed})
    return project.job(job_id)
