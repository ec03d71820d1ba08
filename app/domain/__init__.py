"""The annotation domain: labels, shapes, tracks, tags. Pure Python, no Qt, no database."""

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import AttributeType, JobStage, JobState, JobType, LabelType, ShapeType, Source
from app.domain.labels import AttributeSpec, Label, LabelSet

__all__ = [
    "Annotations",
    "AttributeSpec",
    "AttributeType",
    "JobStage",
    "JobState",
    "JobType",
    "Label",
    "LabelSet",
    "LabelType",
    "Shape",
    "ShapeType",
    "Source",
    "Tag",
    "Track",
    "TrackedShape",
]
