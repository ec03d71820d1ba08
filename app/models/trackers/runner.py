"""Run a tracker over frames: plan -> run (any thread) -> one command (Qt-free).

Frames are decoded on demand, one at a time, from a :class:`~app.media.sources.FrameSource` or a
:class:`~app.media.cache.FrameCache` (its decode-ahead then prepares the next frames while the model
works); the whole video is never in memory. Each frame is preprocessed once for all objects. A lost
object stops being tracked. Cancellation is checked before and after each frame: a frame whose
tracking was under way when Cancel came is dropped, not reported, so the results always cover the
same frames for every object still tracked; the command built from a cancelled run stores exactly
those frames (one undo step).

Typical use from the GUI::

    plan = plan_tracking(project, job_id, frame, target, tracker.supported_types, shape_ids=[...])
    outcome = run_plan(plan, cache, tracker, progress=cb, token=token)    # in a worker
    command = build_command(project, plan, outcome.results)              # back on the GUI thread
    if command: undo_stack.push(command)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.work import CancelToken, Progress, ProgressFn
from app.models.trackers.base import Tracker, TrackerError
from app.models.trackers.keyframes import ObjectResult, build_command
from app.models.trackers.plan import TrackingPlan, plan_tracking

if TYPE_CHECKING:
    from app.editing.stack import UndoStack
    from app.storage.store import Project

PREFETCH = 3


@dataclass
class TrackingOutcome:
    plan: TrackingPlan
    results: list[ObjectResult]
    frames_done: int
    cancelled: bool = False

    @property
    def lost(self) -> int:
        return sum(1 for r in self.results if r.lost)

    def summary(self) -> str:
        state = "cancelled; kept" if self.cancelled else "tracked"
        return (f"{state} {self.frames_done} of {len(self.plan.frames)} frames, {len(self.plan.objects)} object(s), "
                f"{self.lost} lost")


def read_frame(frames: Any, index: int) -> np.ndarray:
    """A frame from a FrameCache (``get``) or a FrameSource (``read``)."""
    getter = getattr(frames, "get", None)
    return getter(index) if callable(getter) else frames.read(index)


def _prefetch(frames: Any, upcoming: Sequence[int]) -> None:
    prefetch = getattr(frames, "prefetch", None)
    if callable(prefetch):
        prefetch(upcoming)


def run_plan(
    plan: TrackingPlan,
    frames: Any,
    tracker: Tracker,
    *,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> TrackingOutcome:
    """Track every object of ``plan`` frame by frame. Safe to call off the GUI thread (no store access)."""
    results = [ObjectResult() for _ in plan.objects]
    outcome = TrackingOutcome(plan, results, 0)
    if not plan.objects or not plan.frames:
        return outcome
    total = len(plan.frames)
    first = tracker.preprocess(read_frame(frames, plan.start))
    states: list[Any] = [tracker.init_state(first, obj.target) for obj in plan.objects]
    del first
    active = list(range(len(plan.objects)))
    for done, frame in enumerate(plan.frames):
        if token is not None and token.cancelled:
            outcome.cancelled = True
            break
        _prefetch(frames, plan.frames[done + 1 : done + 1 + PREFETCH])
        pre = tracker.preprocess(read_frame(frames, frame))
        tracked = [(i, tracker.track(pre, states[i])) for i in active]
        del pre
        if token is not None and token.cancelled:  # Cancel came while this frame ran: it is not kept
            outcome.cancelled = True
            break
        still = []
        for i, points in tracked:
            results[i].add(frame, points)
            if points is None:
                states[i] = None  # free the lost object's memory now
            else:
                still.append(i)
        active = still
        outcome.frames_done = done + 1
        if progress is not None:
            progress(Progress(done + 1, total, f"frame {frame}: {len(active)} of {len(plan.objects)} objects tracked"))
        if not active:
            break
    return outcome


def track_objects(
    project: Project,
    job_id: int,
    frames: Any,
    tracker: Tracker,
    start: int,
    stop: int,
    *,
    shape_ids: Sequence[int] | None = None,
    track_ids: Sequence[int] | None = None,
    convert_shapes: bool = True,
    undo_stack: UndoStack | None = None,
    progress: ProgressFn | None = None,
    token: CancelToken | None = None,
) -> TrackingOutcome:
    """Plan, run and store in one call (CLI, tests). The edit goes through ``undo_stack`` when given,
    else the command runs directly. Raises :class:`TrackerError` when no requested object can be tracked."""
    plan = plan_tracking(project, job_id, start, stop, tracker.supported_types, shape_ids=shape_ids,
                         track_ids=track_ids, convert_shapes=convert_shapes)
    if not plan.objects:
        reasons = "; ".join(plan.skipped) or f"no {', '.join(sorted(tracker.supported_types))} on frame {start}"
        raise TrackerError(f"nothing to track: {reasons}")
    outcome = run_plan(plan, frames, tracker, progress=progress, token=token)
    command = build_command(project, plan, outcome.results, text=f"Track with {tracker.name}")
    if command is not None:
        if undo_stack is not None:
            undo_stack.push(command)
        else:
            command.redo()
    return outcome
