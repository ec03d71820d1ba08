"""COCO 1.0: RLE conversions, exports that load in pycocotools, re-import, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO

from app.domain.annotations import Annotations
from app.domain.enums import ShapeType
from app.domain.mask import mask_to_points, points_to_mask
from app.formats.coco_common import bitmap_to_rle, rle_to_bitmap
from app.formats.coco_read import read_coco
from app.formats.coco_write import write_coco
from app.formats.dataset import annotation_counts
from app.formats.errors import FormatError
from app.formats.synthetic import sample_dataset


def test_rle_worked_example() -> None:
    bitmap = np.zeros((4, 6), dtype=bool)
    bitmap[1:3, 2:5] = True
    assert bitmap_to_rle(bitmap) == {"counts": [9, 2, 2, 2, 2, 2, 5], "size": [4, 6]}
    assert mask_to_points(bitmap) == [0, 6, 2, 1, 4, 2]
    back = rle_to_bitmap({"counts": [9, 2, 2, 2, 2, 2, 5], "size": [4, 6]}, 6, 4, "f", "x")
    assert (back == bitmap).all()


def test_export_loads_in_pycocotools_and_reimports(tmp_path: Path) -> None:
    ds = sample_dataset()
    write_coco(ds, tmp_path)
    inst = COCO(str(tmp_path / "annotations" / "instances_default.json"))
    anns = inst.loadAnns(inst.getAnnIds())
    # 1 group of 2 boxes + polygon + ellipse + mask + cuboid/polyline/points/skeleton dropped
    # + box track (12 visible frames) + polygon track (5 visible frames)
    assert len(anns) == 4 + 12 + 5
    for ann in anns:
        if ann["segmentation"]:
            assert inst.annToMask(ann).sum() > 0
    mask_ann = next(a for a in anns if a["iscrowd"] and a["image_id"] == 4)
    expected = points_to_mask(next(s for s in ds.annotations.shapes if s.type is ShapeType.MASK).points, 64, 48)
    assert (inst.annToMask(mask_ann).astype(bool) == expected).all()
    kp = COCO(str(tmp_path / "annotations" / "person_keypoints_default.json"))
    kp_anns = kp.loadAnns(kp.getAnnIds())
    assert len(kp_anns) == 6  # the skeleton + 5 visible frames of the skeleton track
    first = next(a for a in kp_anns if a["image_id"] == 5)
    assert first["keypoints"] == [10, 10, 2, 12, 20, 1, 0, 0, 0] and first["num_keypoints"] == 2
    assert kp.loadCats(kp.getCatIds())[2]["skeleton"] == [[1, 2], [2, 3]]

    back = read_coco(tmp_path)
    counts = annotation_counts(back)
    assert counts["by_type"] == {"rectangle": 1, "polygon": 1, "mask": 2, "skeleton": 6}
    assert counts["track_types"] == {"rectangle": 1, "polygon": 1}
    box_track = next(t for t in back.annotations.tracks if t.shapes[0].type is ShapeType.RECTANGLE)
    assert [s.frame for s in box_track.shapes if not s.outside] == [5, 8, 13]
    car = back.label_set().by_name("car")
    rect = next(s for s in back.annotations.shapes if s.type is ShapeType.RECTANGLE)
    assert rect.rotation == 33.5 and rect.occluded
    assert {car.attribute_by_id(k).name: v for k, v in rect.attributes.items()} == {
        "model": "suv", "parked": "true", "speed": "42", "note": "a <b> & 'c'", "lane": "left"}
    pose = back.label_set().by_name("pose")
    assert [s.name for s in pose.sublabels] == ["head", "hand", "foot"] and pose.edges == [(0, 1), (1, 2)]


def test_instances_only_shapes_roundtrip_exactly(tmp_path: Path) -> None:
    ds = sample_dataset()
    keep = (ShapeType.RECTANGLE, ShapeType.POLYGON, ShapeType.MASK)
    ds.annotations = Annotations(shapes=[s.copy(group=0) for s in ds.annotations.shapes if s.type in keep])
    write_coco(ds, tmp_path)
    back = read_coco(tmp_path)
    got = sorted((s.type.value, s.frame, [round(v, 6) for v in s.points], s.rotation) for s in back.annotations.shapes)
    want = sorted((s.type.value, s.frame, [round(v, 6) for v in s.points], s.rotation) for s in ds.annotations.shapes)
    assert got == want


def _write(tmp_path: Path, doc: dict | str) -> Path:
    path = tmp_path / "instances_default.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=1))
    return path


BASE = {"images": [{"id": 1, "file_name": "a.jpg", "width": 5, "height": 4}],
        "categories": [{"id": 1, "name": "car"}]}


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ({"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"counts": [3, 4], "size": [4, 5]}},
         r"annotations\[0\] \(id 1\): RLE runs add up to 7, but a 5x4 image has 20 pixels"),
        ({"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"counts": [20], "size": [5, 4]}},
         "differs from the image size"),
        ({"id": 1, "image_id": 7, "category_id": 1, "bbox": [0, 0, 1, 1]}, "refers to image id 7"),
        ({"id": 1, "image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]}, "category id 9"),
        ({"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, "x", 1]}, "bad coordinates"),
        ({"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, -2, 1]}, "negative size"),
        ({"id": 1, "image_id": 1, "category_id": 1, "segmentation": [[0, 0, 1, 1]]}, "at least 3"),
    ],
)
def test_bad_annotations(tmp_path: Path, annotation: dict, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_coco(_write(tmp_path, {**BASE, "annotations": [annotation]}))


def test_malformed_json_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n "images": [],\n "annotations": [\n  {"id": 1,}\n ]\n}')
    with pytest.raises(FormatError, match=r"instances_default.json: line 4, column \d+: malformed JSON"):
        read_coco(path)


def test_unknown_category_created_on_request(tmp_path: Path) -> None:
    path = _write(tmp_path, {**BASE, "annotations": [{"id": 1, "image_id": 1, "category_id": 9,
                                                      "bbox": [0, 0, 1, 1]}]})
    ds = read_coco(path, create_missing_labels=True)
    assert annotation_counts(ds)["by_label"] == {"category_9": 1}


def test_compressed_rle(tmp_path: Path) -> None:
    from pycocotools import mask as coco_mask

    bitmap = np.zeros((4, 5), dtype=np.uint8, order="F")
    bitmap[1:3, 1:4] = 1
    rle = coco_mask.encode(bitmap)
    seg = {"counts": rle["counts"].decode("ascii"), "size": rle["size"]}
    ds = read_coco(_write(tmp_path, {**BASE, "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
                                                               "segmentation": seg, "iscrowd": 1}]}))
    mask = ds.annotations.shapes[0]
    assert mask.type is ShapeType.MASK and (points_to_mask(mask.points, 5, 4) == bitmap.astype(bool)).all()
