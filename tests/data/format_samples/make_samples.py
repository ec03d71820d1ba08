"""Writes the binary parts of the hand-written format samples (PNG masks, a labelme mask, a compressed RLE).

The text files beside it are written by hand after the tools' own output (labelme 5, X-AnyLabeling 2,
Pascal VOC 2012, CVAT's VOC and Datumaro exports, MOT17); the fuzz test in
tests/unit/test_formats_fuzz.py damages copies of them. Run from the repository root:
``python -m tests.data.format_samples.make_samples``.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools import mask as coco_mask

HERE = Path(__file__).resolve().parent
W, H = 16, 12


def _voc_palette() -> list[int]:
    # Written here from VOC's published rule rather than imported from app.formats: the samples must be
    # made the way the tools make them, not by the reader they test.
    out = []
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= ((c >> 0) & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        out += [r, g, b]
    return out


def _indexed(array: np.ndarray, path: Path) -> None:
    image = Image.fromarray(array.astype(np.uint8), mode="P")
    image.putpalette(_voc_palette())
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def voc() -> None:
    cls = np.zeros((H, W), np.uint8)
    obj = np.zeros((H, W), np.uint8)
    cls[1:5, 1:7], obj[1:5, 1:7] = 1, 1      # aeroplane, object 1
    cls[6:11, 9:14], obj[6:11, 9:14] = 15, 2  # person, object 2
    cls[5, 8:15] = obj[5, 8:15] = 255         # VOC's void boundary
    _indexed(cls, HERE / "voc/VOC2012/SegmentationClass/2007_000032.png")
    _indexed(obj, HERE / "voc/VOC2012/SegmentationObject/2007_000032.png")
    cls = np.zeros((H, W), np.uint8)
    obj = np.zeros((H, W), np.uint8)
    cls[2:7, 2:9], obj[2:7, 2:9] = 1, 1       # car (labelmap.txt line 1)
    cls[3:11, 10:14], obj[3:11, 10:14] = 2, 2
    _indexed(cls, HERE / "voc/cvat_voc/SegmentationClass/frame_000000.png")
    _indexed(obj, HERE / "voc/cvat_voc/SegmentationObject/frame_000000.png")


def masks() -> None:
    root = HERE / "masks/colormap"
    (root / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\nroad:128,64,128::\n"
                                       "car:0,0,142::\n", encoding="utf-8")
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[7:, :] = (128, 64, 128)
    rgb[1:4, 2:6] = (0, 0, 142)
    rgb[2:5, 9:13] = (0, 0, 142)
    (root / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(root / "masks/street.png", optimize=True)
    inst = np.zeros((H, W), np.uint8)
    inst[7:, :], inst[1:4, 2:6], inst[2:5, 9:13] = 1, 2, 3
    _indexed(inst, root / "instances/street.png")
    root = HERE / "masks/label_ids"
    (root / "dataset_meta.json").write_text(json.dumps(
        {"label_map": {"0": "background", "1": "sky", "2": "tree"},
         "segmentation_colors": [[0, 0, 0], [70, 130, 180], [107, 142, 35]]}, indent=4), encoding="utf-8")
    ids = np.zeros((H, W), np.uint8)
    ids[:4, :] = 1
    ids[6:, 3:8] = 2
    (root / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(ids, mode="L").save(root / "masks/park.png", optimize=True)


def labelme() -> None:
    file = HERE / "labelme/labelme5/street.json"
    doc = json.loads(file.read_text(encoding="utf-8"))
    crop = np.ones((3, 4), bool)  # the box [10, 4]-[13, 6], inclusive corners
    crop[0, 0] = False
    buffer = io.BytesIO()
    Image.fromarray(crop.astype(np.uint8) * 255).convert("1").save(buffer, format="PNG")
    next(s for s in doc["shapes"] if s["shape_type"] == "mask")["mask"] = base64.b64encode(buffer.getvalue()).decode()
    file.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def datumaro() -> None:
    file = HERE / "datumaro/dm/annotations/train.json"
    doc = json.loads(file.read_text(encoding="utf-8"))
    bitmap = np.zeros((H, W), np.uint8, order="F")
    bitmap[8:11, 2:6] = 1
    counts = coco_mask.encode(np.asfortranarray(bitmap))["counts"].decode()
    mask = next(a for a in doc["items"][0]["annotations"] if a["type"] == "mask")
    mask["rle"] = {"counts": counts, "size": [H, W]}
    file.write_text(json.dumps(doc) + "\n", encoding="utf-8")


if __name__ == "__main__":
    voc()
    masks()
    labelme()
    datumaro()
