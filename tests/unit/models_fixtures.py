"""Shared builders for the model tests: a small project with an image task, and function paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label
from app.media.ingest import create_image_task
from app.storage.store import Project

FUNCTIONS = Path(__file__).resolve().parents[1] / "data" / "functions"
KEYPOINTS = ["nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
             "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
             "left_knee", "right_knee", "left_ankle", "right_ankle"]


def task_labels() -> list[Label]:
    person = Label("person", type=LabelType.SKELETON, sublabels=[Label(k, type=LabelType.POINTS) for k in KEYPOINTS])
    return [
        person,
        Label("plate", type=LabelType.RECTANGLE, attributes=[AttributeSpec("text", AttributeType.TEXT)]),
        Label("car", type=LabelType.ANY),
    ]


def make_images(folder: Path, count: int, size: tuple[int, int] = (32, 24)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    rng = np.random.default_rng(0)
    for i in range(count):
        path = folder / f"img_{i:03d}.png"
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def make_project(tmp_path: Path, frames: int = 5, labels: list[Label] | None = None, **task_options) -> Project:
    project = Project.create(tmp_path / "p.fmk", "p", task_labels() if labels is None else labels)
    create_image_task(project, "t", make_images(tmp_path / "imgs", frames), **task_options)
    return project
