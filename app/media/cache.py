"""A bounded frame cache with decode-ahead: neighbouring frames are decoded in background threads.

``get`` returns a cached frame at once or decodes it on the calling thread; ``prefetch`` schedules
decodes without blocking. Memory is bounded in bytes (least recently used frames go first).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from app.media.sources import FrameSource


class FrameCache:
    def __init__(self, source: FrameSource, capacity_bytes: int = 512 << 20, workers: int = 2) -> None:
        self.source = source
        self.capacity_bytes = capacity_bytes
        self._frames: OrderedDict[int, np.ndarray] = OrderedDict()
        self._pending: dict[int, Future[np.ndarray]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="frame-decode")
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self.source)

    def cached(self, index: int) -> bool:
        with self._lock:
            return index in self._frames

    def _store(self, index: int, frame: np.ndarray) -> None:
        with self._lock:
            if index in self._frames:
                return
            self._frames[index] = frame
            self._bytes += frame.nbytes
            while self._bytes > self.capacity_bytes and len(self._frames) > 1:
                _, old = self._frames.popitem(last=False)
                self._bytes -= old.nbytes

    def _decode(self, index: int) -> np.ndarray:
        frame = self.source.read(index)
        frame.setflags(write=False)
        self._store(index, frame)
        return frame

    def get(self, index: int) -> np.ndarray:
        """The frame (read-only array). Waits for a decode in flight rather than starting a second one."""
        with self._lock:
            frame = self._frames.get(index)
            if frame is not None:
                self._frames.move_to_end(index)
                self.hits += 1
                return frame
            pending = self._pending.get(index)
            self.misses += 1
        if pending is not None:
            return pending.result()
        return self._decode(index)

    def prefetch(self, indices: Iterable[int]) -> None:
        """Schedule background decodes of ``indices`` (those not cached or in flight)."""
        size = len(self.source)
        with self._lock:
            wanted = [i for i in indices if 0 <= i < size and i not in self._frames and i not in self._pending]
            futures = {i: self._pool.submit(self._decode, i) for i in wanted}
            self._pending.update(futures)
        # Outside the lock: a future already done (a fast decode, a missing file) runs its callback at
        # once on this thread, and _forget takes the lock (it deadlocked here when held).
        for i, future in futures.items():
            future.add_done_callback(lambda _f, i=i: self._forget(i))

    def _forget(self, index: int) -> None:
        with self._lock:
            self._pending.pop(index, None)

    def around(self, index: int, ahead: int = 4, behind: int = 1) -> None:
        """Prefetch the neighbours of ``index`` (forward first: annotators mostly move forward)."""
        self.prefetch([index + k for k in range(1, ahead + 1)] + [index - k for k in range(1, behind + 1)])

    def wait_idle(self, timeout: float | None = None) -> None:
        with self._lock:
            pending = list(self._pending.values())
        for future in pending:
            future.exception(timeout=timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.source.close()
