"""Edits as commands on one undo stack (Qt-free). Tools produce commands; only commands write the store."""

from app.editing.commands import Command, ReplaceAnnotations
from app.editing.stack import UndoStack

__all__ = ["Command", "ReplaceAnnotations", "UndoStack"]
