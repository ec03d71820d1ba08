"""Ultralytics YOLO: exports pass Ultralytics' own dataset checks, re-import, layouts and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.domain.annotations import Annotations
from app.domain.enums import ShapeType
from app.domain.geometry import rect_corners as rectangle_corners
from app.formats.dataset import annotation_counts
from app.formats.errors import FormatError
from app.formats.synthetic import sample_dataset
from app.formats.yolo_read import read_yolo
from app.formats.yolo_write import write_yolo


def _export(tmp_path: Path, task: str, **kw: object) -> tuple[Path, object]:
    ds = sample_dataset()
    ds.annotations.shapes[0].points = [20.5, 15.25, 40.125, 25.0]  # rotated box inside the image (no clipping)
    ds.meta["flip_idx"] = [0, 2, 1]
    out = tmp_path / task
    out.mkdir()
    variant = write_yolo(ds, out, task=task, **kw)
    for rel, frame in zip(ds.meta["export_image_paths"], ds.frames):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((frame.height, frame.width, 3), np.uint8)).save(path)
    return out, variant


# Ultralytics replaces PIL.Image.open when imported (HEIF support), which changes the errors other code
# sees for unreadable images; its checks therefore run in a child process, not in the test process.
_CHECK = r"""
import json, sys
from pathlib import Path
from ultralytics.data.utils import check_det_dataset, img2label_paths, verify_image_label
out = {}
for folder in sys.argv[1:]:
    folder = Path(folder)
    data = check_det_dataset(str(folder / "data.yaml"), autodownload=False)
    files = [str((folder / line.strip()).resolve()) for line in open(data["train"], encoding="utf-8")]
    kpt = data.get("kpt_shape") or [0, 0]
    labelled, errors = 0, []
    for image, label in zip(files, img2label_paths(files)):
        r = verify_image_label((image, label, "", bool(data.get("kpt_shape")), len(data["names"]), kpt[0], kpt[1],
                                False))
        if r[0] is None or r[-1]:
            errors.append(r[-1])
        else:
            labelled += len(r[1])
    out[folder.name] = {"labelled": labelled, "errors": errors}
print(json.dumps(out))
"""


def _ultralytics_check(folders: list[Path]) -> dict:
    env = {**os.environ, "YOLO_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", _CHECK, *map(str, folders)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


EXPECTED = {  # task: (label lines, counts after re-import)
    "detect": (9, {"rectangle": 9}),  # unrotated boxes only: plain person box, track frames 5, 13..19
    "obb": (14, {"rectangle": 14}),
    "segment": (22, {"polygon": 22}),
    "pose": (6, {"skeleton": 6}),
}


def test_exports_pass_ultralytics_checks(tmp_path: Path) -> None:
    folders = []
    for task, (_lines, counts) in EXPECTED.items():
        out, variant = _export(tmp_path, task)
        assert variant == f"yolo-{task}"
        back = read_yolo(out, variant=task)
        assert annotation_counts(back)["by_type"] == counts
        assert [f.name for f in back.frames] == [f"img_{i:03d}.png" for i in range(20)]
        folders.append(out)
    report = _ultralytics_check(folders)
    for task, (lines, _counts) in EXPECTED.items():
        assert report[task] == {"labelled": lines, "errors": []}


def test_obb_and_pose_values_roundtrip(tmp_path: Path) -> None:
    out, _ = _export(tmp_path, "obb")
    back = read_yolo(out)  # auto: every line is 4 corners of a rectangle
    assert back.meta["yolo_variant"] == "obb"
    rect = next(s for s in back.annotations.shapes if s.frame == 0 and s.rotation)
    assert rect.rotation == pytest.approx(33.5, abs=0.01)
    assert rect.points == pytest.approx([20.5, 15.25, 40.125, 25.0], abs=0.01)
    out, _ = _export(tmp_path, "pose")
    text = (out / "data.yaml").read_text()
    assert "kpt_shape:\n- 3\n- 3" in text and "flip_idx:\n- 0\n- 2\n- 1" in text
    back = read_yolo(out)
    assert back.meta["flip_idx"] == [0, 2, 1]
    skeleton = next(s for s in back.annotations.shapes if s.frame == 4)
    assert [(e.points, e.outside, e.occluded) for e in skeleton.elements] == [
        (pytest.approx([10, 10], abs=1e-3), False, False), (pytest.approx([12, 20], abs=1e-3), False, True),
        ([0.0, 0.0], True, False)]


def test_names_as_list_and_track_ids(tmp_path: Path) -> None:
    ds = sample_dataset()
    ds.annotations = Annotations(tracks=ds.annotations.tracks[:1])
    write_yolo(ds, tmp_path, task="detect", names_as="list", track_ids=True)
    assert "names:\n- car\n- person\n- pose\n" in (tmp_path / "data.yaml").read_text()
    assert (tmp_path / "labels" / "train" / "img_005.txt").read_text().split()[-1] == "0"
    sizes = {f.name: (f.width, f.height) for f in ds.frames}
    back = read_yolo(tmp_path, frame_sizes=sizes)
    assert len(back.annotations.tracks) == 1 and not back.annotations.shapes
    assert [(s.frame, s.outside) for s in back.annotations.tracks[0].shapes] == [
        (5, False), (6, True), (13, False), (14, False), (15, False), (16, False), (17, False), (18, False),
        (19, False)]


def test_rectangle_corners_rotate_clockwise() -> None:
    corners = rectangle_corners([0, 0, 4, 2], 90)
    assert [tuple(round(v, 6) for v in c) for c in corners] == [(3, -1), (3, 3), (1, 3), (1, -1)]


def _dataset(tmp_path: Path, line: str, yaml: str = "train: images/train\nnames: [a, b]\n") -> Path:
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((10, 20, 3), np.uint8)).save(tmp_path / "images" / "train" / "x.png")
    (tmp_path / "labels" / "train" / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n" + line + "\n")
    (tmp_path / "data.yaml").write_text(yaml)
    return tmp_path


@pytest.mark.parametrize(("line", "message"), [
    ("1 0.5 abc 0.2 0.2", r"x.txt: line 2: bad coordinates"),
    ("5 0.5 0.5 0.2 0.2", r"line 2: class 5 is not one of 0..1"),
    ("0 0.5 1.7 0.2 0.2", r"line 2: bad coordinates: normalised values"),
    ("0 0.5 0.5 0.2", r"line 2: a detect line needs 5 values"),
])
def test_bad_lines(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_yolo(_dataset(tmp_path, line))


def test_bad_yaml_and_missing_images(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"data.yaml: line \d+, column \d+: malformed YAML"):
        read_yolo(_dataset(tmp_path / "a", "1 0.5 0.5 0.2 0.2", "train: [images/train\nnames: [a]\n"))
    folder = _dataset(tmp_path / "b", "1 0.5 0.5 0.2 0.2")
    (folder / "images" / "train" / "x.png").unlink()
    with pytest.raises(FormatError, match="the image is missing"):
        read_yolo(folder)
    ds = read_yolo(folder, frame_sizes={"x.png": (20, 10)})
    assert [f.name for f in ds.frames] == ["x"]
    assert annotation_counts(ds)["by_label"] == {"a": 1, "b": 1}
    assert ds.annotations.shapes[0].points == pytest.approx([8, 4, 12, 6])
    assert ds.annotations.shapes[0].type is ShapeType.RECTANGLE
