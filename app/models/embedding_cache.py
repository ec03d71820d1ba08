"""A thread-safe LRU of image embeddings bounded in MiB (SAM 2 tiny..large: 16 MiB per image in fp32)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

MIB = 1024 * 1024


@dataclass(frozen=True)
class Embedding:
    """SAM 2 image features of one image: ``image_embed`` (1, 256, S/16, S/16), ``high_res`` the two
    finer maps (1, 32, S/4, S/4) and (1, 64, S/8, S/8), all float32; ``orig_hw`` the image size."""

    image_embed: np.ndarray
    high_res: tuple[np.ndarray, ...]
    orig_hw: tuple[int, int]

    @property
    def nbytes(self) -> int:
        return int(self.image_embed.nbytes + sum(a.nbytes for a in self.high_res))


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
