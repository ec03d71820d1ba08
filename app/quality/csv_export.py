"""CSV export of quality reports: one table with a ``row_type`` column (:func:`to_csv`), or one row per
conflict (:func:`conflicts_to_csv`).

- ``summary``: one row per report given (job/task/project): frames, conflict counts, counts and metrics;
- ``label``: per-label metrics of the main report's confusion matrix;
- ``conflict``: one row per conflict: frame, frame name, type, severity, annotation ids and shape types.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from app.quality.conflicts import AnnotationRef
from app.quality.report import Report
from app.quality.review import conflict_sides

COLUMNS = [
    "row_type", "scope", "target_id", "frame", "frame_name", "type", "severity", "annotation_ids", "shape_types",
    "label", "total_frames", "validation_frames", "validation_frame_share", "conflict_count", "warning_count",
    "error_count", "valid_count", "ds_count", "gt_count", "total_count", "accuracy", "precision", "recall",
    "jaccard_index", "mean_iou",
]


def rows(reports: Sequence[tuple[str, int, Report]], frame_names: dict[int, str] | None = None) -> list[dict]:
    """Rows for ``reports`` ((scope, target id, report)); labels and conflicts come from the first one."""
    out: list[dict] = []
    for scope, target, report in reports:
        s = report.summary()
        out.append({"row_type": "summary", "scope": scope, "target_id": target, **{
            k: s[k] for k in ("total_frames", "validation_frames", "validation_frame_share", "conflict_count",
                              "warning_count", "error_count", "valid_count", "ds_count", "gt_count", "total_count",
                              "accuracy", "precision", "recall")},
            "mean_iou": report.components.shape.to_dict()["mean_iou"]})
    if not reports:
        return out
    scope, target, main = reports[0]
    a = main.annotations
    if a.rows is not None:
        per = a.per_label()
        for k, name in enumerate(a.labels[:-1]):
            out.append({"row_type": "label", "scope": scope, "target_id": target, "label": name,
                        "valid_count": int(a.rows[k, k]), "ds_count": int(a.rows[k, :].sum()),
                        "gt_count": int(a.rows[:, k].sum()), "precision": per["precision"][k],
                        "recall": per["recall"][k], "accuracy": per["accuracy"][k],
                        "jaccard_index": per["jaccard_index"][k]})
    names = {**main.frame_names, **(frame_names or {})}
    for c in main.conflicts:
        out.append({"row_type": "conflict", "scope": scope, "target_id": target, "frame": c.frame_id,
                    "frame_name": names.get(c.frame_id, ""), "type": str(c.type), "severity": str(c.severity),
                    "annotation_ids": ";".join(f"{a.type}:{a.obj_id}@job{a.job_id}" for a in c.annotation_ids),
                    "shape_types": ";".join(c.shape_types())})
    return out


def to_csv(reports: Sequence[tuple[str, int, Report]], frame_names: dict[int, str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows(reports, frame_names):
        writer.writerow(row)
    return buffer.getvalue()


def write_csv(path: str | Path, reports: Sequence[tuple[str, int, Report]],
              frame_names: dict[int, str] | None = None) -> None:
    """Write atomically (temporary file, then replace)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(to_csv(reports, frame_names), encoding="utf-8")
    tmp.replace(path)


CONFLICT_COLUMNS = ["frame", "frame_name", "type", "severity", "job_annotations", "gt_annotations", "shape_types"]


def _refs(refs: Sequence[AnnotationRef]) -> str:
    return ";".join(f"{a.type}:{a.obj_id}@job{a.job_id}" for a in refs)


def conflict_rows(report: Report, frame_names: dict[int, str] | None = None) -> list[dict]:
    """One row per conflict of ``report``, in frame order: the job's and the GT's annotations apart."""
    names = {**report.frame_names, **(frame_names or {})}
    out = []
    for c in sorted(report.conflicts, key=lambda c: c.frame_id):
        job_side, gt_side = conflict_sides(c)
        out.append({"frame": c.frame_id, "frame_name": names.get(c.frame_id, ""), "type": str(c.type),
                    "severity": str(c.severity), "job_annotations": _refs(job_side), "gt_annotations": _refs(gt_side),
                    "shape_types": ";".join(c.shape_types())})
    return out


def conflicts_to_csv(report: Report, frame_names: dict[int, str] | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CONFLICT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(conflict_rows(report, frame_names))
    return buffer.getvalue()


def write_conflicts_csv(path: str | Path, report: Report, frame_names: dict[int, str] | None = None) -> None:
    """The per-conflict CSV, written atomically."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(conflicts_to_csv(report, frame_names), encoding="utf-8")
    tmp.replace(path)
