"""What the GUI shows of a quality report, Qt-free: the summary with human labels, the note on
scaled counts, the conflicts by type, and the Ground Truth shapes a conflict is about (drawn over
the job's frame so a missing annotation is visible where it should be).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from app.domain.annotations import Shape
from app.domain.interpolation import track_to_shapes
from app.quality.conflicts import AnnotationRef, Conflict, ConflictType
from app.quality.report import Report


def type_label(conflict_type: ConflictType | str) -> str:
    """``missing_annotation`` -> ``Missing annotation``."""
    text = str(conflict_type).replace("_", " ")
    return text[:1].upper() + text[1:]


def _percent(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.1%}"


def conflicts_by_type(report: Report) -> list[tuple[str, int]]:
    """(conflict type, count), most frequent first."""
    _count, _warnings, _errors, by_type = report.conflict_counts()
    return sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))


def summary_rows(report: Report) -> list[tuple[str, str]]:
    """(label, value) rows of the report's summary, in the words of CVAT's report page."""
    s = report.summary()
    mean_iou = report.components.shape.to_dict()["mean_iou"]
    share = _percent(s["validation_frame_share"])
    rows = [
        ("Accuracy", _percent(s["accuracy"])),
        ("Precision", _percent(s["precision"])),
        ("Recall", _percent(s["recall"])),
        ("Mean IoU (shapes)", "n/a" if mean_iou is None else f"{mean_iou:.3f}"),
        ("Frames checked", f"{s['validation_frames']} of {s['total_frames']} ({share})"),
        ("Matched annotations", str(s["valid_count"])),
        ("Job annotations", str(s["ds_count"])),
        ("Ground Truth annotations", str(s["gt_count"])),
        ("All annotations (union)", str(s["total_count"])),
        ("Conflicts", f"{s['conflict_count']} ({s['error_count']} errors, {s['warning_count']} warnings)"),
    ]
    by_type = conflicts_by_type(report)
    rows.append(("Conflicts by type", "none" if not by_type else ""))
    rows += [(f"    {type_label(t)}", str(n)) for t, n in by_type]
    jobs = s.get("jobs")
    if jobs:
        rows.append(("Jobs", f"{jobs['included']} included of {jobs['total']} ({jobs['excluded']} excluded by the "
                             f"job filter, {jobs['not_checkable']} without GT frames)"))
    tasks = s.get("tasks")
    if tasks:
        rows.append(("Tasks", f"{tasks['included']} included of {tasks['total']} ({tasks['not_configured']} without "
                              f"usable Ground Truth, {tasks['custom']} with their own settings, "
                              f"{tasks['excluded']} without included jobs)"))
    return rows


def scaling_note(report: Report, parts: Sequence[tuple[str, int, Report]] = ()) -> str:
    """What the counts of a task or project report mean (CVAT's roll-up rules), with an example from
    ``parts`` (the task reports of a project report) when one shows the scaling."""
    if report.scope == "task":
        return ("Counts are sums over the jobs' Ground Truth frames; accuracy, precision and recall are "
                "recomputed from those sums. A frame that is in two overlapping jobs counts once per job.")
    if report.scope != "project":
        return ""
    note = ("Counts are extrapolated to whole tasks, as CVAT does: each task's counts are divided by the share "
            "of its frames that have Ground Truth, rounded up. So they estimate the whole project; they are "
            "not the number of annotations actually compared.")
    for scope, target, part in parts:
        share = part.frame_share
        if scope == "task" and 0 < share < 1 and part.annotations.gt_count:
            scaled = math.ceil(part.annotations.gt_count / share)
            note += (f" Example: task {target} has {part.annotations.gt_count} Ground Truth annotations on "
                     f"{part.frame_count} of {part.total_frames} frames; the project counts them as {scaled}.")
            break
    return note


def conflict_sides(conflict: Conflict) -> tuple[list[AnnotationRef], list[AnnotationRef]]:
    """(job annotations, GT annotations) of a conflict: a missing annotation is a GT one; every other
    conflict lists the job annotation first, then (for pairs) the GT one."""
    refs = list(conflict.annotation_ids)
    if conflict.type is ConflictType.MISSING_ANNOTATION:
        return [], refs
    return refs[:1], refs[1:]


def gt_refs(annotation_ids: Iterable[AnnotationRef | dict[str, Any]], job_id: int) -> list[AnnotationRef]:
    """The references of a conflict that are not the job's own (the Ground Truth side)."""
    refs = [a if isinstance(a, AnnotationRef) else AnnotationRef.from_dict(a) for a in annotation_ids]
    return [a for a in refs if a.job_id != job_id and a.type in ("shape", "track")]


def gt_shapes(project: Any, frame: int, refs: Sequence[AnnotationRef]) -> list[Shape]:
    """The Ground Truth shapes ``refs`` point at on ``frame`` (track references give the track's shape
    on that frame). References that no longer resolve (the GT was edited since) are left out."""
    out: list[Shape] = []
    by_job: dict[int, list[AnnotationRef]] = {}
    for ref in refs:
        by_job.setdefault(ref.job_id, []).append(ref)
    for job_id, items in by_job.items():
        shape_ids = {r.obj_id for r in items if r.type == "shape"}
        if shape_ids:
            out += [s for s in project.frame_shapes(job_id, frame) if s.id in shape_ids]
        track_ids = [r.obj_id for r in items if r.type == "track"]
        if track_ids:
            for track in project.tracks(job_id, track_ids):
                out += track_to_shapes(track, [frame])
    return out
