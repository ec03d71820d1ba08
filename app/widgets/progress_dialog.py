"""A modal-less progress dialog bound to a background worker, with ETA and Cancel."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QProgressDialog, QWidget

from app.widgets import workers


def run_with_progress(
    parent: QWidget | None,
    title: str,
    fn: Callable[[workers.TaskControl], Any],
    on_finished: Callable[[Any], None],
    on_failed: Callable[[str, str], None],
) -> workers.Worker:
    """Run ``fn`` in the background showing a progress dialog; Cancel sets the worker's cancel flag."""
    dialog = QProgressDialog(title, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    started = time.monotonic()

    def progress(done: float, total: float, text: str) -> None:
        if total > 0:
            dialog.setMaximum(1000)
            dialog.setValue(int(1000 * done / total))
            elapsed = time.monotonic() - started
            eta = elapsed * (total - done) / done if done > 0 else 0
            dialog.setLabelText(f"{text or title}\n{int(done)} / {int(total)} — about {eta:.0f} s left")
        elif text:
            dialog.setLabelText(text)

    def finish(result: object) -> None:
        dialog.close()
        on_finished(result)

    def fail(message: str, trace: str) -> None:
        dialog.close()
        on_failed(message, trace)

    worker = workers.start(fn, on_finished=finish, on_failed=fail, on_progress=progress,
                           on_cancelled=dialog.close)
    dialog.canceled.connect(worker.control.cancel)
    dialog.show()
    return worker
