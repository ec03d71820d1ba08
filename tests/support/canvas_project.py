"""A small real project for canvas/tool tests: labels of every kind and a task of tiny PNG frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label
from app.media.ingest import create_image_task
from app.storage.store import Project


def make_labels() -> list[Label]:
    return [
        Label("car", "#fa3253", LabelType.ANY, attributes=[
            AttributeSpec("color", AttributeType.SELECT, ["red", "blue"], mutable=True),
            AttributeSpec("parked", AttributeType.CHECKBOX, ["false"]),
            AttributeSpec("doors", AttributeType.NUMBER, ["2", "5", "1"], mutable=True),
            AttributeSpec("kind", AttributeType.RADIO, ["sedan", "van"]),
            AttributeSpec("note", AttributeType.TEXT, mutable=True),
        ]),
        Label("road", "#33ddff", LabelType.MASK),
        Label("person", "#24b353", LabelType.SKELETON,
              sublabels=[Label("head", type=LabelType.POINTS), Label("left", type=LabelType.POINTS),
                         Label("right", type=LabelType.POINTS)], edges=[(0, 1), (0, 2)]),
        Label("daytime", "#ffcc33", LabelType.TAG),
    ]


def make_project(tmp: Path, frames: int = 5, size: tuple[int, int] = (160, 120)) -> Project:
    """Create ``tmp/p.fmproj`` with one task of ``frames`` gradient images (width, height = size)."""
    w, h = size
    folder = tmp / "media"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(frames):
        img = np.zeros((h, w, 3), np.uint8)
        img[..., 0] = np.linspace(0, 255, w, dtype=np.uint8)[None, :]
        img[..., 1] = (i * 40) % 256
        img[..., 2] = np.linspace(0, 255, h, dtype=np.uint8)[:, None]
        cv2.imwrite(str(folder / f"f{i:03d}.png"), img)
    project = Project.create(tmp / "p.fmproj", "test", make_labels())
    create_image_task(project, "t", [folder])
    return project
