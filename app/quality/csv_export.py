"""CSV export of quality reports: one table with a ``row_type`` column.

- ``summary``: one row per report given (job/task/project): frames, conflict counts, counts and metrics;
- ``label``: per-label metrics of the main report's confusion matrix;
- ``conflict``: one row per conflict: frame, frame name, type, severity, annotation ids and shape types.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from app.quality.report import Report

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
