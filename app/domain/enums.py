"""Enumerations shared by every layer. Values are CVAT's own strings, so they map 1:1 to its formats."""

from __future__ import annotations

from enum import StrEnum


class ShapeType(StrEnum):
    RECTANGLE = "rectangle"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINTS = "points"
    ELLIPSE = "ellipse"
    CUBOID = "cuboid"
    MASK = "mask"
    SKELETON = "skeleton"


class LabelType(StrEnum):
    ANY = "any"
    RECTANGLE = "rectangle"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINTS = "points"
    ELLIPSE = "ellipse"
    CUBOID = "cuboid"
    MASK = "mask"
    SKELETON = "skeleton"
    TAG = "tag"

    def accepts(self, shape_type: ShapeType | str) -> bool:
        """Whether a shape of ``shape_type`` may carry a label of this type (CVAT's rule)."""
        shape_type = str(shape_type)
        if self is LabelType.ANY:
            return shape_type != ShapeType.SKELETON and shape_type != "tag"
        return self.value == shape_type


class Source(StrEnum):
    MANUAL = "manual"
    SEMI_AUTO = "semi-auto"
    AUTO = "auto"
    FILE = "file"
    CONSENSUS = "consensus"


class AttributeType(StrEnum):
    SELECT = "select"
    RADIO = "radio"
    CHECKBOX = "checkbox"
    NUMBER = "number"
    TEXT = "text"


class JobType(StrEnum):
    ANNOTATION = "annotation"
    GROUND_TRUTH = "ground_truth"
    CONSENSUS_REPLICA = "consensus_replica"


class JobStage(StrEnum):
    ANNOTATION = "annotation"
    VALIDATION = "validation"
    ACCEPTANCE = "acceptance"


class JobState(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in progress"
    COMPLETED = "completed"
    REJECTED = "rejected"


class TaskMode(StrEnum):
    """CVAT's task mode: ``annotation`` for image sets, ``interpolation`` for videos."""

    ANNOTATION = "annotation"
    INTERPOLATION = "interpolation"
