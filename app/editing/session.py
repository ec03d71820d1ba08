"""An editing session on one job (Qt-free): the job's editing model. It holds the current frame's
objects, the selection, the view flags (hidden, locked), the current label and track mode, and it
runs every edit as a command on the job's undo stack. Tools, side panels and job actions act on the
session; the canvas only shows it (:mod:`app.widgets.canvas.view`), and unit tests drive tools
against one with a real project and no window.

After each command it applies the command's change to the in-memory frame instead of re-reading the
frame from the store (an edit stays well under 100 ms with thousands of shapes). It learns of every
command through the undo stack's :attr:`~app.editing.stack.UndoStack.changed` event (whoever pushed
it). Changes made by anybody else (another panel writing the project directly, an auto-annotation
worker's batches) are noticed through the project's :attr:`~app.storage.store.Project.changed` event
and trigger a full reload of the frame; the session runs its commands inside
``project.writes_as(self)``, so the store's echo of its own edits carries it as ``origin`` and is
recognised by :meth:`EditSession._is_own_change`. Other clients' changes (another workstation of a team
project, seen by ``Project.watch``) reload the frame the same way.

A team project's server can drop the connection in the middle of an edit: the edit is then kept
(:attr:`EditSession.pending`), reported once, and saved by :meth:`EditSession.retry_pending` (the job
window retries every few seconds); nothing is lost silently.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING

from app.core.events import Event
from app.domain.annotations import Annotations, Shape, Tag, Track
from app.editing import track_bridge, view_flags
from app.editing.commands import ReplaceAnnotations, as_new_objects
from app.editing.frame_objects import FrameObject, FrameObjects, ObjectKey
from app.editing.stack import Direction, StackChange, UndoStack
from app.storage.errors import ConnectionLostError, JobLeasedError, StaleJobError
from app.storage.live import REMOTE

if TYPE_CHECKING:
    from app.domain.labels import LabelSet
    from app.editing.commands import Command
    from app.storage.store import Project, StoreChange


class SessionChange(Enum):
    """What :attr:`EditSession.changed` tells."""

    OBJECTS = "objects"  # the frame's objects (a new frame, an edit, a reload)
    SELECTION = "selection"
    FLAGS = "flags"  # which objects are hidden, locked or pinned (view state, kept per user: editing.view_flags)
    STALE = "stale"  # a write was refused: the job changed elsewhere (see EditSession.stale)


class EditSession:
    def __init__(self, project: Project, job_id: int, undo_stack: UndoStack | None = None) -> None:
        self.project = project
        self.job_id = job_id
        self.undo_stack = undo_stack if undo_stack is not None else UndoStack()
        self.job = project.job(job_id)
        self.task = project.task(self.job.task_id)
        self._frame_info = {f.index: f for f in project.frames(self.job.task_id)}
        self._frames = self.job.frame_list()
        self.current_label_id: int | None = None
        self.track_mode = False  # new shapes become tracks
        self.messages: list[str] = []
        flags = view_flags.load(project.location.display, job_id)  # a file, or a team project's URL
        self.hidden, self.locked, self.pinned = flags["hidden"], flags["locked"], flags["pinned"]
        self._selection: list[ObjectKey] = []
        self._objects = FrameObjects()
        self._tags: list[Tag] = []
        self._tracks: dict[int, Track] = {}
        self._frame = self._frames[0] if self._frames else 0
        self.changed: Event[SessionChange] = Event("session.changed")
        self.status_posted: Event[str] = Event("session.status")  # a short message for the status bar
        self.stale: tuple[str, Command | None] | None = None  # a refused write waiting for resolve_stale
        self.pending: tuple[str, Callable[[], object], Command | None] | None = None  # kept while the server is away
        project.track_job(job_id)  # writes from here on are checked against the job's version
        project.changed.connect(self._on_project_changed, project.on_owner_thread)
        self.undo_stack.changed.connect(self._on_stack_changed)
        self.reload_tracks()
        self.load_frame(self._frame)

    def close(self) -> None:
        self.project.changed.disconnect(self._on_project_changed)
        self.undo_stack.changed.disconnect(self._on_stack_changed)
        self.project.untrack_job(self.job_id)

    # ------------------------------------------------------------ notifications

    def _is_own_change(self, change: StoreChange) -> bool:
        """Whether a store change is the echo of a command this session ran (it is then applied as a
        delta from the command, not by a reload)."""
        return change.origin is self

    def _on_project_changed(self, change: StoreChange) -> None:
        if change.kind == "annotations" and change.job_id == self.job_id and not self._is_own_change(change):
            if change.origin is REMOTE and not self.undo_stack.can_undo() and self.pending is None:
                # Another client wrote the job and nothing here is based on the older state: what is
                # shown next is the current version, so edits from it are not stale.
                self.project.track_job(self.job_id)
            self.reload_tracks()
            self.load_frame(self._frame)

    def _on_stack_changed(self, change: StackChange) -> None:
        if change.direction not in (Direction.CLEAR, Direction.DISCARD):
            self._apply(change.command, forward=change.forward)

    def _run(self, step: Callable[[], object], command: Command | None = None, what: str = "") -> object:
        """Run a stack step as this session's write. A team project may refuse it: the job changed
        elsewhere (:class:`StaleJobError`: nothing saved, :attr:`stale` set, ``STALE`` told), someone
        else holds the job (:class:`JobLeasedError`: nothing saved, a status message) or the connection
        broke (:class:`ConnectionLostError`: nothing saved, the step kept in :attr:`pending`)."""
        if self.pending is not None:
            self.status(f"Not done: {self.pending[0]} is still waiting for the server; "
                        "edit again once it is saved.")
            return False
        try:
            with self.project.writes_as(self):
                return step()
        except StaleJobError as exc:
            self._refused(exc, command)
        except JobLeasedError as exc:
            self.status(str(exc))
        except ConnectionLostError as exc:
            self.pending = (what or (command.text if command is not None else "your edit"), step, command)
            self.status(f"{exc} Your edit ({self.pending[0]}) is kept and saved when the server answers again.")
        return False

    def retry_pending(self) -> bool:
        """Try again to save the edit kept while the server was away. True when it is saved (or when
        none was waiting); False while the server still does not answer (it stays kept)."""
        if self.pending is None:
            return True
        what, step, command = self.pending
        try:
            with self.project.writes_as(self):
                step()
        except ConnectionLostError:
            return False
        except StaleJobError as exc:
            self.pending = None
            self._refused(exc, command)  # written elsewhere meanwhile: reload, or keep it as a copy
            return True
        except JobLeasedError as exc:
            self.pending = None
            self.status(f"{what} was not saved: {exc}")
            return True
        self.pending = None
        self.status(f"Connection back: {what} is saved.")
        return True

    # ------------------------------------------------------------ someone else wrote this job

    def _refused(self, exc: StaleJobError, command: Command | None) -> None:
        """Nothing was saved; the window asks whether to reload the job or to keep this change as a
        copy (see :meth:`resolve_stale`)."""
        self.stale = (str(exc), command)
        self.status(str(exc))
        self.changed.emit(SessionChange.STALE)

    def resolve_stale(self, *, keep_copy: bool) -> None:
        """Reload the job as stored (the undo history, based on the old state, is cleared); with
        ``keep_copy`` the refused change's resulting objects are then added as new objects."""
        _message, command = self.stale or ("", None)
        self.stale = None
        self.project.track_job(self.job_id)
        self.undo_stack.clear()
        self.reload_tracks()
        self.load_frame(self._frame)
        after = command.after if isinstance(command, ReplaceAnnotations) else None
        if keep_copy and command is not None and after is not None and (after.shapes or after.tracks or after.tags):
            self.push(ReplaceAnnotations(self.project, self.job_id, after=as_new_objects(after),
                                         text=f"{command.text} (kept as a copy)"))

    # ------------------------------------------------------------ editing

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def labels(self) -> LabelSet:
        return self.project.labels()

    def push(self, command: Command) -> None:
        """Run ``command`` on the undo stack (it writes the project) and show its change."""
        self._run(lambda: self.undo_stack.push(command), command)

    def undo(self) -> bool:
        what = f"undo of {self.undo_stack.undo_text()}" if self.undo_stack.can_undo() else "undo"
        return bool(self._run(self.undo_stack.undo, what=what))

    def redo(self) -> bool:
        what = f"redo of {self.undo_stack.redo_text()}" if self.undo_stack.can_redo() else "redo"
        return bool(self._run(self.undo_stack.redo, what=what))

    def status(self, text: str) -> None:
        """A short message for the status bar."""
        self.messages.append(text)
        self.status_posted.emit(text)

    def selected_ids(self) -> list[int]:
        """Ids of the selected plain shapes on this frame."""
        return [k[1] for k in self._selection if k[0] == "shape"]

    def objects(self) -> FrameObjects:
        """The objects shown on the current frame (plain shapes and tracks' states)."""
        return self._objects

    def selection(self) -> list[ObjectKey]:
        return list(self._selection)

    def select(self, keys: list[ObjectKey]) -> None:
        keys = [k for k in keys if k in self._objects]
        if keys != self._selection:
            self._selection = keys
            self.changed.emit(SessionChange.SELECTION)

    def image_size(self) -> tuple[int, int]:
        """(width, height) of the current frame."""
        info = self._frame_info.get(self._frame)
        return (info.width, info.height) if info is not None else (1, 1)

    def job_frames(self) -> list[int]:
        """The task frame numbers of the job, in order."""
        return list(self._frames)

    def set_hidden(self, keys: list[ObjectKey], hidden: bool) -> None:
        (self.hidden.update if hidden else self.hidden.difference_update)(keys)
        self._save_flags()
        self.changed.emit(SessionChange.FLAGS)

    def set_locked(self, keys: list[ObjectKey], locked: bool) -> None:
        (self.locked.update if locked else self.locked.difference_update)(keys)
        self._save_flags()
        self.changed.emit(SessionChange.FLAGS)

    def set_pinned(self, keys: list[ObjectKey], pinned: bool) -> None:
        """Pinned objects keep their place: their vertices can be edited, the object is not moved."""
        (self.pinned.update if pinned else self.pinned.difference_update)(keys)
        self._save_flags()
        self.changed.emit(SessionChange.FLAGS)

    def is_pinned(self, key: ObjectKey) -> bool:
        return key in self.pinned

    def _save_flags(self) -> None:
        view_flags.save(self.project.location.display, self.job_id,
                        {"hidden": self.hidden, "locked": self.locked, "pinned": self.pinned})

    def is_locked(self, key: ObjectKey) -> bool:
        return key in self.locked

    def is_hidden(self, key: ObjectKey) -> bool:
        return key in self.hidden

    # ------------------------------------------------------------ frame content

    def tags(self) -> list[Tag]:
        return list(self._tags)

    def tracks(self) -> dict[int, Track]:
        return dict(self._tracks)

    def reload_tracks(self) -> None:
        self._tracks = {t.id: t for t in self.project.tracks(self.job_id) if t.id is not None}

    def _track_object(self, track: Track, frame: int) -> FrameObject | None:
        state = track_bridge.shape_on_frame(track, frame)
        if state is None:
            return None
        shape, keyframe = state
        return FrameObject(("track", track.id or 0), shape, track=track, keyframe=keyframe)

    def load_frame(self, frame: int) -> None:
        """Show ``frame``: read its shapes and tags and each track's state on it. A read that fails (a team
        project's lost connection: :class:`ConnectionLostError`) changes nothing: the session stays on the
        frame it showed."""
        shapes = self.project.frame_shapes(self.job_id, frame)
        tags = self.project.frame_tags(self.job_id, frame)
        self._frame = frame
        objects = [FrameObject(("shape", s.id or 0), s) for s in shapes]
        for track in self._tracks.values():
            obj = self._track_object(track, frame)
            if obj is not None:
                objects.append(obj)
        self._objects.replace_all(objects)
        self._tags = tags
        self._selection = [k for k in self._selection if k in self._objects]
        self.changed.emit(SessionChange.OBJECTS)

    def _apply(self, command: Command | None, *, forward: bool) -> None:
        """Update the frame from a command's change (a full reload for commands of unknown kind)."""
        if not isinstance(command, ReplaceAnnotations):
            self.reload_tracks()
            self.load_frame(self._frame)
            return
        removed, added = (command.before, command.after) if forward else (command.after, command.before)
        self._apply_delta(removed, added)

    def _apply_delta(self, removed: Annotations, added: Annotations) -> None:
        kept = {shape.id for shape in added.shapes if shape.frame == self._frame}
        for shape in removed.shapes:
            if shape.id not in kept:  # an edited shape is replaced in place by put (no re-sort)
                self._objects.remove(("shape", shape.id or 0))
        for shape in added.shapes:
            if shape.frame == self._frame and shape.id is not None:
                self._objects.put(FrameObject(("shape", shape.id), shape.copy()))
        if removed.tracks or added.tracks:
            for track in removed.tracks:
                self._tracks.pop(track.id or 0, None)
                self._objects.remove(("track", track.id or 0))
            for track in added.tracks:
                if track.id is None:
                    continue
                self._tracks[track.id] = track.copy()
                obj = self._track_object(self._tracks[track.id], self._frame)
                if obj is not None:
                    self._objects.put(obj)
        if removed.tags or added.tags:
            self._tags = self.project.frame_tags(self.job_id, self._frame)
        self._selection = [k for k in self._selection if k in self._objects]
        self.changed.emit(SessionChange.OBJECTS)

    def object_shapes(self) -> list[Shape]:
        return [o.shape for o in self._objects]
