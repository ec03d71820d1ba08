"""The generic assignment step of CVAT's comparison ("match_segments").

Geometry decides the pairing (minimum-cost assignment over 1 - similarity), labels only classify each
pair afterwards as a match or a label mismatch. SciPy's ``linear_sum_assignment`` solves it, as in CVAT,
so ties resolve the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

A = TypeVar("A")
B = TypeVar("B")


@dataclass
class Assignment(Generic[A, B]):
    """Result of one assignment: pairs with equal labels, pairs with different labels, leftovers."""

    matches: list[tuple[A, B]] = field(default_factory=list)
    mismatches: list[tuple[A, B]] = field(default_factory=list)
    a_unmatched: list[A] = field(default_factory=list)
    b_unmatched: list[B] = field(default_factory=list)


def cost_matrix(similarity: np.ndarray, n: int, threshold: float) -> np.ndarray:
    """Square cost matrix (padding cost 1): 1 - s, non-finite -> 1, above 1 - threshold -> 1."""
    na, nb = similarity.shape
    cost = np.ones((n, n), dtype=float)
    if na and nb:
        cost[:na, :nb] = 1 - similarity
    cost[~np.isfinite(cost)] = 1
    cost[cost > 1 - threshold] = 1
    return cost


def assign(
    a: Sequence[A],
    b: Sequence[B],
    similarity: np.ndarray,
    threshold: float,
    same_label: Callable[[A, B], bool],
) -> Assignment[A, B]:
    """Assign ``a`` (GT side) to ``b`` (job side) given ``similarity[i, j]`` in [0, 1] (or -1, NaN)."""
    result: Assignment[A, B] = Assignment()
    if not a or not b:
        result.a_unmatched = list(a)
        result.b_unmatched = list(b)
        return result
    n = max(len(a), len(b))
    cost = cost_matrix(np.asarray(similarity, dtype=float).reshape(len(a), len(b)), n, threshold)
    rows, cols = linear_sum_assignment(cost)
    limit = 1 - threshold
    for i, j in zip(rows.tolist(), cols.tolist()):
        d = cost[i, j]
        if d > limit or d == 1:
            if i < len(a):
                result.a_unmatched.append(a[i])
            if j < len(b):
                result.b_unmatched.append(b[j])
        elif same_label(a[i], b[j]):
            result.matches.append((a[i], b[j]))
        else:
            result.mismatches.append((a[i], b[j]))
    return result


def same_label_attr(x: object, y: object) -> bool:
    return x.label == y.label  # type: ignore[attr-defined]
