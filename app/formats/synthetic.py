"""Synthetic datasets: one that uses every shape type, attribute kind and track feature (round-trip
tests), and large random ones (benchmarks). Deterministic for a given seed.
"""

from __future__ import annotations

import random

import numpy as np

from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import AttributeType, LabelType, ShapeType, Source
from app.domain.labels import AttributeSpec, Label
from app.domain.mask import mask_to_points
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry


def sample_labels() -> list[Label]:
    """car (all attribute kinds), person (any), pose (skeleton of 3 keypoints), weather (tag)."""
    car = Label(name="car", color="#ff0000", type=LabelType.ANY, attributes=[
        AttributeSpec(name="model", input_type=AttributeType.SELECT, values=["sedan", "suv", "van"]),
        AttributeSpec(name="parked", input_type=AttributeType.CHECKBOX, values=["false"]),
        AttributeSpec(name="speed", input_type=AttributeType.NUMBER, values=["0", "200", "1"], mutable=True),
        AttributeSpec(name="note", input_type=AttributeType.TEXT, default_value="n/a"),
        AttributeSpec(name="lane", input_type=AttributeType.RADIO, values=["left", "right"], mutable=True),
    ])
    person = Label(name="person", color="#00ff00")
    pose = Label(name="pose", color="#0000ff", type=LabelType.SKELETON, sublabels=[
        Label(name="head", type=LabelType.POINTS, color="#111111"),
        Label(name="hand", type=LabelType.POINTS, color="#222222",
              attributes=[AttributeSpec(name="open", input_type=AttributeType.CHECKBOX, values=["false"],
                                        mutable=True)]),
        Label(name="foot", type=LabelType.POINTS, color="#333333"),
    ], edges=[(0, 1), (1, 2)])
    weather = Label(name="weather", color="#abcdef", type=LabelType.TAG, attributes=[
        AttributeSpec(name="kind", input_type=AttributeType.SELECT, values=["sun", "rain"])])
    return [car, person, pose, weather]


def _mask_points(width: int, height: int) -> list[float]:
    bitmap = np.zeros((height, width), dtype=bool)
    bitmap[3:9, 4:12] = True
    bitmap[5, 6] = False
    return mask_to_points(bitmap)


