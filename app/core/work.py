"""The background-work contract: one :class:`Progress`, one :class:`CancelToken`, one :class:`Cancelled`,
one :class:`Outcome` (Qt-free).

A *job* is a plain function ``job(token, progress) -> value`` that runs on any thread. It calls
``token.check()`` between units of work (a frame, a batch, a job of a report) and ``progress(Progress(...))``
after each; :class:`Cancelled` unwinds it. A job that keeps partial results when cancelled (an
auto-annotation run, a tracking run, a consensus merge) returns a value that says so: any object with
``cancelled: bool`` and ``summary() -> str`` (the :class:`Partial` protocol), e.g. "cancelled; kept 12 of
40 frames". :func:`run_job` runs a job and turns whatever happened into an :class:`Outcome`; the Qt
adapter (``app.widgets.workers``) does the same off the GUI thread and delivers it as signals.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")
log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised by :meth:`CancelToken.check` inside a job once the user cancelled it."""


@dataclass(frozen=True)
class Progress:
    """How far a job is: ``done`` of ``total`` units (``total`` 0 = unknown), a message, seconds left."""

    done: float
    total: float = 0
    message: str = ""
    eta: float | None = None

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total > 0 else None


ProgressFn = Callable[[Progress], None]


def no_progress(_progress: Progress) -> None:
    """The progress callback of a job nobody watches."""


class ProgressClock:
    """Builds :class:`Progress` values with an ETA from the mean time per unit so far."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def __call__(self, done: float, total: float = 0, message: str = "") -> Progress:
        eta = None
        if done > 0 and total > 0:
            eta = 0.0 if done >= total else self.elapsed / done * (total - done)
        return Progress(done, total, message, eta)


class CancelToken:
    """Thread-safe cancel flag shared by whoever starts a job and the job itself."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` when cancelled (call it between units of work)."""
        if self._event.is_set():
            raise Cancelled()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep until cancelled or ``timeout`` seconds passed; True when cancelled."""
        return self._event.wait(timeout)


@runtime_checkable
class Partial(Protocol):
    """A job result that can stop early and says what it kept."""

    cancelled: bool

    def summary(self) -> str: ...


class Status(enum.Enum):
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass
class Outcome(Generic[T]):
    """How a job ended. ``value``: its result (for CANCELLED: what it kept, None = nothing);
    ``message``: what to tell the user (the error, or what a cancelled run kept)."""

    status: Status
    value: T | None = None
    message: str = ""
    trace: str = ""

    @property
    def finished(self) -> bool:
        return self.status is Status.FINISHED

    @property
    def cancelled(self) -> bool:
        return self.status is Status.CANCELLED

    @property
    def failed(self) -> bool:
        return self.status is Status.FAILED


def outcome_of(value: Any, token: CancelToken) -> Outcome[Any]:
    """The outcome of a job that returned ``value``: a :class:`Partial` says itself whether it was cut
    short; any other value counts as cancelled when the token was cancelled before it returned."""
    if isinstance(value, Partial):
        if value.cancelled:
            return Outcome(Status.CANCELLED, value, value.summary())
        return Outcome(Status.FINISHED, value, value.summary())
    if token.cancelled:
        return Outcome(Status.CANCELLED, None, "Cancelled: nothing was kept.")
    return Outcome(Status.FINISHED, value)


def run_job(job: Callable[[CancelToken, ProgressFn], T], token: CancelToken | None = None,
            progress: ProgressFn = no_progress) -> Outcome[T]:
    """Run ``job`` on this thread; never raises for the job's own failures (they become FAILED)."""
    token = token or CancelToken()
    try:
        value = job(token, progress)
    except Cancelled:
        return Outcome(Status.CANCELLED, None, "Cancelled: nothing was kept.")
    except Exception as exc:  # noqa: BLE001 - every failure of a job becomes a FAILED outcome with its message
        log.debug("job failed", exc_info=True)
        return Outcome(Status.FAILED, None, str(exc) or type(exc).__name__, traceback.format_exc())
    return outcome_of(value, token)

