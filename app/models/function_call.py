"""Calling a user function's ``detect`` safely: ``sys.exit()`` / ``KeyboardInterrupt`` inside it, and a
per-frame time limit (Qt-free).

Without a time limit the call runs on the calling thread (no overhead). With one it runs on a single
long-lived daemon thread and the caller waits at most ``timeout`` seconds: a hung call cannot be
killed (Python has no way to stop a thread), so the caller stops waiting, raises
:class:`FrameTimedOut` and abandons the thread (it ends with the process, or returns later unseen).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class UserInterrupt(KeyboardInterrupt):
    """The user's own Ctrl-C (raised by the CLI's handler), never blamed on the function."""


class FunctionExited(RuntimeError):
    """The function raised SystemExit or KeyboardInterrupt; the message says which."""


class FrameTimedOut(RuntimeError):
    """``detect`` did not return within the time limit."""


def function_name(function: Any) -> str:
    """A name to show for a loaded function (module name, file, or class)."""
    module_file = getattr(function, "__file__", None)
    if module_file:
        return str(module_file)
    return str(getattr(function, "__name__", None) or type(function).__name__)


def exit_message(exc: BaseException, name: str) -> str:
    if isinstance(exc, SystemExit):
        return f"the function {name} called sys.exit({exc.code!r}) in detect()"
    return f"the function {name} raised KeyboardInterrupt in detect()"


def call_guarded(fn: Callable[..., Any], args: tuple, name: str) -> Any:
    """``fn(*args)`` on this thread; SystemExit / KeyboardInterrupt become :class:`FunctionExited`."""
    try:
        return fn(*args)
    except UserInterrupt:
        raise
    except (SystemExit, KeyboardInterrupt) as exc:
        raise FunctionExited(exit_message(exc, name)) from None


class TimedCaller:
    """Runs calls one at a time on its own daemon thread, waiting at most ``timeout`` seconds for each."""

    def __init__(self, timeout: float, name: str) -> None:
        if timeout <= 0:
            raise ValueError("the frame timeout must be more than 0 seconds")
        self.timeout = float(timeout)
        self.name = name
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._hung = False
        self._thread = threading.Thread(target=self._work, name="aa-detect", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, box, done = job
            try:
                box.append((True, fn(*args)))
            except BaseException as exc:  # noqa: BLE001 - handed back to the waiting caller
                box.append((False, exc))
            done.set()

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._hung:
            raise FrameTimedOut("an earlier call is still running")
        box: list[tuple[bool, Any]] = []
        done = threading.Event()
        self._jobs.put((fn, args, box, done))
        if not done.wait(self.timeout):
            self._hung = True
            raise FrameTimedOut(f"detect() of {self.name} did not return within {self.timeout:g} s")
        ok, value = box[0]
        if ok:
            return value
        if isinstance(value, (SystemExit, KeyboardInterrupt)):
            raise FunctionExited(exit_message(value, self.name)) from None
        raise value

    def close(self) -> None:
        """Let the thread end (a hung one is abandoned: it is a daemon)."""
        if not self._hung:
            self._jobs.put(None)
