"""Typed events: the one listener mechanism of the Qt-free code.

An :class:`Event` has a payload type. Listeners are callables taking one payload. A listener may be
connected with a *dispatcher*: a callable that receives a zero-argument function and runs it later on
the thread the listener belongs to (the Qt layer passes one that posts to the GUI thread). Without a
dispatcher a listener runs on the emitting thread, synchronously.

One listener failing does not stop the others: the error is logged and re-raised after every listener
has been told, so a broken listener is loud in tests but cannot leave half the listeners uninformed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
Listener = Callable[[T], None]
Dispatcher = Callable[[Callable[[], None]], None]

log = logging.getLogger(__name__)


class Event(Generic[T]):
    """A list of listeners for one kind of payload. Thread-safe to connect, disconnect and emit."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._listeners: list[tuple[Listener[T], Dispatcher | None]] = []
        self._lock = threading.Lock()

    def connect(self, listener: Listener[T], dispatcher: Dispatcher | None = None) -> Callable[[], None]:
        """Tell ``listener`` of every later emit; returns a function that disconnects it."""
        with self._lock:
            self._listeners.append((listener, dispatcher))
        return lambda: self.disconnect(listener)

    def disconnect(self, listener: Listener[T]) -> None:
        """Stop telling ``listener`` (no error when it was not connected)."""
        with self._lock:
            self._listeners = [(cb, d) for cb, d in self._listeners if cb != listener]

    def __len__(self) -> int:
        return len(self._listeners)

    def emit(self, payload: T) -> None:
        with self._lock:
            listeners = list(self._listeners)
        first_error: BaseException | None = None
        for listener, dispatcher in listeners:
            if dispatcher is not None:
                dispatcher(lambda listener=listener: listener(payload))
                continue
            try:
                listener(payload)
            except Exception as exc:  # noqa: BLE001 - every listener is told; the first failure is re-raised
                log.exception("listener %r of event %s failed", listener, self.name or "?")
                if first_error is None:
                    first_error = exc
        if first_error is not None:
            raise first_error
