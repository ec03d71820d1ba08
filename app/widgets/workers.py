"""The one Qt adapter of the background-work contract (:mod:`app.core.work`).

:func:`start` runs a job ``job(token, progress)`` on the thread pool and delivers, on the GUI thread,
its :class:`~app.core.work.Progress` values and its :class:`~app.core.work.Outcome` (finished with the
value; cancelled with what it kept; failed with the message). :func:`gui_dispatcher` (from
:mod:`app.tools.dispatch`, so that tools can use it too) is the dispatcher the Qt layer hands to Qt-free
events (:class:`app.core.events.Event`, the store's change event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from app.core.work import CancelToken, Outcome, Progress, ProgressFn, run_job
from app.tools.dispatch import GuiDispatcher, gui_dispatcher

__all__ = ["GuiDispatcher", "Job", "Worker", "gui_dispatcher", "gui_owned", "start"]

Job = Callable[[CancelToken, ProgressFn], Any]


class WorkerSignals(QObject):
    progress = Signal(object)  # Progress
    outcome = Signal(object)  # Outcome


class Worker(QRunnable):
    """A started job: ``cancel()`` it; ``signals`` arrive on the GUI thread."""

    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.token = CancelToken()
        self.signals = WorkerSignals()
        self.outcome: Outcome[Any] | None = None
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def run(self) -> None:
        self.outcome = run_job(self.job, self.token, self.signals.progress.emit)
        self.signals.outcome.emit(self.outcome)


_running: set[Worker] = set()


def start(
    job: Job,
    *,
    on_finished: Callable[[Any], None] | None = None,
    on_failed: Callable[[str, str], None] | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_cancelled: Callable[[Outcome[Any]], None] | None = None,
    on_outcome: Callable[[Outcome[Any]], None] | None = None,
    pool: QThreadPool | None = None,
) -> Worker:
    """Start ``job(token, progress)`` on the global thread pool; callbacks run on the GUI thread.

    ``on_finished(value)``, ``on_cancelled(outcome)`` (``outcome.value`` is what was kept, if anything,
    ``outcome.message`` says so), ``on_failed(message, trace)``; ``on_outcome(outcome)`` gets every end.
    """
    worker = Worker(job)
    _running.add(worker)

    def ended(outcome: Outcome[Any]) -> None:
        _running.discard(worker)
        if outcome.finished and on_finished:
            on_finished(outcome.value)
        elif outcome.cancelled and on_cancelled:
            on_cancelled(outcome)
        elif outcome.failed and on_failed:
            on_failed(outcome.message, outcome.trace)
        if on_outcome:
            on_outcome(outcome)

    if on_progress:
        worker.signals.progress.connect(on_progress)
    worker.signals.outcome.connect(ended)
    (pool or QThreadPool.globalInstance()).start(worker)
    return worker


def gui_owned(project: Any) -> Any:
    """Mark ``project`` (a :class:`~app.storage.store.Project` opened on the GUI thread) as the GUI's:
    changes its background writer handles commit reach its ``add_listener`` listeners on the GUI thread."""
    if project.dispatcher is None:
        project.dispatcher = gui_dispatcher()
    return project
