"""Counts and metrics: confusion matrix, annotation summary, shape/label components (CVAT v2.73).

Confusion matrix rows are job (ds) labels, columns GT labels, the last row/column "unmatched".
valid = trace, ds = all rows but the last, gt = all columns but the last; accuracy = valid/total,
precision = valid/ds, recall = valid/gt (each with divisor 1 when 0). Roll-ups add counts, optionally
extrapolated with ``ceil(count * weight)`` per field (project reports).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

COUNT_FIELDS = ("valid_count", "missing_count", "extra_count", "total_count", "ds_count", "gt_count")


def confusion_matrix(n_labels: int, top_level: list[int], matches: list, mismatches: list,
                     gt_unmatched: list, ds_unmatched: list) -> np.ndarray:
    """One frame's matrix: +1 at [job label, GT label] per pair, extras in the last column, missing in the last row."""
    index = {label: k for k, label in enumerate(top_level)}
    size = len(top_level) + 1
    matrix = np.zeros((size, size), dtype=np.int64)
    for g, d in (*matches, *mismatches):
        matrix[index[d.label], index[g.label]] += 1
    for d in ds_unmatched:
        matrix[index[d.label], -1] += 1
    for g in gt_unmatched:
        matrix[-1, index[g.label]] += 1
    return matrix


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    divisor = b.copy()
    divisor[b == 0] = 1
    return a / divisor


@dataclass
class AnnotationsSummary:
    valid_count: int = 0
    missing_count: int = 0
    extra_count: int = 0
    total_count: int = 0
    ds_count: int = 0
    gt_count: int = 0
    labels: list[str] = field(default_factory=list)
    rows: np.ndarray | None = None

    @property
    def accuracy(self) -> float:
        return self.valid_count / (self.total_count or 1)

    @property
    def precision(self) -> float:
        return self.valid_count / (self.ds_count or 1)

    @property
    def recall(self) -> float:
        return self.valid_count / (self.gt_count or 1)

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, labels: list[str]) -> AnnotationsSummary:
        diag = np.diag(matrix)
        ds = matrix.sum(axis=1)
        gt = matrix.sum(axis=0)
        return cls(valid_count=int(diag.sum()), missing_count=int(matrix[-1, :].sum()),
                   extra_count=int(matrix[:, -1].sum()), total_count=int(matrix.sum()),
                   ds_count=int(ds[:-1].sum()), gt_count=int(gt[:-1].sum()), labels=list(labels), rows=matrix.copy())

    def per_label(self) -> dict[str, list[float]]:
        """Per-label precision, recall, accuracy and Jaccard index, like CVAT's confusion matrix fields."""
        if self.rows is None:
            return {"precision": [], "recall": [], "accuracy": [], "jaccard_index": []}
        m = self.rows
        diag = np.diag(m).astype(float)
        ds, gt, total = m.sum(axis=1), m.sum(axis=0), m.sum()
        return {
            "precision": _div(diag, ds).tolist(),
            "recall": _div(diag, gt).tolist(),
            "accuracy": ((total - (ds - diag) - (gt - diag)) / (total or 1)).tolist(),
            "jaccard_index": _div(diag, ds + gt - diag).tolist(),
        }

    def accumulate(self, other: AnnotationsSummary, weight: float = 1) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + math.ceil(getattr(other, name) * weight))
        if other.rows is not None and other.labels:
            if self.rows is None or not self.labels:
                self.labels = list(other.labels)
                self.rows = np.zeros_like(other.rows)
            self.rows = self.rows + np.ceil(other.rows * weight).astype(self.rows.dtype)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: int(getattr(self, name)) for name in COUNT_FIELDS}
        data.update(accuracy=self.accuracy, precision=self.precision, recall=self.recall)
        if self.rows is not None:
            data["confusion_matrix"] = {"labels": self.labels, "rows": self.rows.tolist(),
                                        "axes": {"cols": "gt", "rows": "ds"}, **self.per_label()}
        else:
            data["confusion_matrix"] = None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnnotationsSummary:
        cm = data.get("confusion_matrix") or {}
        return cls(**{n: int(data[n]) for n in COUNT_FIELDS}, labels=list(cm.get("labels", [])),
                   rows=np.asarray(cm["rows"], dtype=np.int64) if cm.get("rows") is not None else None)


