"""The undo stack. Each command writes the project as it runs (there is no Save button)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.core.events import Event
from app.editing.commands import Command

DEFAULT_DEPTH = 5000


class Direction(Enum):
    """How a command went through the stack: run for the first time, undone, redone."""

    DO = "do"
    UNDO = "undo"
    REDO = "redo"
    CLEAR = "clear"  # the history was emptied (no command ran)
    DISCARD = "discard"  # the newest step was forgotten without running (it had changed nothing)


@dataclass(frozen=True)
class StackChange:
    """What :attr:`UndoStack.changed` tells: the command that just ran and its direction
    (``command`` is None for :attr:`Direction.CLEAR`). ``forward`` is False only for an undo.
    :attr:`Direction.CLEAR` and :attr:`Direction.DISCARD` ran no command: the store did not change."""

    command: Command | None
    direction: Direction

    @property
    def forward(self) -> bool:
        return self.direction is not Direction.UNDO


class UndoStack:
    """A linear history of commands, at least 1,000 steps deep (default 5,000).

    ``push`` runs the command (``redo``) and records it; ``undo``/``redo`` walk the history.
    :attr:`changed` is emitted after every change of the history with the command and its direction,
    so listeners can apply a command's change without looking into the history.
    """

    def __init__(self, depth: int = DEFAULT_DEPTH) -> None:
        self.depth = depth
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self.changed: Event[StackChange] = Event("undo_stack.changed")

    def push(self, command: Command) -> Command:
        command.redo()
        self._done.append(command)
        if len(self._done) > self.depth:
            del self._done[0]
        self._undone.clear()
        self.changed.emit(StackChange(command, Direction.DO))
        return command

    def discard(self, command: Command) -> bool:
        """Forget ``command`` when it is the newest step (e.g. a background run that wrote nothing)."""
        if not self._done or self._done[-1] is not command:
            return False
        self._done.pop()
        self.changed.emit(StackChange(command, Direction.DISCARD))
        return True

    def can_undo(self) -> bool:
        return bool(self._done)

    def can_redo(self) -> bool:
        return bool(self._undone)

    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def undo(self) -> bool:
        if not self._done:
            return False
        command = self._done.pop()
        try:
            command.undo()
        except BaseException:
            self._done.append(command)  # refused (e.g. by a team project's server): still undoable
            raise
        self._undone.append(command)
        self.changed.emit(StackChange(command, Direction.UNDO))
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        try:
            command.redo()
        except BaseException:
            self._undone.append(command)
            raise
        self._done.append(command)
        self.changed.emit(StackChange(command, Direction.REDO))
        return True

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self.changed.emit(StackChange(None, Direction.CLEAR))

    def __len__(self) -> int:
        return len(self._done)
