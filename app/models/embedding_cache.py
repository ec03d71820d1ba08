"""A thread-safe LRU of image embeddings bounded in MiB (SAM 2 features: 16 MiB per image in fp32, 22 MiB
with the decoder's per-image precomputation)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

MIB = 1024 * 1024


@dataclass(frozen=True)
class Embedding:
    """What the SAM 2 decoder needs of one image (float32 arrays by name, chosen by the decoder: see
    :mod:`app.models.sam2_split`) and the image's ``orig_hw``. About 22 MiB for a 1024-px model."""

    arrays: dict[str, np.ndarray]
    orig_hw: tuple[int, int]

    @property
    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.arrays.values()))


class EmbeddingCache:
    """Least-recently-used embeddings whose total size stays under ``capacity_mib``.

    An entry bigger than the whole capacity is not kept (``put`` returns False)."""

    def __init__(self, capacity_mib: float = 256) -> None:
        if capacity_mib < 0:
            raise ValueError(f"cache capacity must be >= 0 MiB, got {capacity_mib}")
        self.capacity = int(capacity_mib * MIB)
        self._items: OrderedDict[Hashable, Embedding] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Embedding | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: Hashable, value: Embedding) -> bool:
        size = value.nbytes
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            if size > self.capacity:
                return False
            self._items[key] = value
            self._bytes += size
            while self._bytes > self.capacity:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes
            return True

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def resize(self, capacity_mib: float) -> None:
        with self._lock:
            self.capacity = int(capacity_mib * MIB)
            while self._items and self._bytes > self.capacity:
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.nbytes

    @property
    def used_mib(self) -> float:
        return self._bytes / MIB

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._items)
