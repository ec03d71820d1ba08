"""Synthetic Ground Truth / annotation job pairs with every shape type and groups (quality benchmarks and
tests). Deterministic: each frame is drawn from its own seed, so any frame range gives the same frames.

Per frame and side about 50 objects: 14 boxes (3 rotated), 8 polygons, 3 masks, 6 polylines, 6 single
points, 2 point sets, 4 skeletons (3 keypoints), 4 ellipses, 3 tags. Groups: 2 polygons and a mask of one
label, a box with a skeleton, two single points. Masks and some polygons sit at z_order 1. The job side is
the GT perturbed: jitter, ~8% dropped, ~8% extra, ~5% relabelled, ~5% moved to another group.
"""

from __future__ import annotations

import numpy as np

from app.domain.annotations import Annotations, Shape, Tag
from app.domain.enums import LabelType, ShapeType
from app.domain.labels import AttributeSpec, Label
from app.domain.mask import mask_to_points
from app.formats.dataset import Dataset, DatasetFrame

WIDTH, HEIGHT = 1280, 720
SKELETON_ID = 10


def job_labels() -> list[Label]:
    """car, person, bike, dog (an attribute each) and a 3-keypoint skeleton ``pose``; ids fixed."""
    out = [Label(n, id=i + 1, attributes=[AttributeSpec("q", values=["a", "b"], id=100 + i)])
           for i, n in enumerate(["car", "person", "bike", "dog"])]
    out.append(Label("pose", type=LabelType.SKELETON, id=SKELETON_ID, sublabels=[
        Label(str(k), type=LabelType.POINTS, id=SKELETON_ID + 1 + k, parent_id=SKELETON_ID) for k in range(3)]))
    return out


def _boxes(rng: np.random.Generator, frame: int, label) -> list[Shape]:
    out = []
    for k in range(14):
        x, y = rng.uniform(0, WIDTH - 120), rng.uniform(0, HEIGHT - 120)
        w, h = rng.uniform(20, 110, 2)
        out.append(Shape(ShapeType.RECTANGLE, frame, label(), [x, y, x + w, y + h],
                         rotation=float(rng.uniform(0, 90)) if k < 3 else 0.0))
    return out


def _segmentations(rng: np.random.Generator, frame: int, label) -> list[Shape]:
    out = []
    group_label = label()
    for k in range(8):
        cx, cy = rng.uniform(60, WIDTH - 60), rng.uniform(60, HEIGHT - 60)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 8))
        r = rng.uniform(15, 50, 8)
        points = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)]).ravel().tolist()
        grouped = k < 2
        out.append(Shape(ShapeType.POLYGON, frame, group_label if grouped else label(), points,
                         group=1 if grouped else 0, z_order=int(k % 4 == 3)))
    for k in range(3):
        x, y = int(rng.integers(0, WIDTH - 60)), int(rng.integers(0, HEIGHT - 60))
        yy, xx = np.mgrid[0:50, 0:50]
        disc = (yy - 25) ** 2 + (xx - 25) ** 2 < int(rng.integers(100, 600))
        grouped = k == 0
        out.append(Shape(ShapeType.MASK, frame, group_label if grouped else label(), mask_to_points(disc, x, y),
                         group=1 if grouped else 0, z_order=int(k == 2)))
    return out


def _lines_and_points(rng: np.random.Generator, frame: int, label) -> list[Shape]:
    out = []
    for _ in range(6):
        x, y = rng.uniform(0, WIDTH - 200), rng.uniform(0, HEIGHT - 200)
        out.append(Shape(ShapeType.POLYLINE, frame, label(), (np.array([x, y] * 4) + rng.uniform(0, 150, 8)).tolist()))
    for k in range(6):
        out.append(Shape(ShapeType.POINTS, frame, label(), [rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)],
                         group=3 if k < 2 else 0))
    for _ in range(2):
        x, y = rng.uniform(0, WIDTH - 100), rng.uniform(0, HEIGHT - 100)
        out.append(Shape(ShapeType.POINTS, frame, label(), (np.array([x, y] * 4) + rng.uniform(0, 80, 8)).tolist()))
    return out


