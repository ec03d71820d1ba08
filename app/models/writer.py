"""Write auto-annotation results in batched, undoable transactions (whole frames only).

Each batch becomes one :class:`app.editing.commands.ReplaceAnnotations` command (one transaction)
that adds the new ``source=auto`` objects and, with ``clear_existing``, removes the old shapes and
tags of the same frames. As cvat-cli's ``--clear-existing`` (which replaces *all* of a task's
annotations), a job's last batch also removes the job's tracks and every shape and tag left on its
other frames (frames another job annotated in an overlap, deleted frames); a cancelled run never
loses annotations of frames it did not reach. :meth:`StoreWriter.revert` undoes every batch of the run, which is
how a function error leaves the project exactly as it was. :class:`AppliedRun` puts a finished run on
the undo stack as one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.domain.annotations import Annotations, Shape, Tag
from app.editing.commands import Command, ReplaceAnnotations

if TYPE_CHECKING:
    from app.storage.store import Project


class StoreWriter:
    """Applies batches to ``project`` directly; must be used on the thread that owns the project."""

    def __init__(self, project: Project, *, clear_existing: bool = False) -> None:
        self.project = project
        self.clear_existing = clear_existing
        self.commands: list[ReplaceAnnotations] = []
        self._written: dict[int, set[int]] = {}

    def write(self, job_id: int, frames: Sequence[int], shapes: list[Shape], tags: list[Tag],
              last_for_job: bool = False) -> None:
        before = Annotations()
        written = self._written.setdefault(job_id, set())
        if self.clear_existing and last_for_job:
            rest = self.project.annotations(job_id)  # this batch's frames and every frame not written
            before.shapes.extend(s for s in rest.shapes if s.frame not in written)
            before.tags.extend(t for t in rest.tags if t.frame not in written)
            before.tracks.extend(rest.tracks)
        elif self.clear_existing:
            for frame in frames:
                before.shapes.extend(self.project.frame_shapes(job_id, frame))
                before.tags.extend(self.project.frame_tags(job_id, frame))
        written.update(frames)
        if not (shapes or tags or len(before)):
            return
        command = ReplaceAnnotations(self.project, job_id, before=before,
                                     after=Annotations(shapes=shapes, tags=tags), text="Automatic annotation")
        command.redo()
        self.commands.append(command)

    def revert(self) -> None:
        """Undo every batch written so far (newest first)."""
        while self.commands:
            self.commands.pop().undo()

    def applied(self, text: str = "Automatic annotation") -> AppliedRun:
        return AppliedRun(list(self.commands), text)


class AppliedRun(Command):
    """A finished run as one undo step. Its batches are already applied, so the first ``redo``
    (the one :meth:`UndoStack.push` performs) does nothing; later redos re-apply them."""

    def __init__(self, commands: list[ReplaceAnnotations], text: str = "Automatic annotation") -> None:
        self.commands = commands
        self.text = text
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            return
        for command in self.commands:
            command.redo()
        self._applied = True

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()
        self._applied = False
