"""A small project for field-package tests: image frames on disk, labels with an attribute, one task split
into jobs, and helpers to annotate and to compare jobs by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import AttributeType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.domain.project import FrameInfo
from app.packages.identity import digest
from app.storage.store import Project


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"img{i:03d}.png"
        Image.fromarray(np.full((24, 32, 3), (i * 37) % 256, np.uint8)).save(path)
        paths.append(path)
    return paths


def make_project(location: str, folder: Path, frames: int = 6, segment: int = 2) -> Project:
    """A project with one task of ``frames`` images (absolute paths: valid on both engines) in jobs of ``segment``."""
    labels = [
        Label(name="car", attributes=[AttributeSpec(name="colour", input_type=AttributeType.SELECT,
                                                    values=["red", "blue"], default_value="red", mutable=True)]),
        Label(name="person"),
    ]
    project = Project.create(location, "field", labels)
    images = make_images(folder / "media", frames)
    project.create_task("street", [FrameInfo(i, p.name, 32, 24, str(p)) for i, p in enumerate(images)],
                        segment_size=segment)
    return project


def car(project: Project) -> tuple[int, int]:
    label = project.labels().by_name("car")
    assert label is not None and label.attributes[0].id is not None
    return label.id, label.attributes[0].id  # type: ignore[return-value]


def annotate(project: Project, job_id: int, seed: int) -> Annotations:
    """Deterministic work on a job: a box and a tag per frame, one track over the job's frames."""
    label_id, colour = car(project)
    frames = project.job(job_id).frame_list()
    shapes = [Shape(ShapeType.RECTANGLE, f, label_id, [seed + f, 2.0, seed + f + 10.5, 12.25],
                    attributes={colour: "blue" if (seed + f) % 2 else "red"}) for f in frames]
    tags = [Tag(f, label_id, attributes={colour: "red"}) for f in frames]
    track = Track(label_id, frames[0], [TrackedShape(ShapeType.RECTANGLE, f, [f, f, f + 5.0, f + 5.0]) for f in frames])
    return project.add_annotations(job_id, Annotations(shapes=shapes, tracks=[track], tags=tags))


def content(annotations: Annotations) -> list[str]:
    """The job's objects by content (ids and uids aside), order-free: what two jobs are compared by."""
    return sorted(digest(o) for objs in (annotations.shapes, annotations.tracks, annotations.tags) for o in objs)
