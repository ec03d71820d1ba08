"""The frame bookkeeping of a distributed run, in one place: which frames wait, run, finished or failed.

Frames are handed out in shards (a few consecutive frames of the run). A shard whose worker was lost
comes back split into single frames, each with one more try; a frame lost twice is given up and named
in the run's result. A frame finishes at most once: a late or repeated result of a finished frame is
refused, so nothing is ever written twice. The driver writes finished frames in run order from
:meth:`FrameLedger.take_resolved`. (Resumable runs will record finished frames here.)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

#: How many times a frame is tried on a worker before it is given up.
TRIES = 2


@dataclass(frozen=True)
class Shard:
    indices: tuple[int, ...]  # positions in the run's work items
    tries: int = 0  # how many times these frames were lost with a worker already


class FrameLedger:
    def __init__(self, count: int, shard_size: int) -> None:
        if shard_size < 1:
            raise ValueError("shard size must be at least 1")
        self.count = count
        self._waiting: deque[Shard] = deque(
            Shard(tuple(range(start, min(count, start + shard_size)))) for start in range(0, count, shard_size))
        self._results: dict[int, Any] = {}
        self._failed: set[int] = set()
        self._cursor = 0  # frames before it were handed to the writer (or skipped)

    def peek(self) -> Shard | None:
        """The shard :meth:`next_shard` gives next (None: none waits)."""
        return self._waiting[0] if self._waiting else None

    def next_shard(self) -> Shard | None:
        return self._waiting.popleft() if self._waiting else None

    def finish(self, index: int, result: Any) -> None:
        if index in self._results or index in self._failed or index < self._cursor:
            raise ValueError(f"frame #{index} of the run was already resolved")  # never written twice
        self._results[index] = result

    def lost(self, shard: Shard) -> list[int]:
        """The worker running ``shard`` died: retry its frames one by one, or give up those tried enough.
        Returns the frames given up."""
        open_frames = [i for i in shard.indices if i not in self._results]
        if shard.tries + 1 >= TRIES:
            self._failed.update(open_frames)
            return open_frames
        self._waiting.extendleft(Shard((i,), shard.tries + 1) for i in reversed(open_frames))
        return []

    @property
    def complete(self) -> bool:
        return self._cursor >= self.count

    def take_resolved(self, *, all_left: bool = False) -> list[tuple[int, Any]]:
        """Frames from the cursor on, in run order, while each is resolved: ``(index, result)``, result
        None for a failed frame. With ``all_left`` (the run ends early), every frame left: the
        unresolved ones with None too."""
        out = []
        while self._cursor < self.count:
            index = self._cursor
            if index in self._results:
                out.append((index, self._results.pop(index)))
            elif index in self._failed or all_left:
                out.append((index, None))
            else:
                break
            self._cursor += 1
        return out
