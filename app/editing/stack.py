"""The undo stack. Each command writes the project as it runs (there is no Save button)."""

from __future__ import annotations

from collections.abc import Callable

from app.editing.commands import Command

DEFAULT_DEPTH = 5000


class UndoStack:
    """A linear history of commands, at least 1,000 steps deep (default 5,000).

    ``push`` runs the command (``redo``) and records it; ``undo``/``redo`` walk the history.
    Listeners are called with no arguments after every change of the history.
    """

    def __init__(self, depth: int = DEFAULT_DEPTH) -> None:
        self.depth = depth
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback()

    def push(self, command: Command) -> Command:
        command.redo()
        self._done.append(command)
        if len(self._done) > self.depth:
            del self._done[0]
        self._undone.clear()
        self._changed()
        return command

    def discard(self, command: Command) -> bool:
        """Forget ``command`` when it is the newest step (e.g. a background run that wrote nothing)."""
        if not self._done or self._done[-1] is not command:
            return False
        self._done.pop()
        self._changed()
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
        command.undo()
        self._undone.append(command)
        self._changed()
        return True

    def redo(self) -> bool:
        if not self._undone:
            return False
        command = self._undone.pop()
        command.redo()
        self._done.append(command)
        self._changed()
        return True

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self._changed()

    def __len__(self) -> int:
        return len(self._done)
