"""What the job window's editing actions do: each handler builds one command (through
:mod:`app.editing.actions` or :mod:`app.editing.track_ops`) and pushes it through the job's
:class:`~app.editing.session.EditSession`, so every edit is one undo step and the store writes it at
once. Hide/lock are view states of the session (not stored).

The actions act on the session; of the window they use only what :class:`JobHost` lists (navigation,
the status bar, the action states), so this module does not import the window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from app.domain.annotations import Shape
from app.editing import actions, track_ops
from app.editing.actions import EditError
from app.editing.session import EditSession, SessionChange

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QStatusBar

    from app.editing.frame_objects import FrameObject
    from app.storage.store import Project
    from app.widgets.canvas.view import CanvasView
    from app.widgets.job_toolbar import JobToolBar


class JobHost(Protocol):
    """What the actions use of the job window (navigation, status bar, action states)."""

    project: Project
    job_id: int
    canvas: CanvasView
    actions_by_id: dict[str, QAction]
    toolbar: JobToolBar
    last_draw_tool: str

    @property
    def frame(self) -> int: ...

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name

    def set_tool(self, tool: str) -> None: ...

    def step(self, delta: int) -> None: ...

    def goto_frame(self, frame: int) -> None: ...

    def goto_dialog(self) -> None: ...

    def show_shortcuts(self) -> None: ...


class JobActions:
    def __init__(self, session: EditSession, window: JobHost) -> None:
        self.session = session
        self.w = window
        self.canvas = window.canvas
        self.clipboard: list[Shape] = []
        self.last_track_id: int | None = None  # for re-entry: an outside track cannot be selected
        self.merge_pending: list[int] = []  # track ids remembered by a first Merge press
        session.changed.connect(self._remember_track)

    def _remember_track(self, change: SessionChange) -> None:
        if change is not SessionChange.SELECTION:
            return
        tracks = [k[1] for k in self.session.selection() if k[0] == "track"]
        if tracks:
            self.last_track_id = tracks[0]

    def handlers(self) -> dict[str, Callable[[], None]]:
        w = self.w
        return {
            "draw.repeat": lambda: w.set_tool(w.last_draw_tool),
            "frame.next": lambda: w.step(1), "frame.previous": lambda: w.step(-1),
            "frame.next_key": lambda: self.keyframe_step(1), "frame.previous_key": lambda: self.keyframe_step(-1),
            "frame.goto": w.goto_dialog, "view.fit": self.canvas.fit, "view.one": self.canvas.zoom_1to1,
            "edit.undo": self.undo, "edit.redo": self.redo, "edit.delete": self.delete,
            "edit.copy": self.copy, "edit.paste": self.paste, "edit.propagate": self.propagate,
            "edit.group": lambda: self.run(lambda o: actions.group_command(self.session, o)),
            "edit.ungroup": lambda: self.run(lambda o: actions.group_command(self.session, o, ungroup=True)),
            "edit.hide": self.toggle_hidden, "edit.hide_all": self.toggle_hide_all, "edit.lock": self.toggle_locked,
            "edit.occluded": self.toggle_occluded, "edit.pin": self.toggle_pinned,
            "edit.forward": lambda: self.run(lambda o: actions.z_order_command(self.session, o, True)),
            "edit.backward": lambda: self.run(lambda o: actions.z_order_command(self.session, o, False)),
            "edit.deselect": self.deselect, "track.mode": self.toggle_track_mode,
            "track.keyframe": lambda: self.track_edit(
                lambda t: track_ops.toggle_keyframe(w.project, w.job_id, t, w.frame)),
            "track.outside": self.toggle_outside,
            "track.from_shape": self.shape_to_track, "track.split": lambda: self.track_edit(
                lambda t: track_ops.split_track(w.project, w.job_id, t, w.frame)),
            "track.merge": self.merge_tracks, "help.shortcuts": w.show_shortcuts,
        }

    # ------------------------------------------------------------ helpers

    def selected(self, *, editable: bool = True) -> list[FrameObject]:
        session = self.session
        objs = [session.objects().get(k) for k in session.selection()]
        return [o for o in objs if o is not None and not (editable and session.is_locked(o.key))]

    def run(self, build: Callable[[list[FrameObject]], object]) -> bool:
        """Build a command for the editable selection and push it; errors go to the status bar."""
        objs = self.selected()
        if not objs:
            self.w.statusBar().showMessage("Select objects first (locked ones are skipped)", 4000)
            return False
        try:
            command = build(objs)
        except (EditError, ValueError) as exc:
            self.w.statusBar().showMessage(str(exc), 6000)
            return False
        self.session.push(command)  # type: ignore[arg-type]
        return True

    def _cancel_gesture(self) -> None:
        if self.canvas.tool is not None:
            self.canvas.tool.cancel()

    # ------------------------------------------------------------ handlers

    def undo(self) -> None:
        self._cancel_gesture()
        if not self.session.undo():
            self.w.statusBar().showMessage("Nothing to undo", 3000)

    def redo(self) -> None:
        self._cancel_gesture()
        if not self.session.redo():
            self.w.statusBar().showMessage("Nothing to redo", 3000)

    def delete(self) -> None:
        if self.run(lambda o: actions.delete_command(self.session, o)):
            self.session.select([])

    def copy(self) -> None:
        self.clipboard = [o.shape.copy() for o in self.selected(editable=False)]
        self.w.statusBar().showMessage(f"Copied {len(self.clipboard)} object(s)", 3000)

    def paste(self) -> None:
        if not self.clipboard:
            self.w.statusBar().showMessage("The clipboard is empty", 3000)
            return
        command = actions.paste_command(self.session, self.clipboard)
        self.session.push(command)
        self.session.select([("shape", s.id) for s in command.after.shapes if s.id is not None])

    def propagate(self) -> None:
        count = self.w.toolbar.propagate_count.value()
        self.run(lambda o: actions.propagate_command(self.session, o, count))

    def toggle_hidden(self) -> None:
        keys = self.session.selection()
        self.session.set_hidden(keys, not (keys and all(self.session.is_hidden(k) for k in keys)))

    def toggle_hide_all(self) -> None:
        keys = [o.key for o in self.session.objects()]
        if keys and all(self.session.is_hidden(k) for k in keys):
            self.session.set_hidden(list(self.session.hidden), False)
        else:
            self.session.set_hidden(keys, True)

    def toggle_locked(self) -> None:
        keys = self.session.selection()
        self.session.set_locked(keys, not (keys and all(self.session.is_locked(k) for k in keys)))

    def toggle_pinned(self) -> None:
        keys = self.session.selection()
        self.session.set_pinned(keys, not (keys and all(self.session.is_pinned(k) for k in keys)))

    def toggle_occluded(self) -> None:
        self.run(lambda o: actions.occluded_command(self.session, o))

    def change_label(self, label_id: int) -> None:
        self.run(lambda o: actions.change_label_command(self.session, o, label_id))

    def set_attribute(self, spec_id: int, value: str) -> None:
        objs = self.selected()
        if len(objs) != 1 or objs[0].shape.attributes.get(spec_id) == value:
            return
        self.run(lambda o: actions.attribute_command(self.session, o[0], spec_id, value))

    def set_tag_attribute(self, tag_id: int, spec_id: int, value: str) -> None:
        tag = next((t for t in self.session.tags() if t.id == tag_id), None)
        if tag is None or tag.attributes.get(spec_id) == value:
            return
        try:
            self.session.push(actions.tag_attribute_command(self.session, tag, spec_id, value))
        except actions.EditError as exc:
            self.w.statusBar().showMessage(str(exc), 5000)

    def deselect(self) -> None:
        if not self.canvas.offer_key("Escape"):
            self.session.select([])

    # ------------------------------------------------------------ tracks

    def toggle_track_mode(self) -> None:
        self.session.track_mode = not self.session.track_mode
        self.w.actions_by_id["track.mode"].setChecked(self.session.track_mode)
        self.w.statusBar().showMessage("Track mode " + ("on" if self.session.track_mode else "off"), 3000)

    def _tracks(self) -> list[FrameObject]:
        return [o for o in self.selected() if o.track is not None]

    def track_edit(self, build: Callable[..., object]) -> None:
        tracks = self._tracks()
        if len(tracks) != 1:
            self.w.statusBar().showMessage("Select one track", 3000)
            return
        self.run(lambda _o: build(tracks[0].track))

    def toggle_outside(self) -> None:
        """Outside for the selected track; with nothing selected, re-entry of the last selected track
        (it is invisible here, so it cannot be selected) at its last known position."""
        w = self.w
        if self._tracks():
            self.track_edit(lambda t: track_ops.mark_outside(w.project, w.job_id, t, w.frame))
            return
        track = self.session.tracks().get(self.last_track_id) if self.last_track_id is not None else None
        if track is None:
            w.statusBar().showMessage("Select a track (or select it before it went outside)", 4000)
            return
        try:
            command = track_ops.mark_reentry(w.project, w.job_id, track, w.frame)
        except ValueError as exc:
            w.statusBar().showMessage(str(exc), 5000)
            return
        self.session.push(command)
        self.session.select([("track", track.id)])

    def shape_to_track(self) -> None:
        w = self.w
        plain = [o for o in self.selected() if o.track is None]
        if len(plain) != 1:
            w.statusBar().showMessage("Select one shape", 3000)
            return
        self.run(lambda _o: track_ops.shape_to_track(w.project, w.job_id, plain[0].shape))

    def merge_tracks(self) -> None:
        """Merge the selected tracks. Tracks that never share a frame are merged in two steps, as in
        CVAT: select one and press Merge (it is remembered), go to the other, select it, press again."""
        w = self.w
        ids = list(dict.fromkeys([*self.merge_pending, *(o.track.id for o in self._tracks() if o.track)]))
        if len(ids) < 2:
            self.merge_pending = ids
            w.statusBar().showMessage("Merge: now select the other track (any frame) and press Merge again", 6000)
            return
        self.merge_pending = []
        tracks = w.project.tracks(w.job_id, ids)
        self.run(lambda _o: track_ops.merge_tracks(w.project, w.job_id, tracks))

    def keyframe_step(self, direction: int) -> None:
        objs = [o for o in self.selected(editable=False) if o.track is not None]
        if not objs:
            self.w.statusBar().showMessage("Select a track to jump between its keyframes", 3000)
            return
        track = objs[0].track
        find = track_ops.next_keyframe if direction > 0 else track_ops.previous_keyframe
        frame = find(track, self.w.frame)  # type: ignore[arg-type]
        if frame is None:
            self.w.statusBar().showMessage("No further keyframe", 3000)
            return
        key = objs[0].key
        self.w.goto_frame(frame)
        self.session.select([key])
