"""Conflict types, severities and the annotation references conflicts carry (CVAT v2.73 names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ConflictType(StrEnum):
    MISSING_ANNOTATION = "missing_annotation"
    EXTRA_ANNOTATION = "extra_annotation"
    MISMATCHING_LABEL = "mismatching_label"
    LOW_OVERLAP = "low_overlap"
    MISMATCHING_DIRECTION = "mismatching_direction"
    MISMATCHING_ATTRIBUTES = "mismatching_attributes"
    MISMATCHING_GROUPS = "mismatching_groups"
    COVERED_ANNOTATION = "covered_annotation"


class Severity(StrEnum):
    WARNING = "warning"
    ERROR = "error"


ERROR_TYPES = frozenset(
    {ConflictType.MISSING_ANNOTATION, ConflictType.EXTRA_ANNOTATION, ConflictType.MISMATCHING_LABEL}
)


def severity_of(conflict_type: ConflictType | str) -> Severity:
    """Errors: missing, extra, mismatching label. Everything else is a warning (v2.73)."""
    return Severity.ERROR if ConflictType(conflict_type) in ERROR_TYPES else Severity.WARNING


@dataclass(frozen=True)
class AnnotationRef:
    """Which object a conflict is about: a shape, a track (its id) or a tag, in a job."""

    obj_id: int
    job_id: int
    type: str  # "shape" | "track" | "tag"
    shape_type: str | None  # None for tags

    def to_dict(self) -> dict[str, Any]:
        return {"obj_id": self.obj_id, "job_id": self.job_id, "type": self.type, "shape_type": self.shape_type}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnnotationRef:
        return cls(int(data["obj_id"]), int(data["job_id"]), str(data["type"]), data.get("shape_type"))


@dataclass
class Conflict:
    """One conflict on one frame. Pair conflicts list the job annotation first, then the GT one."""

    frame_id: int
    type: ConflictType
    annotation_ids: list[AnnotationRef] = field(default_factory=list)

    @property
    def severity(self) -> Severity:
        return severity_of(self.type)

    def to_dict(self) -> dict[str, Any]:
        return {"frame_id": self.frame_id, "type": str(self.type), "severity": str(self.severity),
                "annotation_ids": [a.to_dict() for a in self.annotation_ids]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conflict:
        return cls(int(data["frame_id"]), ConflictType(data["type"]),
                   [AnnotationRef.from_dict(a) for a in data.get("annotation_ids", [])])

    def shape_types(self) -> list[str]:
        """Shape type per annotation, ``"tag"`` for tags (CVAT itself reports null for tags)."""
        return [a.shape_type or "tag" for a in self.annotation_ids]
