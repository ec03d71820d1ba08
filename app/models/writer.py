"""An auto-annotation run as one undoable command, written batch by batch as the run goes.

:class:`AutoAnnotationRun` is pushed on the job's undo stack when the run starts (its first ``redo``
writes nothing); the runner then hands it whole-frame batches (:meth:`AutoAnnotationRun.write`), each
one :class:`app.editing.commands.ReplaceAnnotations` in one transaction, which adds the new
``source=auto`` objects and, with ``clear_existing``, removes the old shapes and tags of the same frames
As cvat-cli's ``--clear-existing`` (which replaces *all* of a task's annotations), a job's last batch
also removes the job's tracks and every shape and tag left on its other frames (frames another job
annotated in an overlap, deleted frames); a cancelled run never loses annotations of frames it did not
reach. Undo removes exactly what the run wrote; redo writes it again.

Threads (the store's thread rule): ``project`` is the handle of the thread that owns the undo stack;
undo and redo use it. The batches are written through the handle given to :meth:`bind` (a worker's
own :meth:`~app.storage.store.Project.open_writer` handle), so the worker never waits on the GUI
thread. The CLI and tests write through ``project`` itself. :meth:`revert` (a function error) undoes
every batch of the run, which leaves the project exactly as it was.

Resumable runs: given a :class:`~app.models.run_log.PreparedRun`, each batch records its frames as
finished in the same transaction that writes their annotations (a ``kill -9`` never separates the
two); frames an earlier session finished count as written (``clear_existing`` keeps their results).
:meth:`finish` marks the run done or cancelled; undo and revert forget the frames this session
recorded, in the transaction that removes their annotations.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.core.work import CancelToken
from app.domain.annotations import Annotations, Shape, Tag
from app.editing.commands import Command, ReplaceAnnotations

if TYPE_CHECKING:
    from app.models.run_log import PreparedRun
    from app.storage.store import Project


class AutoAnnotationRun(Command):
    """One run = one undo step; a runner ``Writer`` (``write``/``revert``) and a :class:`Command`."""

    def __init__(self, project: Project, *, clear_existing: bool = False, text: str = "Automatic annotation",
                 origin: object = None, run: PreparedRun | None = None) -> None:
        self.project = project
        self.run = run
        self.clear_existing = run.clear_existing if run is not None else clear_existing
        self.recorded: list[int] = []  # frames this session recorded as finished
        self.end_state = "running"
        self.text = text
        self.origin = origin
        self.batches: list[ReplaceAnnotations] = []
        self._written: dict[int, set[int]] = {j: set(f) for j, f in (run.finished if run else {}).items()}
        self._handle: Project = project
        self._applied = True  # what is in ``batches`` is in the store
        self._lock = threading.Lock()  # a batch write and an undo never interleave
        self.token: CancelToken | None = None  # the run's; undo while it runs cancels it

    def bind(self, handle: Project) -> None:
        """Write the next batches through ``handle`` (the writing thread's own handle)."""
        self._handle = handle

    def unbind(self) -> None:
        self._handle = self.project

    @property
    def written(self) -> int:
        return len(self.batches)

    # ---------------------------------------------------------------- the runner's writer
    def write(self, job_id: int, frames: Sequence[int], shapes: list[Shape], tags: list[Tag],
              last_for_job: bool = False) -> None:
        with self._lock:
            if not self._applied:
                return  # the run was undone while it ran: what comes after is dropped too
            handle = self._handle
            before = Annotations()
            written = self._written.setdefault(job_id, set())
            if self.clear_existing and last_for_job:
                rest = handle.annotations(job_id)  # this batch's frames and every frame not written
                before.shapes.extend(s for s in rest.shapes if s.frame not in written)
                before.tags.extend(t for t in rest.tags if t.frame not in written)
                before.tracks.extend(rest.tracks)
            elif self.clear_existing:
                for frame in frames:
                    before.shapes.extend(handle.frame_shapes(job_id, frame))
                    before.tags.extend(handle.frame_tags(job_id, frame))
            written.update(frames)
            batch = None
            if shapes or tags or len(before):
                batch = ReplaceAnnotations(handle, job_id, before=before, after=Annotations(shapes=shapes, tags=tags),
                                           text=self.text)
            with handle.writes_as(self.origin), handle.transaction():
                if self.run is not None:
                    if not self.recorded:
                        self._supersede(handle, True)
                    handle.record_run_frames(self.run.run_id, frames)
                if batch is not None:
                    batch.redo()
            self.recorded.extend(frames)
            if batch is not None:
                batch.project = self.project  # later undo/redo run on the owner's thread
                self.batches.append(batch)

    def finish(self, cancelled: bool) -> None:
        """Mark the run done, or cancelled (resumable; a new run that finished no frame is forgotten)."""
        if self.run is None:
            return
        with self._lock:
            self.end_state = "cancelled" if cancelled else "done"
            if not self._applied:
                return  # undone while it ran: the undo already set the run's state
            if cancelled and not self.recorded and not self.run.resumed:
                self._handle.delete_run(self.run.run_id)
            else:
                self._handle.set_run_state(self.run.run_id, self.end_state)

    def revert(self) -> None:
        """Undo every batch written so far (newest first) through the writing handle; forget them."""
        with self._lock:
            self._apply(self._handle, undo=True)
            self.batches.clear()
            if self.run is not None:
                if self.run.resumed:
                    self._handle.set_run_state(self.run.run_id, "cancelled")
                else:
                    self._handle.delete_run(self.run.run_id)
            self.recorded.clear()

    # ---------------------------------------------------------------- the undo step
    def redo(self) -> None:
        with self._lock:
            if not self._applied:
                self._apply(self.project, undo=False)
                self._applied = True

    def undo(self) -> None:
        if self.token is not None:
            self.token.cancel()
        with self._lock:
            if self._applied:
                self._apply(self.project, undo=True)
                self._applied = False

    def _apply(self, handle: Project, *, undo: bool) -> None:
        batches = reversed(self.batches) if undo else self.batches
        with handle.writes_as(self.origin), handle.transaction():
            self._apply_record(handle, undo)
            for batch in batches:
                step = ReplaceAnnotations(handle, batch.job_id, before=batch.before, after=batch.after, text=self.text)
                if undo:
                    step.undo()
                else:
                    step.redo()

    def _supersede(self, handle: Any, on: bool) -> None:
        for old in self.run.supersedes if self.run is not None else ():
            handle.set_run_state(old, "superseded" if on else "cancelled")

    def _apply_record(self, handle: Any, undo: bool) -> None:
        """Undo forgets the frames this session finished (a new run becomes ``undone``, the runs it
        superseded unfinished again); redo restores them."""
        if self.run is None or not self.recorded:
            return
        self._supersede(handle, not undo)
        if undo:
            handle.forget_run_frames(self.run.run_id, self.recorded)
            handle.set_run_state(self.run.run_id, "cancelled" if self.run.resumed else "undone")
        else:
            handle.record_run_frames(self.run.run_id, self.recorded)
            handle.set_run_state(self.run.run_id, self.end_state)
