"""Consensus merge of a task as a background job (:mod:`app.core.work`): one parent job is the unit.

Each parent job is merged in its own transaction; Cancel stops before the next one, so a cancelled
run keeps exactly the parent jobs it reports as merged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.work import CancelToken, Progress, ProgressFn, no_progress
from app.quality.consensus import FrameAgreement, merge_task, mergeable_parents


@dataclass
class MergeRun:
    """What a merge run did: ``merged`` parent job -> per-frame agreement, of ``total`` mergeable jobs."""

    total: int
    merged: dict[int, list[FrameAgreement]] = field(default_factory=dict)
    cancelled: bool = False

    def summary(self) -> str:
        done = f"merged the replicas of {len(self.merged)} of {self.total} job(s)"
        return f"Cancelled; {done}" if self.cancelled else done[0].upper() + done[1:]


def merge_task_job(project, task_id: int, token: CancelToken, progress: ProgressFn = no_progress, *,
                   threshold: float | None = None) -> MergeRun:
    """Merge every mergeable parent job of ``task_id``; stops between jobs when ``token`` is cancelled."""
    parents = list(mergeable_parents(project, task_id))
    run = MergeRun(len(parents))
    for k, parent in enumerate(parents):
        progress(Progress(k, len(parents), f"Merging job {parent}"))
        if token.cancelled:
            run.cancelled = True
            break
        run.merged.update(merge_task(project, task_id, threshold, job_id=parent))
    progress(Progress(len(run.merged), len(parents), run.summary()))
    return run
