"""Builders shared by the tracker tests (no tests here): a generated video with moving squares, a
project with a video task, and a SAM 2.1 tiny checkpoint with random weights saved to a file."""

from __future__ import annotations

import warnings
from pathlib import Path

import cv2
import numpy as np

from app.domain.enums import AttributeType, LabelType
from app.domain.labels import AttributeSpec, Label
from app.media.ingest import create_video_task
from app.storage.store import Project

SIZE = (160, 120)  # width, height
SQUARE = 30
RED_START, RED_STEP = (15, 45), (3, 0)  # top-left corner and motion per frame
BLUE_START, BLUE_STEP = (125, 2), (0, 2)


def square_at(start: tuple[int, int], step: tuple[int, int], frame: int) -> tuple[int, int, int, int]:
    x, y = start[0] + step[0] * frame, start[1] + step[1] * frame
    return x, y, x + SQUARE, y + SQUARE


def render(frame: int, *, with_red: bool = True) -> np.ndarray:
    """RGB frame: textured background, a red square moving right and a blue one moving down."""
    width, height = SIZE
    yy, xx = np.mgrid[0:height, 0:width]
    image = np.stack([(xx * 2) % 64 + 40, (yy * 3) % 64 + 40, ((xx + yy) % 32) + 40], axis=-1).astype(np.uint8)
    if with_red:
        x1, y1, x2, y2 = square_at(RED_START, RED_STEP, frame)
        image[y1:y2, x1:x2] = (230, 30, 30)
        image[y1 + 10 : y1 + 20, x1 + 10 : x1 + 20] = (255, 255, 0)  # a texture for MIL to lock on
    x1, y1, x2, y2 = square_at(BLUE_START, BLUE_STEP, frame)
    image[y1:y2, x1:x2] = (30, 30, 230)
    image[y1 + 5 : y1 + 12, x1 + 5 : x1 + 25] = (255, 255, 255)
    return image


def write_video(path: Path, frames: int, *, red_until: int | None = None) -> Path:
    """An MJPG .avi of ``frames`` frames (the red square vanishes from ``red_until`` on, if given)."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, SIZE)
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    for i in range(frames):
        with_red = red_until is None or i < red_until
        writer.write(cv2.cvtColor(render(i, with_red=with_red), cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def labels() -> list[Label]:
    return [
        Label("car", type=LabelType.ANY, attributes=[
            AttributeSpec("color", AttributeType.TEXT),
            AttributeSpec("moving", AttributeType.CHECKBOX, mutable=True),
        ]),
        Label("sign", type=LabelType.ANY),
    ]


def video_project(tmp_path: Path, frames: int = 20, **video_options: object) -> tuple[Project, int]:
    """(project, job id) of a video task made from a generated video."""
    project = Project.create(tmp_path / "track.fmk", "track", labels())
    video = write_video(tmp_path / "squares.avi", frames, **video_options)
    task = create_video_task(project, "squares", video)
    return project, project.jobs(task.id)[0].id


def sam2_checkpoint(folder: Path, image_size: int = 256) -> Path:
    """SAM 2.1 tiny from sam2's bundled config with random weights (seeded), saved as sam2 saves it."""
    from app.models.sam2_image import save_random_checkpoint

    path = folder / "sam2.1_hiera_tiny.pt"
    if not path.exists():
        warnings.filterwarnings("ignore", category=FutureWarning)
        save_random_checkpoint("configs/sam2.1/sam2.1_hiera_t.yaml", path, image_size=image_size)
    return path
