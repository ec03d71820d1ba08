"""An image name longer than the system allows (found by the fuzz test: ``OSError: File name too long`` while
looking for the image) is an image that is not there, never a traceback: the frame keeps the file's size."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.formats.errors import FormatError
from app.formats.importer import import_new_project, read_dataset

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "format_samples"
LONG = "x" * 400 + ".jpg"


def _import(folder: Path, fmt: str, tmp_path: Path) -> None:
    dataset = read_dataset(folder, fmt, create_missing_labels=True)
    assert any(frame.name.endswith(LONG) for frame in dataset.frames)
    result = import_new_project(tmp_path / "p.fmproj", dataset, folder)
    assert result.counts["shapes"] > 0


def test_coco(tmp_path: Path) -> None:
    folder = tmp_path / "coco"
    (folder / "annotations").mkdir(parents=True)
    doc = {"images": [{"id": 1, "file_name": LONG, "width": 20, "height": 10}],
           "categories": [{"id": 1, "name": "car"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5], "area": 25,
                            "iscrowd": 0, "segmentation": []}]}
    (folder / "annotations" / "instances_default.json").write_text(json.dumps(doc))
    _import(folder, "coco", tmp_path)


def test_datumaro(tmp_path: Path) -> None:
    folder = tmp_path / "dm"
    shutil.copytree(SAMPLES / "datumaro" / "dm", folder)
    for file in (folder / "annotations").glob("*.json"):
        doc = json.loads(file.read_text())
        for item in doc["items"]:
            item["id"] = LONG[:-4]
            item.setdefault("image", {})["path"] = LONG
        file.write_text(json.dumps(doc))
        break
    _import(folder, "datumaro", tmp_path)


@pytest.mark.parametrize("sample", ["labelme5/street.json", "xanylabeling/harbour.json"])
def test_labelme(tmp_path: Path, sample: str) -> None:
    folder = tmp_path / "lm"
    folder.mkdir()
    doc = json.loads((SAMPLES / "labelme" / sample).read_text())
    doc["imagePath"] = LONG
    doc["imageData"] = None
    (folder / "a.json").write_text(json.dumps(doc))
    _import(folder, "labelme", tmp_path)


def test_mot_image_folder(tmp_path: Path) -> None:
    folder = tmp_path / "mot"
    shutil.copytree(SAMPLES / "mot" / "MOT17-02", folder)
    ini = folder / "seqinfo.ini"
    ini.write_text("[Sequence]\nname=long\nimDir=" + "a/" * 2500 + "b\nframeRate=30\nseqLength=3\nimWidth=64\n"
                   "imHeight=48\nimExt=.jpg\n")
    dataset = read_dataset(folder, "mot")
    assert dataset.frames and all(not path for path in dataset.meta.get("image_files") or [])


def test_voc_item_names(tmp_path: Path) -> None:
    """VOC item names are paths of the dataset's own files: one the system cannot hold is refused by name."""
    folder = tmp_path / "voc"
    shutil.copytree(SAMPLES / "voc" / "VOC2012", folder)
    for sets in (folder / "ImageSets").rglob("*.txt"):
        sets.write_text(sets.read_text() + "x" * 400 + "\n")
    with pytest.raises(FormatError, match="name longer than"):
        read_dataset(folder, "voc")