def _skeletons_and_ellipses(rng: np.random.Generator, frame: int, label) -> list[Shape]:
    out = []
    for k in range(4):
        x, y = rng.uniform(0, WIDTH - 100), rng.uniform(0, HEIGHT - 100)
        elements = [Shape(ShapeType.POINTS, frame, SKELETON_ID + 1 + j,
                          [x + rng.uniform(0, 80), y + rng.uniform(0, 80)], occluded=bool(rng.random() < 0.1))
                    for j in range(3)]
        out.append(Shape(ShapeType.SKELETON, frame, SKELETON_ID, [], elements=elements, group=2 if k == 0 else 0))
        if k == 0:  # the skeleton's box, grouped with it
            out.append(Shape(ShapeType.RECTANGLE, frame, label(), [x - 5, y - 5, x + 85, y + 85], group=2))
    for _ in range(4):
        cx, cy = rng.uniform(60, WIDTH - 60), rng.uniform(60, HEIGHT - 60)
        rx, ry = rng.uniform(10, 50, 2)
        out.append(Shape(ShapeType.ELLIPSE, frame, label(), [cx, cy, cx + rx, cy - ry]))
    return out


def frame_objects(rng: np.random.Generator, frame: int) -> tuple[list[Shape], list[Tag]]:
    """One frame's GT shapes and tags."""
    label = lambda: int(rng.integers(1, 5))  # noqa: E731
    shapes = (_boxes(rng, frame, label) + _segmentations(rng, frame, label) + _lines_and_points(rng, frame, label)
              + _skeletons_and_ellipses(rng, frame, label))
    return shapes, [Tag(frame, label()) for _ in range(3)]


def perturb(rng: np.random.Generator, shapes: list[Shape], tags: list[Tag], frame: int) -> tuple[list, list]:
    """The job side of a frame: the GT jittered, some dropped, relabelled, regrouped, some extra."""
    out = []
    for s in shapes:
        if rng.random() < 0.08:
            continue
        c = s.copy()
        if c.type is ShapeType.SKELETON:
            for e in c.elements:
                e.points = (np.array(e.points) + rng.normal(0, 1.5, 2)).tolist()
        elif c.type is not ShapeType.MASK:
            c.points = (np.array(c.points) + rng.normal(0, 2.0, len(c.points))).tolist()
        if rng.random() < 0.05 and c.type is not ShapeType.SKELETON:
            c.label_id = 1 + (c.label_id % 4)
        if rng.random() < 0.05:
            c.group = 0 if c.group else 1
        out.append(c)
    extra, _ = frame_objects(rng, frame)
    out += [s for s in extra if rng.random() < 0.08 and s.type is not ShapeType.SKELETON and not s.group]
    return out, [t.copy() for t in tags if rng.random() > 0.1]


def job_annotations(frames: range | list[int]) -> tuple[Annotations, Annotations]:
    """GT and job annotations of ``frames`` (annotation frame = the frame number)."""
    gt, ds = Annotations(), Annotations()
    for f in frames:
        rng = np.random.default_rng(f)
        shapes, tags = frame_objects(rng, f)
        gt.shapes += shapes
        gt.tags += tags
        s2, t2 = perturb(rng, shapes, tags, f)
        ds.shapes += s2
        ds.tags += t2
    return gt, ds


def frame_name(frame: int) -> str:
    return f"frame_{frame:06d}.jpg"


def job_pair(frames: int) -> tuple[Dataset, Dataset]:
    """GT and job datasets of ``frames`` frames (CVAT job exports once written as XML)."""
    gt, ds = job_annotations(range(frames))
    out = []
    for ann in (gt, ds):
        ds_frames = [DatasetFrame(index=i, name=frame_name(i), width=WIDTH, height=HEIGHT, number=i)
                     for i in range(frames)]
        out.append(Dataset(labels=job_labels(), frames=ds_frames, annotations=ann,
                           meta={"scope": "job", "name": "synthetic", "mode": "annotation"}))
    return out[0], out[1]
