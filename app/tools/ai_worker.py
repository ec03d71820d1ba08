"""One background thread for interactive AI work, with "latest request wins" slots.

Each job goes into a named slot ("predict", "embed", "prefetch", "map"): a job waiting in a slot is
replaced by a newer one, so a burst of clicks runs one decoder call, not ten. Jobs run one at a
time in slot priority order (the order the slots were declared). The callback of a job runs on the
GUI thread (through :func:`app.tools.dispatch.gui_dispatcher`) with ``(result, error)``; callers drop
stale answers by comparing request ids. Each job has a :class:`app.core.work.CancelToken` (returned by
:meth:`SlotWorker.submit`): it is cancelled when a newer job of its slot arrives or ``clear()`` drops it.
Model calls can't be interrupted midway; a job that checks its token and raises
:class:`app.core.work.Cancelled` ends silently (no callback), being superseded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from app.core.work import Cancelled, CancelToken
from app.tools.dispatch import gui_dispatcher

log = logging.getLogger(__name__)

Callback = Callable[[Any, BaseException | None], None]
_Job = tuple[Callable[[], Any], Callback | None, CancelToken]


class SlotWorker:
    """A daemon thread running the newest job of each slot."""

    def __init__(self, slots: tuple[str, ...] = ("predict", "map", "embed", "prefetch")) -> None:
        self.slots = slots
        self._pending: dict[str, _Job] = {}
        self._cond = threading.Condition()
        self._dispatch = gui_dispatcher()
        self._running: tuple[str, CancelToken] | None = None
        self._busy = False
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="ai-interactor", daemon=True)
        self._thread.start()

    def submit(self, slot: str, fn: Callable[[], Any], callback: Callback | None = None) -> CancelToken:
        """Queue ``fn`` in ``slot``, replacing (and cancelling) the slot's older job; returns its token."""
        if slot not in self.slots:
            raise KeyError(f"unknown worker slot {slot!r}")
        token = CancelToken()
        with self._cond:
            self._drop(slot)
            if self._running is not None and self._running[0] == slot:
                self._running[1].cancel()  # superseded: a job that checks its token stops early
            self._pending[slot] = (fn, callback, token)
            self._cond.notify()
        return token

    def _drop(self, slot: str) -> None:
        job = self._pending.pop(slot, None)
        if job is not None:
            job[2].cancel()

    def clear(self, slot: str | None = None) -> None:
        with self._cond:
            for name in list(self._pending) if slot is None else [slot]:
                self._drop(name)

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._pending and not self._busy

    def shutdown(self) -> None:
        with self._cond:
            self._stop = True
            for name in list(self._pending):
                self._drop(name)
            self._cond.notify()

    def _next(self) -> _Job | None:
        with self._cond:
            while not self._stop and not self._pending:
                self._cond.wait()
            if self._stop:
                return None
            slot = next(s for s in self.slots if s in self._pending)
            self._busy = True
            job = self._pending.pop(slot)
            self._running = (slot, job[2])
            return job

    def _loop(self) -> None:
        while True:
            job = self._next()
            if job is None:
                return
            fn, callback, _token = job
            result, error, superseded = None, None, False
            try:
                result = fn()
            except Cancelled:
                superseded = True
            except Exception as exc:  # noqa: BLE001 - any model/user-function failure goes to the GUI callback
                error = exc
                log.debug("interactor job failed", exc_info=True)
            with self._cond:
                self._busy = False
                self._running = None
            if callback is not None and not superseded:
                self._dispatch(lambda callback=callback, result=result, error=error: callback(result, error))
