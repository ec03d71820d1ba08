"""Whole-frame batches from finished frames to a run's writer: the one write path of both backends.

Frames are added in run order. A batch holds frames of one job; it is written when it has
``batch_frames`` frames, when its first frame waited ``batch_seconds``, when the job changes, or at the
job's last frame. The job's last batch is written with ``last_for_job`` (which lets ``clear_existing``
remove the rest of the job's old annotations) only when every frame of that job was added: a frame
that was skipped (cancelled, or failed on a lost worker) keeps the job's other old annotations.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from app.domain.annotations import Shape, Tag

#: A run's work item (:class:`app.models.runner.WorkItem`: ``frame``, ``job_id``, ``name``); the writer is
#: the runner's ``Writer`` and the result its ``RunResult`` (not imported: the runner imports this module).
WorkItem = Any


class FrameBatcher:
    """Collects finished frames (in run order) and writes them through ``writer`` in whole-frame batches."""

    def __init__(self, writer: Any, items: Sequence[WorkItem], options: Any, result: Any) -> None:
        """``options``: the run's ``RunOptions`` (``batch_frames``, ``batch_seconds``)."""
        self.writer, self.options, self.result = writer, options, result
        self._last_index = {item.job_id: i for i, item in enumerate(items)}
        self._pending: list[tuple[WorkItem, list[Shape], list[Tag]]] = []
        self._since: float | None = None
        self._incomplete: set[int] = set()  # jobs with a skipped frame

    def add(self, index: int, item: WorkItem, shapes: list[Shape], tags: list[Tag]) -> None:
        """Frame ``index`` of the run (``item``) finished with these results."""
        if self._pending and self._pending[0][0].job_id != item.job_id:
            self.flush(False)
        self._pending.append((item, shapes, tags))
        if self._since is None:
            self._since = time.perf_counter()
        is_last = self._last_index[item.job_id] == index
        overdue = time.perf_counter() - self._since >= self.options.batch_seconds
        if len(self._pending) >= self.options.batch_frames or is_last or overdue:
            self.flush(is_last and item.job_id not in self._incomplete)

    def skip(self, index: int, item: WorkItem) -> None:
        """Frame ``index`` has no results (not reached, or failed): its job is not complete."""
        self._incomplete.add(item.job_id)
        if self._last_index[item.job_id] == index:
            self.flush(False)

    def flush(self, last_for_job: bool = False) -> None:
        """Write the pending frames as one batch."""
        if not self._pending:
            return
        job_id = self._pending[0][0].job_id
        shapes = [s for _, frame_shapes, _ in self._pending for s in frame_shapes]
        tags = [t for _, _, frame_tags in self._pending for t in frame_tags]
        started = time.perf_counter()
        self.writer.write(job_id, [w.frame for w, _, _ in self._pending], shapes, tags, last_for_job)
        self.result.stage_seconds["write"] += time.perf_counter() - started
        self.result.shapes += len(shapes)
        self.result.tags += len(tags)
        self.result.frames_done += len(self._pending)
        self._pending.clear()
        self._since = None
