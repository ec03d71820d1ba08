"""What every per-type matcher returns: the assignment, the similarity of each paired object, and for
every object its best similarity to any object it was compared with (for mean IoU of unmatched ones).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from app.quality.assignment import Assignment
from app.quality.objects import QObject


@dataclass
class TypeResult:
    assignment: Assignment[QObject, QObject] = field(default_factory=Assignment)
    pair_similarity: dict[tuple[int, int], float] = field(default_factory=dict)  # (id(gt), id(ds)) -> s
    best: dict[int, float | None] = field(default_factory=dict)  # id(obj) -> best s (None: never compared)

    def similarity(self, gt: QObject, ds: QObject) -> float | None:
        return self.pair_similarity.get((id(gt), id(ds)))


def first_max(values: Sequence[float]) -> float | None:
    """Python ``max`` semantics (first maximal element wins, NaN handled like CVAT's list max)."""
    best = None
    for v in values:
        if best is None or v > best:
            best = v
    return best


def fill_best(result: TypeResult, a: Sequence[QObject], b: Sequence[QObject], sim: np.ndarray) -> None:
    """Best similarity per object from the pairwise matrix (rows: ``a``, columns: ``b``)."""
    if not len(a) or not len(b):
        for obj in (*a, *b):
            result.best[id(obj)] = None
        return
    finite = not np.isnan(sim).any()
    for i, obj in enumerate(a):
        result.best[id(obj)] = float(sim[i].max()) if finite else first_max(sim[i].tolist())
    for j, obj in enumerate(b):
        result.best[id(obj)] = float(sim[:, j].max()) if finite else first_max(sim[:, j].tolist())


def record_pairs(result: TypeResult, sim: np.ndarray, a: Sequence[QObject], b: Sequence[QObject]) -> None:
    """Remember the similarity of every assigned pair (index lookups through object identity)."""
    row = {id(o): i for i, o in enumerate(a)}
    col = {id(o): j for j, o in enumerate(b)}
    for x, y in (*result.assignment.matches, *result.assignment.mismatches):
        result.pair_similarity[(id(x), id(y))] = float(sim[row[id(x)], col[id(y)]])


def is_nan(value: float | None) -> bool:
    return value is not None and isinstance(value, float) and math.isnan(value)
