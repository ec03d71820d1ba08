"""Run a callable on the GUI thread from a worker thread and wait for it (for project writes).

The project's database connection belongs to the GUI thread, so background runs hand their batches
to :class:`GuiThreadWriter`, which performs each (short) write on the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from app.domain.annotations import Shape, Tag
from app.models.writer import StoreWriter


class GuiCaller(QObject):
    """Create on the GUI thread; ``call(fn)`` from any thread runs ``fn`` there and returns its result."""

    _request = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self._request.connect(self._run, Qt.ConnectionType.BlockingQueuedConnection)
        self._lock = threading.Lock()

    @Slot(object)
    def _run(self, box: list) -> None:
        try:
            box.append((True, box[0]()))
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            box.append((False, exc))

    def call(self, fn: Callable[[], Any]) -> Any:
        if QThread.currentThread() is self.thread():
            return fn()
        box: list = [fn]
        with self._lock:
            self._request.emit(box)
        ok, value = box[1]
        if not ok:
            raise value
        return value


class GuiThreadWriter:
    """A runner writer whose writes and reverts happen on the GUI thread."""

    def __init__(self, writer: StoreWriter, caller: GuiCaller) -> None:
        self.writer = writer
        self.caller = caller

    def write(self, job_id: int, frames: Sequence[int], shapes: list[Shape], tags: list[Tag],
              last_for_job: bool = False) -> None:
        self.caller.call(lambda: self.writer.write(job_id, frames, shapes, tags, last_for_job))

    def revert(self) -> None:
        self.caller.call(self.writer.revert)