@dataclass
class ShapeSummary:
    valid_count: int = 0
    missing_count: int = 0
    extra_count: int = 0
    total_count: int = 0
    ds_count: int = 0
    gt_count: int = 0
    mean_iou: float | None = 0.0

    @property
    def accuracy(self) -> float:
        return self.valid_count / (self.total_count or 1)

    def accumulate(self, other: ShapeSummary, weight: float = 1) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + math.ceil(getattr(other, name) * weight))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: int(getattr(self, name)) for name in COUNT_FIELDS}
        mean = self.mean_iou
        data["mean_iou"] = None if mean is None or (isinstance(mean, float) and math.isnan(mean)) else float(mean)
        data["accuracy"] = self.accuracy
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShapeSummary:
        mean = data.get("mean_iou")
        return cls(**{n: int(data[n]) for n in COUNT_FIELDS}, mean_iou=float("nan") if mean is None else mean)


@dataclass
class LabelSummary:
    valid_count: int = 0
    invalid_count: int = 0
    total_count: int = 0

    @property
    def accuracy(self) -> float:
        return self.valid_count / (self.total_count or 1)

    def accumulate(self, other: LabelSummary, weight: float = 1) -> None:
        for name in ("valid_count", "invalid_count", "total_count"):
            setattr(self, name, getattr(self, name) + math.ceil(getattr(other, name) * weight))

    def to_dict(self) -> dict[str, Any]:
        return {"valid_count": self.valid_count, "invalid_count": self.invalid_count,
                "total_count": self.total_count, "accuracy": self.accuracy}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelSummary:
        return cls(int(data["valid_count"]), int(data["invalid_count"]), int(data["total_count"]))


@dataclass
class Components:
    shape: ShapeSummary = field(default_factory=ShapeSummary)
    label: LabelSummary = field(default_factory=LabelSummary)

    def accumulate(self, other: Components, weight: float = 1) -> None:
        self.shape.accumulate(other.shape, weight)
        self.label.accumulate(other.label, weight)

    def to_dict(self) -> dict[str, Any]:
        return {"shape": self.shape.to_dict(), "label": self.label.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Components:
        return cls(ShapeSummary.from_dict(data["shape"]), LabelSummary.from_dict(data["label"]))


@dataclass
class FrameStats:
    """Per-frame annotation summary (with its confusion matrix) and components."""

    annotations: AnnotationsSummary
    components: Components

    @classmethod
    def build(cls, matrix: np.ndarray, *, shape_counts: tuple[int, int, int, int], label_counts: tuple[int, int],
              mean_iou: float, gt_empty: bool, ds_empty: bool, empty_is_annotated: bool,
              labels: list[str] | None = None) -> FrameStats:
        matches, mismatches, missing, extra = shape_counts
        valid = matches + mismatches
        shape = ShapeSummary(valid_count=valid, missing_count=missing, extra_count=extra,
                             total_count=valid + missing + extra, ds_count=valid + extra, gt_count=valid + missing,
                             mean_iou=mean_iou)
        label = LabelSummary(valid_count=label_counts[0], invalid_count=label_counts[1],
                             total_count=label_counts[0] + label_counts[1])
        annotations = AnnotationsSummary.from_matrix(matrix, labels or [])
        if empty_is_annotated:
            if gt_empty and ds_empty:
                label.valid_count = label.total_count = 1
                shape.valid_count = shape.total_count = 1
            if ds_empty:
                shape.ds_count = 1
            if gt_empty:
                shape.gt_count = 1
            if not annotations.total_count:
                annotations.valid_count = annotations.total_count = 1
            if not annotations.ds_count:
                annotations.ds_count = 1
            if not annotations.gt_count:
                annotations.gt_count = 1
        return cls(annotations, Components(shape, label))

    def to_dict(self) -> dict[str, Any]:
        return {"annotations": self.annotations.to_dict(), "annotation_components": self.components.to_dict()}
