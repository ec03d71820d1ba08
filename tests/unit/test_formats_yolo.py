"""Ultralytics YOLO: exports pass Ultralytics' own dataset checks, re-import, layouts and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.domain.annotations import Annotations
from app.domain.enums import ShapeType
from app.formats.dataset import annotation_counts
from app.formats.errors import FormatError
from app.formats.synthetic import sample_dataset
from app.formats.yolo_read import read_yolo
from app.formats.yolo_write import rectangle_corners, write_yolo


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


def _ultralytics_check(out: Path, pose: bool) -> int:
    from ultralytics.data.utils import check_det_dataset, img2label_paths, verify_image_label

    data = check_det_dataset(str(out / "data.yaml"), autodownload=False)
    files = [line.strip() for line in open(data["train"], encoding="utf-8")]
    files = [str((out / f).resolve()) for f in files]
    kpt = data.get("kpt_shape") or [0, 0]
    labelled = 0
    for image, label in zip(files, img2label_paths(files)):
        result = verify_image_label((image, label, "", pose, len(data["names"]), kpt[0], kpt[1], False))
        assert result[0] is not None and not result[-1], result[-1]
        labelled += len(result[1])
    return labelled


@pytest.mark.parametrize(("task", "lines", "counts"), [
    ("detect", 9, {"rectangle": 9}),  # unrotated boxes only: plain person box, track frames 5, 13..19
    ("obb", 14, {"rectangle": 14}),
    ("segment", 22, {"polygon": 22}),
    ("pose", 6, {"skeleton": 6}),
])
def test_export_passes_ultralytics_checks(tmp_path: Path, task: str, lines: int, counts: dict) -> None:
    out, variant = _export(tmp_path, task)
    assert variant == f"yolo-{task}"
    assert _ultralytics_check(out, task == "pose") == lines
    back = read_yolo(out, variant=task)
    assert annotation_counts(back)["by_type"] == counts
    assert [f.name for f in back.frames] == [f"img_{i:03d}.png" for i in range(20)]


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
