"""Darknet "YOLO 1.1" export (CVAT's layout: obj.data, obj.names, obj_<subset>_data/, <subset>.txt) and its
round trip through the YOLO importer: the same tasks, subsets, frames and boxes come back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main as cli_main
from app.domain.annotations import Annotations, Shape, Track, TrackedShape
from app.domain.enums import ShapeType
from app.domain.labels import Label
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry
from app.formats.exporter import EXPORT_FORMATS, export_project
from app.formats.importer import import_new_project, read_dataset
from app.storage.store import Project

W, H = 64, 48


def _project(tmp_path: Path) -> Path:
    """A project of three tasks (subsets train, val, test); train and val both hold an ``a.jpg``."""
    images = tmp_path / "src"
    names = [("train", "a.jpg"), ("train", "sub/b.jpg"), ("val", "a.jpg"), ("test", "c.png")]
    files = []
    for subset, name in names:
        path = images / subset / name
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((H, W, 3), len(files) * 40, np.uint8)).save(path)
        files.append(str(path))
    reg = LabelRegistry([Label(name="car"), Label(name="person"), Label(name="bike")])
    car, person, bike = reg.labels
    shapes = [
        Shape(type=ShapeType.RECTANGLE, frame=0, label_id=car.id, points=[4, 6, 20, 30]),
        Shape(type=ShapeType.RECTANGLE, frame=0, label_id=person.id, points=[30, 2, 41, 47]),
        Shape(type=ShapeType.RECTANGLE, frame=2, label_id=bike.id, points=[0, 0, 64, 48]),
        Shape(type=ShapeType.RECTANGLE, frame=3, label_id=car.id, points=[10.5, 11.25, 22, 13]),
        Shape(type=ShapeType.RECTANGLE, frame=3, label_id=car.id, points=[1, 1, 9, 9], rotation=20.0),  # skipped
        Shape(type=ShapeType.POLYGON, frame=3, label_id=person.id, points=[1, 1, 9, 1, 5, 7]),  # not a box
    ]
    track = Track(frame=0, label_id=person.id, shapes=[
        TrackedShape(type=ShapeType.RECTANGLE, frame=0, points=[2, 2, 10, 10]),
        TrackedShape(type=ShapeType.RECTANGLE, frame=1, points=[4, 2, 12, 10], outside=True)])
    dataset = Dataset(labels=reg.labels, frames=[DatasetFrame(index=k, name=name, width=W, height=H, subset=subset)
                                                 for k, (subset, name) in enumerate(names)],
                      annotations=Annotations(shapes=shapes, tracks=[track]), meta={"image_files": files})
    path = tmp_path / "p.fmproj"
    import_new_project(path, dataset, images)
    return path


def _boxes(project_path: Path) -> dict[tuple[str, str], list[tuple]]:
    """(subset, task name) → sorted (frame name, label, box rounded to 1/1000 px) of unrotated rectangles,
    tracks flattened to the frames where they are visible."""
    out: dict[tuple[str, str], list[tuple]] = {}
    with Project.open(project_path, read_only=True) as project:
        labels = {label.id: label.name for label in project.labels()}
        for task in project.tasks():
            frames = {f.index: f.name for f in project.frames(task.id)}
            rows = []
            for job in project.jobs(task.id):
                ann = project.annotations(job.id)
                for s in ann.shapes:
                    if s.type is ShapeType.RECTANGLE and not s.rotation:
                        rows.append((frames[s.frame], labels[s.label_id], tuple(round(p, 3) for p in s.points)))
                for t in ann.tracks:
                    for s in t.shapes:
                        if not s.outside:
                            rows.append((frames[s.frame], labels[t.label_id], tuple(round(p, 3) for p in s.points)))
            out[(task.subset, task.name)] = sorted(rows)
    return out


def _frames(project_path: Path) -> dict[str, list[tuple[str, int, int]]]:
    with Project.open(project_path, read_only=True) as project:
        return {t.subset: [(f.name, f.width, f.height) for f in project.frames(t.id)] for t in project.tasks()}


def test_darknet_is_an_export_format() -> None:
    assert "darknet" in EXPORT_FORMATS


def test_darknet_export_writes_cvat_yolo_1_1_layout(tmp_path: Path) -> None:
    project_path = _project(tmp_path)
    out = tmp_path / "dk"
    with Project.open(project_path, read_only=True) as project:
        result = export_project(project, "darknet", out, with_images=True)
    assert result.layout == "darknet"
    assert (out / "obj.data").read_text() == ("classes = 3\ntrain = data/train.txt\nval = data/val.txt\n"
                                              "test = data/test.txt\nnames = data/obj.names\nbackup = backup/\n")
    assert (out / "obj.names").read_text() == "car\nperson\nbike\n"
    assert (out / "train.txt").read_text() == "data/obj_train_data/a.jpg\ndata/obj_train_data/sub/b.jpg\n"
    assert (out / "val.txt").read_text() == "data/obj_val_data/a.jpg\n"
    assert (out / "obj_val_data/a.jpg").is_file() and (out / "obj_train_data/sub/b.jpg").is_file()
    # cls cx cy w h, normalised, 6 decimals: the car box 4,6-20,30 of a 64x48 image, then the track's box
    assert (out / "obj_train_data/a.txt").read_text().splitlines() == [
        "0 0.187500 0.375000 0.250000 0.500000", "1 0.554688 0.510417 0.171875 0.937500",
        "1 0.093750 0.125000 0.125000 0.166667"]
    assert (out / "obj_train_data/sub/b.txt").read_text() == ""  # the track is outside there: an empty file
    assert (out / "obj_test_data/c.txt").read_text() == "0 0.253906 0.252604 0.179688 0.036458\n"
    assert not list(out.rglob("data.yaml"))


def test_darknet_export_round_trips_tasks_subsets_frames_and_boxes(tmp_path: Path) -> None:
    project_path = _project(tmp_path)
    with Project.open(project_path, read_only=True) as project:
        export_project(project, "darknet", tmp_path / "dk", with_images=True)
    back_path = tmp_path / "back.fmproj"
    dataset = read_dataset(tmp_path / "dk", "yolo")
    assert dataset.meta["yolo_kind"] == "darknet" and dataset.meta["subsets"] == ["train", "val", "test"]
    import_new_project(back_path, dataset, tmp_path / "dk")
    assert _frames(back_path) == _frames(project_path)
    expected = _boxes(project_path)
    back = _boxes(back_path)
    assert sorted(back) == sorted(expected) == [("test", "test"), ("train", "train"), ("val", "val")]
    for key, rows in expected.items():
        assert [(f, n, tuple(round(v, 2) for v in b)) for f, n, b in back[key]] == [
            (f, n, tuple(round(v, 2) for v in b)) for f, n, b in rows], key


def test_darknet_frames_without_a_subset_go_to_train_as_in_cvat(tmp_path: Path) -> None:
    reg = LabelRegistry([Label(name="car")])
    dataset = Dataset(labels=reg.labels, frames=[DatasetFrame(index=0, name="x.jpg", width=10, height=10),
                                                 DatasetFrame(index=1, name="y.jpg", width=10, height=10,
                                                              subset="default")],
                      annotations=Annotations(shapes=[Shape(type=ShapeType.RECTANGLE, frame=1,
                                                            label_id=reg.labels[0].id, points=[0, 0, 5, 5])]))
    from app.formats.exporter import write_dataset

    write_dataset(dataset, "darknet", tmp_path / "dk")
    assert (tmp_path / "dk/train.txt").read_text() == "data/obj_train_data/x.jpg\ndata/obj_train_data/y.jpg\n"
    assert "train = data/train.txt\n" in (tmp_path / "dk/obj.data").read_text()
    back = read_dataset(tmp_path / "dk", "yolo", frame_sizes={"x.jpg": (10, 10), "y.jpg": (10, 10)})
    assert [(f.name, f.subset) for f in back.frames] == [("x.jpg", "train"), ("y.jpg", "train")]
    assert back.annotations.shapes[0].points == pytest.approx([0, 0, 5, 5])


def test_cli_export_darknet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project_path = _project(tmp_path)
    assert cli_main(["export", str(project_path), str(tmp_path / "out"), "--format", "darknet"]) == 0
    assert "(darknet)" in capsys.readouterr().out
    assert (tmp_path / "out/obj.data").is_file() and not (tmp_path / "out/obj_train_data/a.jpg").exists()
