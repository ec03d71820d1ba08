"""The job's editing model (Qt-free): edits as commands on one undo stack (``commands``, ``stack``,
``track_ops``), the command builders of the editing operations (``actions``, ``track_bridge``), the
objects of a frame (``frame_objects``) and the editing session on a job (``session``). Tools and
panels produce commands; only commands write the store."""

from app.editing.commands import Command, ReplaceAnnotations
from app.editing.stack import UndoStack

__all__ = ["Command", "ReplaceAnnotations", "UndoStack"]
