"""Start an auto-annotation run in a QThreadPool worker: load the function, infer, write on the GUI thread.

The worker loads the function (model loading can take seconds) and runs inference; project reads and
writes happen on the GUI thread (planning before, batches through :class:`GuiThreadWriter` during).
A finished or cancelled run goes on the undo stack as one step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.runner import Progress, RunOptions, RunResult, WorkItem, run_detection
from app.models.writer import StoreWriter
from app.widgets import workers
from app.widgets.ai.bridge import GuiCaller, GuiThreadWriter


@dataclass
class RunRequest:
    project: Any
    task_id: int
    items: list[WorkItem]
    load: Callable[[], Any]  # returns the detection function (called in the worker)
    options: RunOptions
    undo_stack: UndoStack | None = None


class RunHandle:
    """A started run: ``cancel()`` it; callbacks arrive on the GUI thread."""

    def __init__(self, request: RunRequest, on_progress: Callable[[Progress], None],
                 on_done: Callable[[RunResult], None], on_failed: Callable[[str], None]) -> None:
        self.request = request
        self.caller = GuiCaller()
        self.writer = StoreWriter(request.project, clear_existing=request.options.clear_existing)
        self.source = open_task_source(request.project, request.task_id)
        self.labels = list(request.project.labels())
        self._on_done, self._on_failed = on_done, on_failed
        self._result: RunResult | None = None
        self._progress: Progress | None = None
        self.worker = workers.start(
            self._work, on_finished=self._finished, on_cancelled=self._finished, on_failed=self._failed,
            on_progress=lambda done, total, text: on_progress(self._progress) if self._progress else None)

    def cancel(self) -> None:
        self.worker.control.cancel()

    def _work(self, control: workers.TaskControl) -> RunResult:
        function = self.request.load()

        def report(progress: Progress) -> None:
            self._progress = progress
            control.progress(progress.done, progress.total)

        self._result = run_detection(function, self.request.items, self.source, self.labels,
                                     GuiThreadWriter(self.writer, self.caller), self.request.options,
                                     progress=report, cancel=control.cancel_event)
        return self._result

    def _finished(self, *_args: Any) -> None:
        self.source.close()
        if self.request.undo_stack is not None and self.writer.commands:
            self.request.undo_stack.push(self.writer.applied())
        self._on_done(self._result or RunResult(cancelled=True))

    def _failed(self, message: str, _trace: str) -> None:
        self.source.close()
        self._on_failed(message)
