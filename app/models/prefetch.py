"""Decode the next frames on a thread while the model works on the current one.

One long-lived daemon thread reads frames in run order into a small bounded queue (no per-frame task
submission: handing each frame to a pool costs the inference thread lock and GIL round trips), and
applies ``prepare`` (the function's input conversion) there too, so the inference thread only takes
ready inputs. Errors of a frame are re-raised by :meth:`FramePrefetcher.get` for that frame.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from app.media.sources import FrameSource

_STOP = object()


class FramePrefetcher:
    """Iterate prepared frames of ``frames`` in order, decoded up to ``depth`` frames ahead."""

    def __init__(self, source: FrameSource, frames: Sequence[int], prepare: Callable[[Any], Any] | None = None,
                 depth: int = 3) -> None:
        self._frames = list(frames)
        self._source = source
        self._prepare = prepare or (lambda array: array)
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="aa-prefetch", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self) -> None:
        for frame in self._frames:
            try:
                item: tuple[bool, Any] = (True, self._prepare(self._source.read(frame)))
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised for this frame
                item = (False, exc)
            if not self._put(item) or not item[0]:
                return

    def get(self) -> Any:
        """The next prepared frame (blocks until it is decoded); re-raises its decoding error."""
        ok, value = self._queue.get()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Stop reading ahead and wait for the thread (at most one frame's decode)."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._thread.join()

    def __enter__(self) -> FramePrefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
