"""The bundled demo project: real photos (the sample images that ship inside the ultralytics
package) and a short video made from them, created on first use in the user data folder."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from app import paths
from app.domain import AttributeSpec, Label, Shape
from app.domain.labels import palette_color
from app.media.images import load_image
from app.media.ingest import create_image_task, create_video_task
from app.storage.store import Project

DEMO_NAME = "demo.fmproj"
VIDEO_FRAMES = 48


def sample_images() -> list[Path]:
    """The photos in ``ultralytics/assets`` (located without importing ultralytics, which loads torch)."""
    spec = importlib.util.find_spec("ultralytics")
    if spec is None or not spec.submodule_search_locations:
        return []
    assets = Path(list(spec.submodule_search_locations)[0]) / "assets"
    return sorted(p for p in assets.glob("*.jpg"))


def demo_labels() -> list[Label]:
    keypoints = ["nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder"]
    return [
        Label("person", palette_color(0), attributes=[
            AttributeSpec("pose", "select", ["standing", "sitting", "walking"]),
            AttributeSpec("occluded_by_object", "checkbox"),
        ]),
        Label("bus", palette_color(1), attributes=[AttributeSpec("number", "text")]),
        Label("car", palette_color(2)),
        Label("tie", palette_color(3)),
        Label("face", palette_color(4), type="skeleton",
              sublabels=[Label(k, palette_color(5 + i), type="points") for i, k in enumerate(keypoints)],
              edges=[(0, 1), (0, 2), (1, 3), (2, 4), (3, 4)]),
        Label("scene", palette_color(10), type="tag", attributes=[
            AttributeSpec("time_of_day", "radio", ["day", "night"])]),
    ]


def write_pan_video(
    image: np.ndarray, target: Path, frames: int = VIDEO_FRAMES, size: tuple[int, int] = (640, 480)
) -> None:
    """A slow pan and zoom across ``image``: real motion for trackers and interpolation."""
    h, w = image.shape[:2]
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"MJPG"), 12, size)
    if not writer.isOpened():
        raise RuntimeError(f"cannot write the demo video {target}")
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    for i in range(frames):
        t = i / max(frames - 1, 1)
        crop_w = int(w * (0.8 - 0.25 * t))
        crop_h = int(crop_w * size[1] / size[0])
        crop_h = min(crop_h, h)
        x0 = int((w - crop_w) * t)
        y0 = int((h - crop_h) * 0.5)
        writer.write(cv2.resize(bgr[y0 : y0 + crop_h, x0 : x0 + crop_w], size, interpolation=cv2.INTER_AREA))
    writer.release()


def create_demo(target: Path) -> Path:
    images = sample_images()
    if not images:
        raise FileNotFoundError("the demo needs the ultralytics package (its sample photos)")
    media = target.parent / "demo_media"
    media.mkdir(parents=True, exist_ok=True)
    video = media / "street.avi"
    write_pan_video(load_image(images[0]), video)
    project = Project.create(target, "Fieldmark demo", demo_labels())
    try:
        photos = create_image_task(project, "photos", images, copy_media=True)
        create_video_task(project, "street video", video, segment_size=24)
        labels = project.labels()
        job = project.jobs(photos.id)[0].id
        frames = {f.name: f.index for f in project.frames(photos.id)}
        seed: list[Shape] = []
        if "bus.jpg" in frames:
            seed.append(Shape("rectangle", frames["bus.jpg"], labels.by_name("bus").id, [18, 230, 805, 740],
                              attributes=labels.by_name("bus").default_attributes()))
        if "zidane.jpg" in frames:
            seed.append(Shape("rectangle", frames["zidane.jpg"], labels.by_name("person").id, [745, 40, 1140, 715],
                              attributes=labels.by_name("person").default_attributes()))
        if seed:
            project.add_shapes(job, seed)
    finally:
        project.close()
    return target


def demo_path() -> Path:
    """The demo project, created on first use in the user data folder."""
    target = paths.data_dir() / "demo" / DEMO_NAME
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        create_demo(target)
    return target
