"""One background thread for interactive AI work, with "latest request wins" slots.

Each job goes into a named slot ("predict", "embed", "prefetch", "map"): a job waiting in a slot is
replaced by a newer one, so a burst of clicks runs one decoder call, not ten. Jobs run one at a
time in slot priority order (the order the slots were declared). The callback of a job runs on the
GUI thread (through a queued Qt signal) with ``(result, error)``; callers drop stale answers by
comparing request ids. Model calls can't be interrupted midway; ``clear()`` drops the queued ones.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

Callback = Callable[[Any, BaseException | None], None]


class _Bridge(QObject):
    done = Signal(object, object, object)  # callback, result, error


class SlotWorker:
    """A daemon thread running the newest job of each slot."""

    def __init__(self, slots: tuple[str, ...] = ("predict", "map", "embed", "prefetch")) -> None:
        self.slots = slots
        self._pending: dict[str, tuple[Callable[[], Any], Callback | None]] = {}
        self._cond = threading.Condition()
        self._bridge = _Bridge()
        self._bridge.done.connect(self._deliver)
        self._busy = False
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="ai-interactor", daemon=True)
        self._thread.start()

    def submit(self, slot: str, fn: Callable[[], Any], callback: Callback | None = None) -> None:
        if slot not in self.slots:
            raise KeyError(f"unknown worker slot {slot!r}")
        with self._cond:
            self._pending[slot] = (fn, callback)
            self._cond.notify()

    def clear(self, slot: str | None = None) -> None:
        with self._cond:
            if slot is None:
                self._pending.clear()
            else:
                self._pending.pop(slot, None)

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._busy

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            self._pending.clear()
            self._cond.notify()

    def _next(self) -> tuple[Callable[[], Any], Callback | None] | None:
        with self._cond:
            while not self._stop and not self._pending:
                self._cond.wait()
            if self._stop:
                return None
            slot = next(s for s in self.slots if s in self._pending)
            self._busy = True
            return self._pending.pop(slot)

    def _loop(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            fn, callback = job
            result, error = None, None
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - any model/user-function failure goes to the GUI callback
                error = exc
                log.debug("interactor job failed", exc_info=True)
            with self._cond:
                self._busy = False
            if callback is not None:
                self._bridge.done.emit(callback, result, error)

    @staticmethod
    def _deliver(callback: Callback, result: Any, error: BaseException | None) -> None:
        callback(result, error)
