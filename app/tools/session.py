"""An editing session on one job (Qt-free): the current frame's objects, selection, view flags and
the undo stack. It implements :class:`app.tools.edit_context.EditContext`; the canvas widget wraps
one, and unit tests drive tools against one with a real project and no window.

After each command it applies the command's change to the in-memory frame instead of re-reading the
frame from the store (an edit stays well under 100 ms with thousands of shapes). Changes made by
anybody else (another panel writing the project directly) are noticed through the project's listener
and trigger a full reload of the frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from app.domain.annotations import Annotations, Shape, Tag, Track
from app.editing.commands import ReplaceAnnotations, as_new_objects
from app.editing.stack import UndoStack
from app.storage.errors import JobLeasedError, StaleJobError
from app.tools import track_bridge
from app.tools.base import CursorRole, Preview
from app.tools.frame_objects import FrameObject, FrameObjects, ObjectKey

if TYPE_CHECKING:
    from app.domain.labels import LabelSet
    from app.editing.commands import Command
    from app.storage.store import Project

ImageProvider = Callable[[int, bool], np.ndarray]


class EditSession:
    def __init__(self, project: Project, job_id: int, undo_stack: UndoStack | None = None,
                 image_provider: ImageProvider | None = None) -> None:
        self.project = project
        self.job_id = job_id
        self.undo_stack = undo_stack if undo_stack is not None else UndoStack()
        self.job = project.job(job_id)
        self.task = project.task(self.job.task_id)
        self._frame_info = {f.index: f for f in project.frames(self.job.task_id)}
        self._frames = self.job.frame_list()
        self._image_provider = image_provider
        self.current_label_id: int | None = None
        self.track_mode = False
        self.preview: Preview | None = None
        self.cursor = CursorRole.DEFAULT
        self.messages: list[str] = []
        self.hidden: set[ObjectKey] = set()
        self.locked: set[ObjectKey] = set()
        self._selection: list[ObjectKey] = []
        self._objects = FrameObjects()
        self._tags: list[Tag] = []
        self._tracks: dict[int, Track] = {}
        self._frame = self._frames[0] if self._frames else 0
        self._own_change = 0
        self.listeners: list[Callable[[str], None]] = []  # called with "objects", "selection", "preview", "status"
        self.stale: tuple[str, Command | None] | None = None  # a refused write waiting for resolve_stale
        project.track_job(job_id)  # writes from here on are checked against the job's version
        project.add_listener(self._on_project_changed)
        self.reload_tracks()
        self.load_frame(self._frame)

    def close(self) -> None:
        self.project.remove_listener(self._on_project_changed)
        self.project.untrack_job(self.job_id)

    # ------------------------------------------------------------ notifications

    def _emit(self, what: str) -> None:
        for callback in list(self.listeners):
            callback(what)

    def _on_project_changed(self, kind: str, job_id: int | None) -> None:
        if kind == "annotations" and job_id == self.job_id and not self._own_change:
            self.reload_tracks()
            self.load_frame(self._frame)

    # ------------------------------------------------------------ ToolContext

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def labels(self) -> LabelSet:
        return self.project.labels()

    def image(self, *, adjusted: bool = False) -> np.ndarray:
        if self._image_provider is None:
            w, h = self.image_size()
            return np.zeros((h, w, 3), np.uint8)
        return self._image_provider(self._frame, adjusted)

    def push(self, command: Command) -> None:
        self._own_change += 1
        try:
            self.undo_stack.push(command)
        except StaleJobError as exc:
            self._refused(exc, command)
            return
        except JobLeasedError as exc:  # someone else edits this job: shown, nothing saved
            self.status(str(exc))
            return
        finally:
            self._own_change -= 1
        self._apply(command, forward=True)

    # ------------------------------------------------------------ someone else wrote this job

    def _refused(self, exc: StaleJobError, command: Command | None) -> None:
        """A write was refused because the job changed elsewhere: nothing was saved; the window asks
        whether to reload the job or to keep this change as a copy (see :meth:`resolve_stale`)."""
        self.stale = (str(exc), command)
        self.status(str(exc))
        self._emit("stale")

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
        if keep_copy and after is not None and (after.shapes or after.tracks or after.tags):
            self.push(ReplaceAnnotations(self.project, self.job_id, after=as_new_objects(after),
                                         text=f"{command.text} (kept as a copy)"))

    def undo(self) -> bool:
        return self._walk(undo=True)

    def redo(self) -> bool:
        return self._walk(undo=False)

    def _walk(self, *, undo: bool) -> bool:
        # The stack keeps its history private; peeking lets us apply the change as a delta. Anything
        # else falls back to a full reload through the project listener.
        history = getattr(self.undo_stack, "_done" if undo else "_undone", None)
        command = history[-1] if history else None
        self._own_change += 1
        try:
            done = self.undo_stack.undo() if undo else self.undo_stack.redo()
        except StaleJobError as exc:
            self._refused(exc, None)
            return False
        except JobLeasedError as exc:
            self.status(str(exc))
            return False
        finally:
            self._own_change -= 1
        if done:
            self._apply(command, forward=not undo)
        return done

    def set_preview(self, preview: Preview | None) -> None:
        self.preview = preview
        self._emit("preview")

    def set_cursor(self, role: CursorRole) -> None:
        self.cursor = role
        self._emit("cursor")

    def status(self, text: str) -> None:
        self.messages.append(text)
        self._emit("status")

    def selected_ids(self) -> list[int]:
        return [k[1] for k in self._selection if k[0] == "shape"]

    # ------------------------------------------------------------ EditContext

    def objects(self) -> FrameObjects:
        return self._objects

    def selection(self) -> list[ObjectKey]:
        return list(self._selection)

    def select(self, keys: list[ObjectKey]) -> None:
        keys = [k for k in keys if k in self._objects]
        if keys != self._selection:
            self._selection = keys
            self._emit("selection")

    def image_size(self) -> tuple[int, int]:
        info = self._frame_info.get(self._frame)
        return (info.width, info.height) if info is not None else (1, 1)

    def job_frames(self) -> list[int]:
        return list(self._frames)

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
        """Show ``frame``: read its shapes and tags and each track's state on it."""
        self._frame = frame
        objects = [FrameObject(("shape", s.id or 0), s) for s in self.project.frame_shapes(self.job_id, frame)]
        for track in self._tracks.values():
            obj = self._track_object(track, frame)
            if obj is not None:
                objects.append(obj)
        self._objects.replace_all(objects)
        self._tags = self.project.frame_tags(self.job_id, frame)
        self._selection = [k for k in self._selection if k in self._objects]
        self._emit("objects")

    def _apply(self, command: Command | None, *, forward: bool) -> None:
        """Update the frame from a command's change (a full reload for commands of unknown kind)."""
        if not isinstance(command, ReplaceAnnotations):
            self.reload_tracks()
            self.load_frame(self._frame)
            return
        removed, added = (command.before, command.after) if forward else (command.after, command.before)
        self._apply_delta(removed, added)

    def _apply_delta(self, removed: Annotations, added: Annotations) -> None:
        for shape in removed.shapes:
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
        self._emit("objects")

    def object_shapes(self) -> list[Shape]:
        return [o.shape for o in self._objects]
