"""Start an auto-annotation run as a background job (:mod:`app.widgets.workers`).

On the GUI thread the run is planned and its :class:`~app.models.writer.AutoAnnotationRun` command is
pushed on the undo stack (one step, empty so far). The job loads the function (model loading can take
seconds), opens its own writer handle on the project (the store's thread rule) and runs inference; the
command writes each batch through that handle as it comes, so the worker never waits on the GUI
thread. The store's change events reach the GUI's listeners on the GUI thread. A run that wrote nothing
(failed and reverted, cancelled before its first frame, or found nothing) leaves no undo step.
A request with ``ray`` settings runs on Ray instead (:class:`~app.models.backends.OnRay`): the actors load
the function from its recipe and this worker, the project's one writer, writes what they return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.work import Cancelled, CancelToken, Outcome, Progress, ProgressFn
from app.editing.stack import UndoStack
from app.media.sources import open_task_source
from app.models.backends import OnRay
from app.models.ray_backend import RaySettings
from app.models.recipe import FunctionRecipe
from app.models.run_log import PreparedRun
from app.models.runner import RunOptions, RunResult, WorkItem, run_detection
from app.models.writer import AutoAnnotationRun
from app.widgets import workers


@dataclass
class RunRequest:
    project: Any
    task_id: int
    items: list[WorkItem]
    load: Callable[[], Any]  # returns the detection function (called in the worker)
    options: RunOptions
    undo_stack: UndoStack | None = None
    run: PreparedRun | None = None  # the recorded run (resumable), made by :func:`prepare_run`
    #: Run on Ray (a local Ray or a cluster): the actors load ``recipe``; None = in this process.
    ray: RaySettings | None = None
    recipe: FunctionRecipe | None = None


class RunHandle:
    """A started run: ``cancel()`` it; callbacks arrive on the GUI thread.

    ``on_done(result)`` for a finished or cancelled run (``result.summary()`` says what was kept),
    ``on_failed(message)`` for a failed one (nothing kept)."""

    def __init__(self, request: RunRequest, on_progress: Callable[[Progress], None],
                 on_done: Callable[[RunResult], None], on_failed: Callable[[str], None]) -> None:
        self.request = request
        project = request.project
        workers.gui_owned(project)
        self.source = open_task_source(project, request.task_id)
        self.labels = list(project.labels())
        self.command = AutoAnnotationRun(project, clear_existing=request.options.clear_existing,
                                         origin=request.undo_stack, run=request.run)
        if request.undo_stack is not None:
            request.undo_stack.push(self.command)
        self._on_done, self._on_failed = on_done, on_failed
        self.worker = workers.start(self._work, on_progress=on_progress, on_outcome=self._ended)
        self.command.token = self.worker.token  # undoing the run while it runs stops it

    def cancel(self) -> None:
        self.worker.cancel()

    def _work(self, token: CancelToken, progress: ProgressFn) -> RunResult:
        request = self.request
        writer = request.project.open_writer()
        self.command.bind(writer)
        try:
            function = request.load() if request.ray is None else None
            token.check()
            if request.ray is not None and request.recipe is not None:
                result = OnRay(request.ray).run(request.recipe, request.items, self.source, self.labels,
                                                self.command, request.options, progress=progress, token=token)
            else:
                result = run_detection(function, request.items, self.source, self.labels, self.command,
                                       request.options, progress=progress, token=token)
            self.command.finish(result.cancelled)
            return result
        except Cancelled:
            self.command.finish(True)
            raise
        except BaseException:
            self.command.revert()  # a load or setup error: the run leaves no trace
            raise
        finally:
            self.command.unbind()
            writer.close()

    def _ended(self, outcome: Outcome[Any]) -> None:
        self.source.close()
        stack = self.request.undo_stack
        if stack is not None and not self.command.written:
            stack.discard(self.command)
        if outcome.failed:
            self._on_failed(outcome.message)
        else:
            self._on_done(outcome.value or RunResult(frames_total=len(self.request.items), cancelled=True))
