"""The GUI thread's dispatcher: the one way Qt code hands a function to the GUI thread.

Qt-free events (:class:`app.core.events.Event`, the store's change event) take it as their
``dispatcher``; the background-work adapter (:mod:`app.widgets.workers`) and the interactors' slot
worker (:mod:`app.tools.ai_worker`) deliver their results through it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot


class GuiDispatcher(QObject):
    """``dispatcher(fn)`` runs ``fn`` on the GUI thread: at once when called there, else queued."""

    _post = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        app = QCoreApplication.instance()
        if app is not None and self.thread() is not app.thread():
            self.moveToThread(app.thread())
        self._post.connect(self._run)

    @Slot(object)
    def _run(self, fn: Callable[[], None]) -> None:
        fn()

    def __call__(self, fn: Callable[[], None]) -> None:
        if QThread.currentThread() is self.thread():
            fn()
        else:
            self._post.emit(fn)


_dispatcher: GuiDispatcher | None = None
_dispatcher_lock = threading.Lock()


def gui_dispatcher() -> GuiDispatcher:
    """The process's one GUI-thread dispatcher (create the QApplication first)."""
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is None:
            _dispatcher = GuiDispatcher()
        return _dispatcher
