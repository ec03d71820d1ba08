"""Auto-annotation runs: which function/options ran on a task and which frames each finished.

Part of :class:`~app.storage.store.Project`. A run is recorded when it starts (state ``running``);
the frames it finishes are recorded by :meth:`RunsMixin.record_run_frames` inside the transaction that
writes their annotations, so a killed process never leaves frames written but unrecorded or recorded
but unwritten. A run that is not ``done`` (``running`` after a kill, ``cancelled``) is *unfinished*
and can be resumed. SQLAlchemy Core only (SQLite and PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, insert, select, update

from app.storage.errors import ProjectError
from app.storage.schema import annotation_run as run_table
from app.storage.schema import annotation_run_frame as frame_table
from app.storage.store_base import StoreBase
from app.storage.timeutil import now_iso

UNFINISHED = ("running", "cancelled")
STATES = ("running", "cancelled", "done", "undone", "superseded")


@dataclass
class RunInfo:
    id: int
    task_id: int
    key: str
    description: str
    options: dict[str, Any]
    state: str
    frames_total: int
    created: str
    updated: str
    frames_done: int = 0
    frames: set[int] = field(default_factory=set)

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED

    def summary(self) -> str:
        return (f"run #{self.id} ({self.description}, {self.state}, {self.frames_done} of {self.frames_total} "
                f"frames done, started {self.created})")


class RunsMixin(StoreBase):

    def start_run(self, task_id: int, key: str, description: str, options: dict[str, Any], frames_total: int) -> int:
        """Record a new run (state ``running``); its id."""
        stamp = now_iso()
        with self.transaction() as conn:
            result = conn.execute(insert(run_table).values(
                task_id=task_id, run_key=key, description=description, options=json.dumps(options, sort_keys=True),
                state="running", frames_total=frames_total, created=stamp, updated=stamp))
            return int(result.inserted_primary_key[0])

    def record_run_frames(self, run_id: int, frames: Iterable[int]) -> None:
        """Mark frames finished (joins the caller's transaction, e.g. the one writing their shapes)."""
        rows = [{"run_id": run_id, "frame": int(f)} for f in frames]
        if not rows:
            return
        with self.transaction() as conn:
            conn.execute(insert(frame_table), rows)
            conn.execute(update(run_table).where(run_table.c.id == run_id).values(updated=now_iso()))

    def forget_run_frames(self, run_id: int, frames: Iterable[int]) -> None:
        chosen = [int(f) for f in frames]
        if not chosen:
            return
        with self.transaction() as conn:
            conn.execute(delete(frame_table).where(and_(frame_table.c.run_id == run_id,
                                                        frame_table.c.frame.in_(chosen))))

    def set_run_state(self, run_id: int, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown run state {state!r}")
        with self.transaction() as conn:
            conn.execute(update(run_table).where(run_table.c.id == run_id).values(state=state, updated=now_iso()))

    def delete_run(self, run_id: int) -> None:
        with self.transaction() as conn:
            conn.execute(delete(frame_table).where(frame_table.c.run_id == run_id))
            conn.execute(delete(run_table).where(run_table.c.id == run_id))

    def run(self, run_id: int) -> RunInfo:
        row = self.conn.execute(select(run_table).where(run_table.c.id == run_id)).mappings().first()
        if row is None:
            raise ProjectError(f"no auto-annotation run #{run_id}")
        return self._run_info(row)

    def runs(self, task_id: int, *, unfinished: bool = False) -> list[RunInfo]:
        """The task's runs, newest first (only unfinished ones when asked)."""
        query = select(run_table).where(run_table.c.task_id == task_id)
        if unfinished:
            query = query.where(run_table.c.state.in_(UNFINISHED))
        rows = self.conn.execute(query.order_by(run_table.c.id.desc())).mappings().all()
        return [self._run_info(row) for row in rows]

    def _run_info(self, row: Any) -> RunInfo:
        frames = {int(r[0]) for r in self.conn.execute(select(frame_table.c.frame).where(
            frame_table.c.run_id == row["id"]))}
        return RunInfo(int(row["id"]), int(row["task_id"]), row["run_key"], row["description"],
                       json.loads(row["options"] or "{}"), row["state"], int(row["frames_total"]), row["created"],
                       row["updated"], len(frames), frames)