def sample_dataset(frames: int = 20, width: int = 64, height: int = 48) -> Dataset:
    """Every shape type, attributes, groups, z_order, sources, a tag, and tracks incl. a skeleton track."""
    reg = LabelRegistry(sample_labels())
    car, person, pose, weather = reg.labels
    a = {spec.name: spec.id for spec in car.attributes}
    head, hand, foot = pose.sublabels
    open_id = hand.attributes[0].id
    ds_frames = [DatasetFrame(index=i, name=f"img_{i:03d}.png", width=width, height=height, number=i)
                 for i in range(frames)]
    attrs = {a["model"]: "suv", a["parked"]: "true", a["speed"]: "42", a["note"]: "a <b> & 'c'", a["lane"]: "left"}
    S = Shape
    shapes = [
        S(type=ShapeType.RECTANGLE, frame=0, label_id=car.id, points=[1.5, 2.25, 30.125, 20.0], rotation=33.5,
          occluded=True, z_order=2, group=1, source=Source.AUTO, attributes=dict(attrs)),
        S(type=ShapeType.RECTANGLE, frame=0, label_id=person.id, points=[5, 5, 10, 12], group=1),
        S(type=ShapeType.POLYGON, frame=1, label_id=car.id, points=[1, 1, 20, 1, 20, 15, 1.333, 15],
          z_order=-1, source=Source.SEMI_AUTO, attributes={a["model"]: "van"}),
        S(type=ShapeType.POLYLINE, frame=1, label_id=person.id, points=[0, 0, 10, 10, 20, 5]),
        S(type=ShapeType.POINTS, frame=2, label_id=person.id, points=[3, 4, 5, 6, 7.77, 8.88], occluded=True),
        S(type=ShapeType.ELLIPSE, frame=2, label_id=car.id, points=[30, 20, 40, 12], rotation=10, z_order=1),
        S(type=ShapeType.CUBOID, frame=3, label_id=car.id,
          points=[float(v) for v in (1, 1, 1, 10, 10, 1, 10, 10, 5, 3, 5, 12, 14, 3, 14, 12)]),
        S(type=ShapeType.MASK, frame=3, label_id=car.id, points=_mask_points(width, height), group=4,
          source=Source.FILE),
        S(type=ShapeType.SKELETON, frame=4, label_id=pose.id, z_order=3, elements=[
            S(type=ShapeType.POINTS, frame=4, label_id=head.id, points=[10, 10]),
            S(type=ShapeType.POINTS, frame=4, label_id=hand.id, points=[12, 20], occluded=True,
              attributes={open_id: "true"}),
            S(type=ShapeType.POINTS, frame=4, label_id=foot.id, points=[11, 30], outside=True),
        ]),
    ]
    tags = [Tag(frame=0, label_id=weather.id, attributes={weather.attributes[0].id: "rain"}, source=Source.AUTO),
            Tag(frame=5, label_id=weather.id, group=2)]
    T = TrackedShape
    box_track = Track(label_id=car.id, frame=5, group=3, source=Source.SEMI_AUTO,
                      attributes={a["model"]: "sedan", a["parked"]: "false", a["note"]: "t"}, shapes=[
                          T(type=ShapeType.RECTANGLE, frame=5, points=[0, 0, 10, 10], attributes={a["speed"]: "1"}),
                          T(type=ShapeType.RECTANGLE, frame=8, points=[10, 10, 20, 22], rotation=15, occluded=True,
                            attributes={a["speed"]: "5"}, z_order=1),
                          T(type=ShapeType.RECTANGLE, frame=10, points=[10, 10, 20, 22], outside=True,
                            attributes={a["speed"]: "5"}),
                          T(type=ShapeType.RECTANGLE, frame=13, points=[1, 2, 3, 4], attributes={a["speed"]: "7"}),
                      ])
    poly_track = Track(label_id=person.id, frame=6, shapes=[
        T(type=ShapeType.POLYGON, frame=6, points=[1, 1, 9, 1, 5, 8]),
        T(type=ShapeType.POLYGON, frame=9, points=[2, 2, 12, 2, 7, 11, 3, 9]),
        T(type=ShapeType.POLYGON, frame=11, points=[2, 2, 12, 2, 7, 11, 3, 9], outside=True),
    ])
    frames_sk = (7, 9, 12)
    skel_track = Track(label_id=pose.id, frame=7, shapes=[
        T(type=ShapeType.SKELETON, frame=f, outside=(f == 12)) for f in frames_sk], elements=[
        Track(label_id=sub.id, frame=7, shapes=[
            T(type=ShapeType.POINTS, frame=f, points=[float(10 + k + f), float(20 - k)], outside=(f == 12),
              occluded=(k == 1 and f == 9), attributes=({open_id: "true"} if sub is hand and f == 9 else {}))
            for f in frames_sk])
        for k, sub in enumerate((head, hand, foot))])
    ann = Annotations(shapes=shapes, tracks=[box_track, poly_track, skel_track], tags=tags)
    meta = {"scope": "task", "name": "sample", "mode": "annotation"}
    return Dataset(labels=reg.labels, frames=ds_frames, annotations=ann, meta=meta)


def bulk_dataset(frames: int, shapes_per_frame: int, *, width: int = 1280, height: int = 720,
                 seed: int = 0) -> Dataset:
    """A large images-style dataset of boxes and polygons (benchmarks)."""
    rng = random.Random(seed)
    reg = LabelRegistry([Label(name=f"class{i}", color="#808080") for i in range(10)])
    ids = [label.id for label in reg.labels]
    shapes = []
    for f in range(frames):
        for k in range(shapes_per_frame):
            x, y = rng.uniform(0, width - 60), rng.uniform(0, height - 60)
            w, h = rng.uniform(5, 60), rng.uniform(5, 60)
            label_id = ids[k % len(ids)]
            if k % 2:
                pts = [x, y, x + w, y, x + w, y + h, x, y + h]
                shapes.append(Shape(type=ShapeType.POLYGON, frame=f, label_id=label_id,
                                    points=[round(v, 2) for v in pts]))
            else:
                shapes.append(Shape(type=ShapeType.RECTANGLE, frame=f, label_id=label_id,
                                    points=[round(v, 2) for v in (x, y, x + w, y + h)], z_order=k % 3))
    ds_frames = [DatasetFrame(index=i, name=f"frame_{i:06d}.jpg", width=width, height=height, number=i)
                 for i in range(frames)]
    return Dataset(labels=reg.labels, frames=ds_frames, annotations=Annotations(shapes=shapes),
                   meta={"scope": "task", "name": "bulk"})
