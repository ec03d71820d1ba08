"""Built-in adapters' fast route (DetectionBatch -> OutputMapper.map_batches) and the frame prefetcher.

The fast route must give exactly what the cvat-sdk route gives for the same outputs (``to_sdk`` then
``map_frame``), and must reject the same rule violations.
"""

from __future__ import annotations

import threading

import cvat_sdk.auto_annotation as cvataa
import numpy as np
import pytest
from cvat_sdk.auto_annotation import BadFunctionError

from app.domain.enums import LabelType
from app.domain.labels import Label, LabelSet
from app.models.detections import DetectionBatch, to_sdk
from app.models.label_matching import LabelMapping, LabelMatch, SublabelMatch
from app.models.prefetch import FramePrefetcher
from app.models.validation import OutputMapper

SPEC = [
    cvataa.label_spec("car", 0, type="rectangle"),
    cvataa.skeleton_label_spec("person", 1, [cvataa.keypoint_spec("head", 0), cvataa.keypoint_spec("foot", 1)]),
    cvataa.label_spec("road", 2, type="mask"),
    cvataa.label_spec("scene", 3, type="tag"),
    cvataa.label_spec("lane", 4, type="polygon"),
]


def _labels() -> LabelSet:
    return LabelSet([
        Label("car", type=LabelType.RECTANGLE, id=1),
        Label("person", type=LabelType.SKELETON, id=2, sublabels=[
            Label("head", type=LabelType.POINTS, id=21), Label("foot", type=LabelType.POINTS, id=22)]),
        Label("road", type=LabelType.ANY, id=3),
        Label("scene", type=LabelType.TAG, id=4),
        Label("lane", type=LabelType.POLYGON, id=5),
    ])


def _batches() -> list[DetectionBatch]:
    return [
        DetectionBatch("rectangle", [0, 0], [0.9, 0.4], [[1, 2, 3, 4], [5.5, 6, 7, 8]], rotations=[0.0, 33.5]),
        DetectionBatch("skeleton", [1], [0.7], sublabels=[0, 1], keypoints=[[[1, 1], [2, 3]]], outside=[[False, True]]),
        DetectionBatch("mask", [2], [0.5], [[0, 4, 0, 0, 1, 1]]),
        DetectionBatch("polygon", [4], [0.6], [[0, 0, 4, 0, 4, 4]]),
        DetectionBatch("tag", [3], [0.8]),
        DetectionBatch("rectangle", [], [], []),
    ]


def _helper_built(batches: list[DetectionBatch]) -> list:
    """What cvat-sdk's own helpers build from the same columns (the pre-optimisation ``to_sdk``)."""
    out = []
    for batch in batches:
        for i, label in enumerate(batch.labels):
            if batch.type == "tag":
                out.append(cvataa.tag(int(label)))
            elif batch.type == "skeleton":
                out.append(cvataa.skeleton(int(label), [
                    cvataa.keypoint(int(s), [float(x), float(y)], outside=bool(o))
                    for s, (x, y), o in zip(batch.sublabels, batch.keypoints[i], batch.outside[i])],
                    score=float(batch.scores[i])))
            else:
                extra = {"rotation": float(batch.rotations[i])} if batch.rotations is not None else {}
                out.append(cvataa.shape(int(label), type=batch.type, points=[float(v) for v in batch.points[i]],
                                        score=float(batch.scores[i]), **extra))
    return out


def _state(obj) -> object:
    """An SDK object's whole state (field values with their types, flags, nested objects), in order."""
    if isinstance(obj, list):
        return [_state(v) for v in obj]
    if hasattr(obj, "_data_store"):
        flags = {k: v for k, v in vars(obj).items() if k != "_data_store"}
        return (type(obj), [(k, type(v), _state(v)) for k, v in obj._data_store.items()], flags)
    return obj


def test_to_sdk_builds_what_cvat_sdk_helpers_build() -> None:
    built, expected = to_sdk(_batches()), _helper_built(_batches())
    assert built == expected
    assert _state(built) == _state(expected)
    with pytest.raises(TypeError):  # type checks stay on for later assignments, as with the helpers
        built[0].label_id = "not an id"


@pytest.mark.parametrize("mapping", [None, LabelMapping({
    "car": LabelMatch("car"), "person": LabelMatch("person", sublabels={"foot": SublabelMatch("foot"),
                                                                         "head": SublabelMatch("head")}),
    "road": LabelMatch("road"), "scene": LabelMatch("scene")})])
def test_fast_route_equals_sdk_route(mapping) -> None:
    mapper = OutputMapper(SPEC, _labels(), mapping=mapping)
    fast = mapper.map_batches(_batches(), frame=7)
    sdk = mapper.map_frame(to_sdk(_batches()), frame=7)
    assert fast == sdk
    shapes, tags = fast
    assert [s.label_id for s in shapes] == ([1, 1, 2, 3, 5] if mapping is None else [1, 1, 2, 3])
    assert shapes[1].rotation == 33.5 and [e.outside for e in shapes[2].elements] == [False, True]
    assert [t.label_id for t in tags] == [4]


@pytest.mark.parametrize("batch, options, message", [
    (DetectionBatch("rectangle", [9], [0.5], [[1, 2, 3, 4]]), {}, r"unknown label ID \(9\)"),
    (DetectionBatch("polygon", [0], [0.5], [[1, 2, 3, 4, 5, 6]]), {},
     r"shape of type 'polygon' \(expected 'rectangle'\)"),
    (DetectionBatch("tag", [0], [0.5]), {}, r"tag \(expected shape of type 'rectangle'\)"),
    (DetectionBatch("mask", [2], [0.5], [[0, 4, 0, 0, 1, 1]]), {"conv_mask_to_poly": True},
     r"shape of type 'mask' \(expected 'polygon'\)"),
    (DetectionBatch("rectangle", [0], [0.5], [[1, 2, float("nan"), 4]]), {}, "non-finite"),
    (DetectionBatch("rectangle", [0], [0.5], [[1, 2, 3]]), {}, r"expected \(1, 4\)"),
    (DetectionBatch("polygon", [4], [0.5], [[1, 2, 3, 4]]), {}, "needs at least 6"),
    (DetectionBatch("skeleton", [1], [0.5], sublabels=[0], keypoints=[[[1, 1]]], outside=[[False]]), {},
     r"fewer elements than expected \(1 vs 2\)"),
    (DetectionBatch("skeleton", [1], [0.5], sublabels=[0, 0], keypoints=[[[1, 1], [2, 2]]], outside=[[0, 0]]), {},
     "multiple elements with same sublabel"),
    (DetectionBatch("skeleton", [1], [0.5], sublabels=[0, 5], keypoints=[[[1, 1], [2, 2]]], outside=[[0, 0]]), {},
     r"unknown sublabel ID \(5\)"),
    (DetectionBatch("cuboid", [0], [0.5], [[0] * 16]), {}, "expected a DetectionBatch"),
    (DetectionBatch("rectangle", [0, 0], [0.5], [[1, 2, 3, 4]] * 2), {}, "2 labels but 1 scores"),
])
def test_fast_route_rejects_what_the_sdk_route_rejects(batch, options, message) -> None:
    mapper = OutputMapper(SPEC, _labels(), **options)
    with pytest.raises(BadFunctionError, match=message):
        mapper.map_batches([batch], frame=0)
    if batch.type in ("rectangle", "polygon", "mask", "tag") and "scores" not in message:
        with pytest.raises(BadFunctionError):  # the same outputs as SDK objects fail there too
            mapper.map_frame(to_sdk([batch]), frame=0)


def test_fast_route_drops_unmatched_labels() -> None:
    mapper = OutputMapper(SPEC, [Label("car", type=LabelType.RECTANGLE, id=1)], allow_unmatched_labels=True)
    shapes, tags = mapper.map_batches(_batches(), frame=0)
    assert [s.label_id for s in shapes] == [1, 1] and tags == []


class _Source:
    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at, self.reads = fail_at, []

    def read(self, index: int) -> np.ndarray:
        if index == self.fail_at:
            raise OSError(f"frame {index} is broken")
        self.reads.append((index, threading.current_thread().name))
        return np.full((2, 2, 3), index, np.uint8)


def test_prefetcher_order_prepare_and_errors() -> None:
    source = _Source(fail_at=3)
    with FramePrefetcher(source, [5, 1, 2, 3, 4], prepare=lambda a: int(a[0, 0, 0]) * 10, depth=2) as frames:
        assert [frames.get() for _ in range(3)] == [50, 10, 20]
        with pytest.raises(OSError, match="frame 3 is broken"):
            frames.get()
    assert all(name == "aa-prefetch" for _, name in source.reads) and 4 not in [i for i, _ in source.reads]


def test_prefetcher_close_early_stops_reading() -> None:
    source = _Source()
    frames = FramePrefetcher(source, list(range(1000)), depth=2)
    assert frames.get()[0, 0, 0] == 0
    frames.close()
    assert len(source.reads) <= 5
