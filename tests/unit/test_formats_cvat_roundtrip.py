"""CVAT XML: our own export → import is lossless, compared field by field (labels by name)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from app.domain.annotations import Annotations
from app.domain.enums import ShapeType
from app.formats.cvat_xml_read import read_cvat_xml
from app.formats.cvat_xml_write import num, write_cvat_xml
from app.formats.dataset import Dataset
from app.formats.synthetic import sample_dataset


def _names(ds: Dataset) -> tuple[dict[int, str], dict[int, str]]:
    labels, attrs = {}, {}
    for label in ds.labels:
        for item in (label, *label.sublabels):
            labels[item.id] = item.name
            attrs.update({a.id: f"{item.name}.{a.name}" for a in item.attributes})
    return labels, attrs


def normalized(ds: Dataset) -> dict[str, Any]:
    """Annotations with ids (and uids) dropped and label/attribute ids replaced by names."""
    labels, attrs = _names(ds)

    def fix(obj: Any) -> Any:
        if isinstance(obj, dict):
            out = {}
            for key, value in obj.items():
                if key in ("id", "uid"):  # store identities, not content
                    continue
                if key == "label_id":
                    out["label"] = labels[value]
                elif key == "attributes":
                    out["attributes"] = {attrs[k]: v for k, v in value.items()}
                else:
                    out[key] = fix(value)
            return out
        if isinstance(obj, list):
            return [fix(v) for v in obj]
        return obj

    ann = ds.annotations
    return {"shapes": fix([asdict(s) for s in ann.shapes]), "tracks": fix([asdict(t) for t in ann.tracks]),
            "tags": fix([asdict(t) for t in ann.tags])}


def label_summary(ds: Dataset) -> list[Any]:
    def one(label: Any) -> Any:
        return (label.name, label.color, label.type.value, list(label.edges),
                [(a.name, a.input_type.value, a.values, a.default_value, a.mutable) for a in label.attributes],
                [one(s) for s in label.sublabels])
    return [one(label) for label in ds.labels]


def _sorted_shapes(ds: Dataset) -> None:
    ds.annotations.shapes.sort(key=lambda s: (s.frame, s.z_order))


def test_images_layout_roundtrip_every_shape_type(tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations = Annotations(shapes=ds.annotations.shapes, tags=ds.annotations.tags)
    assert {s.type for s in ds.annotations.shapes} == set(ShapeType)
    write_cvat_xml(ds, tmp_path / "a.xml", layout="images")
    back = read_cvat_xml(tmp_path / "a.xml")
    assert label_summary(back) == label_summary(ds)
    _sorted_shapes(ds)
    _sorted_shapes(back)
    assert normalized(back) == normalized(ds)
    assert [(f.name, f.width, f.height, f.number) for f in back.frames] == [
        (f.name, f.width, f.height, f.number) for f in ds.frames]


def test_video_layout_roundtrip_tracks(tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations = Annotations(tracks=ds.annotations.tracks, tags=ds.annotations.tags)
    write_cvat_xml(ds, tmp_path / "v.xml", layout="video")
    back = read_cvat_xml(tmp_path / "v.xml")
    assert back.meta["layout"] == "video"
    assert label_summary(back) == label_summary(ds)
    assert normalized(back) == normalized(ds)


def test_video_layout_writes_interpolated_frames(tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations = Annotations(tracks=ds.annotations.tracks[:1])
    write_cvat_xml(ds, tmp_path / "v.xml", layout="video")
    text = (tmp_path / "v.xml").read_text()
    frames = [int(part.split('"')[1]) for part in text.split("<box frame=")[1:]]
    # keyframes 5, 8, 10 (outside), 13; interpolated 6, 7, 9 and held 14..19; nothing on 11, 12
    assert frames == [5, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 18, 19]
    assert text.count('keyframe="1"') == 4


def test_video_layout_plain_shapes_become_tracks(tmp_path: Path) -> None:
    ds = sample_dataset()
    n_shapes = len(ds.annotations.shapes)
    write_cvat_xml(ds, tmp_path / "v.xml", layout="video")
    back = read_cvat_xml(tmp_path / "v.xml")
    assert len(back.annotations.tracks) == n_shapes + 3 and not back.annotations.shapes
    mask_track = next(t for t in back.annotations.tracks if t.shapes[0].type is ShapeType.MASK)
    assert [(s.frame, s.outside) for s in mask_track.shapes] == [(3, False), (4, True)]


def test_images_layout_flattens_tracks(tmp_path: Path) -> None:
    ds = sample_dataset()
    write_cvat_xml(ds, tmp_path / "a.xml", layout="images")
    back = read_cvat_xml(tmp_path / "a.xml")
    assert not back.annotations.tracks
    boxes = [s.frame for s in back.annotations.shapes if s.type is ShapeType.RECTANGLE]
    # 2 plain boxes on frame 0; the box track is visible on 5..9 and 13..19
    assert boxes == [0, 0, *range(5, 10), *range(13, 20)]
    skeletons = [s for s in back.annotations.shapes if s.type is ShapeType.SKELETON]
    assert [s.frame for s in skeletons] == [4, 7, 8, 9, 10, 11]
    assert all(len(s.elements) == 3 for s in skeletons)


@pytest.mark.parametrize(("value", "text"), [(1.0, "1.00"), (2.25, "2.25"), (1.333, "1.333"), (-0.5, "-0.50"),
                                             (0.1 + 0.2, "0.30000000000000004")])
def test_number_format(value: float, text: str) -> None:
    assert num(value) == text
    assert float(text) == value
