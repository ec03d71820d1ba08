"""A modal-less progress dialog bound to a background job (:mod:`app.widgets.workers`), with ETA and Cancel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QProgressDialog, QWidget

from app.core.work import Outcome, Progress, ProgressClock
from app.widgets import workers


def run_with_progress(
    parent: QWidget | None,
    title: str,
    job: workers.Job,
    on_finished: Callable[[Any], None],
    on_failed: Callable[[str, str], None],
    on_cancelled: Callable[[Outcome[Any]], None] | None = None,
) -> workers.Worker:
    """Run ``job(token, progress)`` in the background showing a progress dialog; Cancel cancels the token.

    A cancelled job closes the dialog and calls ``on_cancelled(outcome)`` (never ``on_failed``)."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    clock = ProgressClock()

    def progress(value: Progress) -> None:
        if value.total > 0:
            dialog.setMaximum(1000)
            dialog.setValue(int(1000 * value.done / value.total))
            eta = value.eta if value.eta is not None else clock(value.done, value.total).eta or 0
            dialog.setLabelText(f"{value.message or title}\n{int(value.done)} / {int(value.total)} "
                                f"— about {eta:.0f} s left")
        elif value.message:
            dialog.setLabelText(value.message)

    def finish(result: object) -> None:
        dialog.close()
        on_finished(result)

    def fail(message: str, trace: str) -> None:
        dialog.close()
        on_failed(message, trace)

    def cancelled(outcome: Outcome[Any]) -> None:
        dialog.close()
        if on_cancelled is not None:
            on_cancelled(outcome)

    worker = workers.start(job, on_finished=finish, on_failed=fail, on_progress=progress, on_cancelled=cancelled)
    dialog.canceled.connect(worker.cancel)
    dialog.show()
    return worker
