"""Running long work off the GUI thread: a QRunnable with signals, progress and cooperative cancel.

The work function receives a :class:`TaskControl` (``progress(done, total, text)`` and
``cancelled``); results and errors come back on the GUI thread through Qt signals.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside work functions (by ``TaskControl.check``) when the user cancelled."""


class TaskControl:
    """Handed to the work function: report progress, check for cancellation."""

    def __init__(self, signals: WorkerSignals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, done: float, total: float = 0, text: str = "") -> None:
        self._signals.progress.emit(float(done), float(total), text)


class WorkerSignals(QObject):
    progress = Signal(float, float, str)
    finished = Signal(object)  # the result
    failed = Signal(str, str)  # message, traceback
    cancelled = Signal()


class Worker(QRunnable):
    def __init__(self, fn: Callable[[TaskControl], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = WorkerSignals()
        self.control = TaskControl(self.signals)
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            result = self.fn(self.control)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 - every failure of background work is shown to the user
            log.exception("background task failed")
            self.signals.failed.emit(str(exc) or type(exc).__name__, traceback.format_exc())
        else:
            if self.control.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)


_running: set[Worker] = set()


def start(
    fn: Callable[[TaskControl], Any],
    *,
    on_finished: Callable[[Any], None] | None = None,
    on_failed: Callable[[str, str], None] | None = None,
    on_progress: Callable[[float, float, str], None] | None = None,
    on_cancelled: Callable[[], None] | None = None,
    pool: QThreadPool | None = None,
) -> Worker:
    """Start ``fn(control)`` on the global thread pool; callbacks run on the GUI thread."""
    worker = Worker(fn)
    _running.add(worker)

    def done(*_args: object) -> None:
        _running.discard(worker)

    if on_progress:
        worker.signals.progress.connect(on_progress)
    if on_finished:
        worker.signals.finished.connect(on_finished)
    if on_failed:
        worker.signals.failed.connect(on_failed)
    if on_cancelled:
        worker.signals.cancelled.connect(on_cancelled)
    for signal in (worker.signals.finished, worker.signals.failed, worker.signals.cancelled):
        signal.connect(done)
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker
