"""Quality settings as CVAT v2.73 defines them: names, defaults, ranges, validation, inheritance.

One settings object per project and per task. A task uses the project's settings while its own
``inherit`` flag is true (CVAT's default). Stored as JSON with CVAT's field names (project.quality_settings
and task.quality_settings columns); ``None`` in the task column means "inherit".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from sqlalchemy import text

POINT_SIZE_BASES = ("group_bbox_size", "image_size")
TARGET_METRICS = ("accuracy", "precision", "recall")
DEFAULT_JOB_FILTER = '{"==":[{"var":"type"},"annotation"]}'

#: Comparison order of annotation types (CVAT's ``included_annotation_types``; "label" means tags).
INCLUDED_ANNOTATION_TYPES = ("bbox", "points", "mask", "polygon", "polyline", "skeleton", "label", "ellipse")

_UNIT_RANGE = (
    "iou_threshold", "low_overlap_threshold", "oks_sigma", "line_thickness", "line_orientation_threshold",
    "group_match_threshold", "object_visibility_threshold", "target_metric_threshold",
)


class SettingsError(ValueError):
    """A quality setting has a wrong name, type or value."""


@dataclass
class QualitySettings:
    """Every setting of CVAT's ``QualitySettings`` with its default."""

    iou_threshold: float = 0.4
    low_overlap_threshold: float = 0.8
    oks_sigma: float = 0.09
    point_size_base: str = "group_bbox_size"
    line_thickness: float = 0.01
    compare_line_orientation: bool = True
    line_orientation_threshold: float = 0.1
    compare_groups: bool = True
    group_match_threshold: float = 0.5
    check_covered_annotations: bool = True
    object_visibility_threshold: float = 0.05
    panoptic_comparison: bool = True
    compare_attributes: bool = True
    empty_is_annotated: bool = False
    target_metric: str = "accuracy"
    target_metric_threshold: float = 0.7
    max_validations_per_job: int = 0
    job_filter: str = DEFAULT_JOB_FILTER
    inherit: bool = True
    ignored_attributes: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ validation and (de)serialisation

    def validate(self) -> QualitySettings:
        """Raise :class:`SettingsError` naming the first bad setting; returns self."""
        for name in _UNIT_RANGE:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SettingsError(f"{name} must be a number, not {value!r}")
            if not 0.0 <= float(value) <= 1.0:
                raise SettingsError(f"{name} must be in [0, 1], got {value}")
            setattr(self, name, float(value))
        for name in ("compare_line_orientation", "compare_groups", "check_covered_annotations",
                     "panoptic_comparison", "compare_attributes", "empty_is_annotated", "inherit"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name} must be true or false, not {getattr(self, name)!r}")
        if self.point_size_base not in POINT_SIZE_BASES:
            raise SettingsError(f"point_size_base must be one of {POINT_SIZE_BASES}, got {self.point_size_base!r}")
        if self.target_metric not in TARGET_METRICS:
            raise SettingsError(f"target_metric must be one of {TARGET_METRICS}, got {self.target_metric!r}")
        value = self.max_validations_per_job
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SettingsError(f"max_validations_per_job must be an integer >= 0, got {value!r}")
        if not isinstance(self.job_filter, str):
            raise SettingsError("job_filter must be a JSON-Logic string")
        if self.job_filter.strip():
            try:
                json.loads(self.job_filter)
            except ValueError as exc:
                raise SettingsError(f"job_filter is not valid JSON: {exc}") from exc
        if not isinstance(self.ignored_attributes, list) or not all(
            isinstance(a, str) for a in self.ignored_attributes
        ):
            raise SettingsError("ignored_attributes must be a list of attribute names")
        return self

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None, *, strict: bool = True) -> QualitySettings:
        """Settings from CVAT-named keys; omitted keys take the defaults. Unknown keys raise when ``strict``."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        ignorable = {"id", "task_id", "project_id", "created_date", "updated_date", "inherited",
                     "included_annotation_types"}
        unknown = set(values) - known - ignorable
        if unknown and strict:
            raise SettingsError(f"unknown quality setting(s): {', '.join(sorted(unknown))}")
        settings = cls(**{k: v for k, v in values.items() if k in known})
        if isinstance(settings.max_validations_per_job, float) and settings.max_validations_per_job.is_integer():
            settings.max_validations_per_job = int(settings.max_validations_per_job)
        return settings.validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def parameters(self, *, inherited: bool = False) -> dict[str, Any]:
        """The ``parameters`` object stored in every report (CVAT's ComparisonParameters)."""
        data = self.to_dict()
        data.pop("inherit")
        data["included_annotation_types"] = list(INCLUDED_ANNOTATION_TYPES)
        data["inherited"] = inherited
        return data

    def comparison_key(self) -> str:
        """A stable text of the settings that affect results (reports compare it to detect staleness)."""
        data = self.to_dict()
        data.pop("inherit")
        return json.dumps(data, sort_keys=True)


def effective_settings(project: Any, task_id: int | None = None) -> tuple[QualitySettings, bool]:
    """The settings a report of ``task_id`` (or of the project) uses, and whether they were inherited.

    ``project`` is an :class:`app.storage.store.Project`. A task without its own row, or whose own settings
    have ``inherit`` true, uses the project's settings (CVAT's rule).
    """
    project_settings = QualitySettings.from_dict(project.quality_settings(None), strict=False)
    if task_id is None:
        return project_settings, False
    row = project.conn.execute(text("SELECT quality_settings FROM task WHERE id = :id"), {"id": task_id}).first()
    own = json.loads(row[0]) if row and row[0] else None
    if own is None:
        return project_settings, True
    task_settings = QualitySettings.from_dict(own, strict=False)
    if task_settings.inherit:
        return project_settings, True
    return task_settings, False


def save_settings(project: Any, settings: QualitySettings, task_id: int | None = None) -> None:
    """Store validated settings for the project or a task (a task with ``inherit`` keeps its own copy)."""
    settings.validate()
    project.set_quality_settings(settings.to_dict(), task_id=task_id)
