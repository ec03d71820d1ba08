"""Each class of damaged input that once gave a traceback (or was accepted silently) gives one FormatError
naming the file, the place and the problem (issue 14, "Never a traceback on bad input")."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as coco_mask

from app.formats.errors import FormatError
from app.formats.importer import read_dataset
from app.formats.validate import MAX_KEYPOINTS, rle_string_counts

# ---------------------------------------------------------------------- COCO


def _coco(tmp_path: Path, *, image: dict | None = None, ann: dict | None = None, cat: dict | None = None,
          doc: dict | None = None, raw: str | None = None) -> Path:
    base = {"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4, **(image or {})}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2], **(ann or {})}],
            "categories": [{"id": 1, "name": "car", **(cat or {})}]}
    base.update(doc or {})
    path = tmp_path / "instances_default.json"
    path.write_text(raw if raw is not None else json.dumps(base), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": {"width": "wide"}}, r"images\[0\]\.width: 'width' must be an integer, not a string"),
        ({"image": {"width": 1e308}}, r"images\[0\]\.width: 'width' 1e\+308 is out of range"),
        ({"image": {"id": [1]}}, r"images\[0\]\.id: 'id' must be an integer or a string, not a list"),
        ({"cat": {"id": {}}}, r"categories\[0\]\.id: 'id' must be an integer or a string, not an object"),
        ({"ann": {"keypoints": True}}, r"annotations\[0\]\.keypoints: 'keypoints' must be a list, not a boolean"),
        ({"cat": {"keypoints": ["a", "b"], "skeleton": [[1, 2, 3]]}},
         r"categories\[0\]\.skeleton\[0\]: a skeleton edge must be a pair"),
        ({"ann": {"bbox": []}}, r"annotations\[0\]\.bbox: 'bbox' must be \[x, y, width, height\]"),
        ({"ann": {"bbox": [0, 0, 1e308, 1]}}, r"annotations\[0\]\.bbox\[2\]: bad coordinates: 'bbox' 1e\+308"),
        ({"doc": {"images": 1.5}}, r"images: 'images' must be a list, not float"),
        ({"doc": {"annotations": None}}, r"annotations: 'annotations' must be a list, not null"),
        ({"ann": {"category_id": [1]}}, r"annotations\[0\]\.category_id: 'category_id' must be an integer"),
        ({"ann": {"segmentation": {"counts": 5, "size": [4, 4]}}},
         r"annotations\[0\]\.segmentation\.counts: RLE 'counts' must be a list or a string, not int"),
        ({"ann": {"segmentation": {"counts": "zzzz", "size": [4, 4]}}},
         r"annotations\[0\]\.segmentation\.counts: the compressed RLE"),
        ({"ann": {"segmentation": {"counts": [16], "size": [100000, 100000]}}},
         r"annotations\[0\]\.segmentation\.size: an RLE of 100000x100000 pixels is too large"),
        ({"ann": {"segmentation": {"counts": [1.5, 2], "size": [4, 4]}}},
         r"annotations\[0\]\.segmentation\.counts\[0\]: an RLE count must be an integer"),
        ({"ann": {"attributes": {"track_id": {}}}}, r"annotations\[0\]\.attributes\.track_id"),
        ({"ann": {"score": "high"}}, r"annotations\[0\]\.score: 'score' must be a number"),
    ],
)
def test_coco_wrong_value_types(tmp_path: Path, kwargs: dict, message: str) -> None:
    path = _coco(tmp_path, **kwargs)
    with pytest.raises(FormatError, match=message) as err:
        read_dataset(path, "coco")
    assert err.value.file == str(path)


def test_coco_infinity_and_non_utf8(tmp_path: Path) -> None:
    path = _coco(tmp_path, raw='{"images": [{"id": 1, "file_name": "a.jpg", "width": Infinity, "height": 4}], '
                               '"annotations": [], "categories": []}')
    with pytest.raises(FormatError, match=r"images\[0\]\.width: 'width' must be an integer, not inf"):
        read_dataset(path, "coco")
    path.write_bytes(b'{"images": [], "annotations": [], "categories": [{"id": 1, "name": "\xff"}]}')
    with pytest.raises(FormatError, match="not UTF-8"):
        read_dataset(path, "coco")


def test_rle_string_decoder_matches_pycocotools() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        bitmap = np.asfortranarray(rng.random((7, 9)) > rng.random())
        rle = coco_mask.encode(bitmap.astype(np.uint8))
        counts = rle_string_counts(rle["counts"].decode("ascii"), "f", "w")
        assert sum(counts) == 63
        assert np.array_equal(np.repeat(np.arange(len(counts)) % 2 == 1, counts).reshape(9, 7).T, bitmap)


# ---------------------------------------------------------------------- YOLO


def _yolo(tmp_path: Path, yaml_text: str, label: str = "0 0.5 0.5 0.2 0.2\n") -> Path:
    root = tmp_path / "ds"
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (8, 6)).save(root / "images" / "train" / "a.jpg")
    (root / "labels" / "train" / "a.txt").write_text(label, encoding="utf-8")
    (root / "data.yaml").write_text(yaml_text, encoding="utf-8")
    return root


def test_yolo_non_utf8_files(tmp_path: Path) -> None:
    root = _yolo(tmp_path, "train: images/train\nnames: [car]\n")
    (root / "labels" / "train" / "a.txt").write_bytes(b"0 0.5 0.5 0.2 0.2\n0 0.5\xff 0.5 0.2 0.2\n")
    with pytest.raises(FormatError, match=r"a\.txt: line 2, byte 23: not UTF-8 text \(byte 0xff"):
        read_dataset(root, "yolo")
    (root / "data.yaml").write_bytes(b"train: images/train\nnames: [\xe9]\n")
    with pytest.raises(FormatError, match=r"data\.yaml: line 2, byte 28: not UTF-8"):
        read_dataset(root, "yolo")
    (root / "data.yaml").write_text("train: train.txt\nnames: [car]\n", encoding="utf-8")
    (root / "train.txt").write_bytes(b"images/train/\xc3(.jpg\n")
    with pytest.raises(FormatError, match=r"train\.txt: line 1, byte 13: not UTF-8"):
        read_dataset(root, "yolo")


def test_darknet_non_utf8_files(tmp_path: Path) -> None:
    root = tmp_path / "dk"
    (root / "obj_train_data").mkdir(parents=True)
    (root / "obj.data").write_text("classes = 1\ntrain = train.txt\nnames = obj.names\n", encoding="utf-8")
    (root / "obj.names").write_bytes(b"car\n\x80\n")
    (root / "train.txt").write_text("obj_train_data/a.jpg\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"obj\.names: line 2, byte 4: not UTF-8"):
        read_dataset(root, "yolo")
    (root / "obj.data").write_bytes(b"classes = 1\ntrain = tr\xffain.txt\n")
    with pytest.raises(FormatError, match=r"obj\.data: line 2, byte 22: not UTF-8"):
        read_dataset(root, "yolo")


@pytest.mark.parametrize(
    ("yaml_text", "list_text", "message"),
    [
        ("train: [.]\nnames: [car]\n", None, r"data\.yaml: train\[0\]: '\.' names no file"),
        ("train: train.txt\nnames: [car]\n", "images/" + "a" * 300 + ".jpg\n",
         r"train\.txt: line 1: the path has a name longer than 255 bytes"),
        ("train: train.txt\nnames: [car]\n", "a/" * 3000 + "b.jpg\n",
         r"train\.txt: line 1: the path is 6005 bytes long; the limit is 4096"),
        ("train: images/train\nnames: [car]\nkpt_shape: [1000000, 3]\n", None,
         rf"data\.yaml: kpt_shape: the keypoint count 1000000 is out of range \(1\.\.{MAX_KEYPOINTS}\)"),
        ("train: images/train\nnames: [car]\nkpt_shape: [a, 3]\n", None,
         r"data\.yaml: kpt_shape: the keypoint count must be an integer, not a string"),
        ("train: images/train\nnames: [car]\nkpt_shape: [2, 3]\nflip_idx: 5\n", None,
         r"data\.yaml: flip_idx: flip_idx must be a list of keypoint indices, not int"),
        ("train: images/train\nnames: [car]\nkpt_shape: [2, 3]\nflip_idx: [0, 7]\n", None,
         r"data\.yaml: flip_idx\[1\]: a keypoint index 7 is out of range \(0\.\.1\)"),
    ],
)
def test_yolo_bad_config(tmp_path: Path, yaml_text: str, list_text: str | None, message: str) -> None:
    root = _yolo(tmp_path, yaml_text)
    if list_text is not None:
        (root / "train.txt").write_text(list_text, encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        read_dataset(root, "yolo")


def test_yolo_null_flip_idx_is_absent(tmp_path: Path) -> None:
    root = _yolo(tmp_path, "train: images/train\nnames: [person]\nkpt_shape: [1, 3]\nflip_idx: null\n",
                 label="0 0.5 0.5 0.2 0.2 0.5 0.5 2\n")
    dataset = read_dataset(root, "yolo")
    assert "flip_idx" not in dataset.meta
    assert len(dataset.annotations.shapes) == 1


# ---------------------------------------------------------------------- CVAT XML

_HEAD = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><mode>annotation</mode><labels>
<label><name>car</name><type>any</type><attributes></attributes></label>
</labels></task></meta>
"""


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ('<box label="car" xtl="1" ytl="1" xbr="2" ybr="2" z_order="99999999999999999999"/>',
         r"line 6, <box>: z_order=99999999999999999999 is out of range \(-2147483648\.\.2147483647\)"),
        ('<box label="car" xtl="1" ytl="1" xbr="1e308" ybr="2"/>',
         r"line 6, <box>: bad coordinates: xbr holds 1e\+308, beyond ±1e\+07"),
        ('<polygon label="car" points="0,0;1e308,5;3,3"/>', r"line 6, <polygon>: bad coordinates: points holds"),
        ('<box label="car" xtl="1" ytl="1" xbr="2" ybr="2" group_id="-3"/>',
         r"line 6, <box>: group_id=-3 is out of range \(0\.\.2147483647\)"),
        ('<box label="car" xtl="1" ytl="1" xbr="2" ybr="2" z_order="1.5"/>', r"z_order='1\.5' is not an integer"),
        ('<mask label="car" rle="4" left="0" top="0" width="9999999" height="1"/>',
         r"line 6, <mask>: width=9999999 is out of range"),
    ],
)
def test_cvat_out_of_range_values(tmp_path: Path, element: str, message: str) -> None:
    path = tmp_path / "a.xml"
    path.write_text(_HEAD + f'<image id="0" name="a.jpg" width="4" height="4">\n{element}\n</image>\n</annotations>\n',
                    encoding="utf-8")
    with pytest.raises(FormatError, match=message) as err:
        read_dataset(path, "cvat")
    assert err.value.file == str(path)


def test_cvat_huge_video_range_refused(tmp_path: Path) -> None:
    path = tmp_path / "v.xml"
    path.write_text(_HEAD.replace("<mode>annotation</mode>", "<mode>interpolation</mode><start_frame>0</start_frame>"
                                  "<stop_frame>99999999999</stop_frame>") + "</annotations>\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"v\.xml: <meta>: the frame range 0\.\.99999999999 is out of range"):
        read_dataset(path, "cvat")


def test_cvat_unknown_encoding(tmp_path: Path) -> None:
    path = tmp_path / "e.xml"
    path.write_text(_HEAD.replace('encoding="utf-8"', 'encoding="utf-99"') + "</annotations>\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"e\.xml: line 1: malformed XML"):
        read_dataset(path, "cvat")
