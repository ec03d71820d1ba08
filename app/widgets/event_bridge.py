"""Listen to an :class:`app.core.events.Event` from a widget: the slot runs on the GUI thread.

The Qt-free core emits events from any thread; :func:`connect_event` posts each payload to the widget's
thread through a queued signal and disconnects when the widget is destroyed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.core.events import Event


class _Poster(QObject):
    call = Signal(object)

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.call.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @staticmethod
    def _run(fn: Callable[[], None]) -> None:
        fn()


def connect_event(widget: QObject, event: Event[Any], slot: Callable[[Any], None]) -> Callable[[], None]:
    """Call ``slot(payload)`` on ``widget``'s thread after each ``event.emit``; returns the disconnect."""
    poster = _Poster(widget)

    def listener(payload: Any) -> None:
        try:
            poster.call.emit(lambda: slot(payload))
        except RuntimeError:  # the widget (and its poster) is gone; the destroyed hook disconnects us
            pass

    disconnect = event.connect(listener)
    widget.destroyed.connect(lambda *_: disconnect())
    return disconnect
