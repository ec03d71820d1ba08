"""Write a report as JSON piece by piece (``quality compare/report --json``): memory stays flat however
many frames the report has, and every piece goes through the C encoder (compact output)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from app.quality.report import Report

_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=True).encode


def conflict_items(report: Report) -> Iterable[dict[str, Any]]:
    """The flat conflict list of the CLI's JSON and CSV (job annotation first, ``"tag"`` for tags)."""
    for c in report.conflicts:
        yield {"frame": c.frame_id, "frame_name": report.frame_names.get(c.frame_id, ""), "type": str(c.type),
               "severity": str(c.severity), "shape_types": c.shape_types(),
               "annotation_ids": [a.to_dict() for a in c.annotation_ids]}


def _items(out: IO[str], items: Iterable[Any]) -> None:
    out.write("[")
    for k, item in enumerate(items):
        out.write("," if k else "")
        out.write(_dumps(item))
    out.write("]")


def _report(out: IO[str], report: Report) -> None:
    head = report.to_data(frame_results=False)
    out.write("{")
    for k, (key, value) in enumerate(head.items()):
        out.write(("," if k else "") + _dumps(key) + ":")
        if key == "frame_results" and report.frame_results is not None:
            out.write("{")
            for n, (fid, entry) in enumerate(report.frame_entries()):
                out.write(("," if n else "") + _dumps(fid) + ":" + _dumps(entry))
            out.write("}")
        else:
            out.write(_dumps(value))
    out.write("}")


def write_report_json(path: str | Path, report: Report) -> None:
    """``{"summary": ..., "conflicts": [...], "report": {...}}`` to ``path`` (written to a temporary file
    beside it first, so a failure leaves no half-written file)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write('{"summary":' + _dumps(report.summary()) + ',"conflicts":')
            _items(out, conflict_items(report))
            out.write(',"report":')
            _report(out, report)
            out.write("}")
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
