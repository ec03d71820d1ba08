"""labelme, Pascal VOC, mask PNG, Datumaro JSON and MOT: round trips per shape type, files as the tools
write them, and malformed inputs (always a FormatError naming the file and place, never a traceback)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main as cli_main
from app.domain.annotations import Annotations, Shape, Tag, Track, TrackedShape
from app.domain.enums import AttributeType, LabelType, ShapeType
from app.domain.geometry import shape_to_bitmap
from app.domain.labels import AttributeSpec, Label
from app.domain.mask import mask_to_points, points_to_mask
from app.formats.dataset import Dataset, DatasetFrame, LabelRegistry
from app.formats.errors import FormatError
from app.formats.exporter import write_dataset
from app.formats.importer import import_new_project, read_dataset
from app.formats.plain_common import voc_palette
from app.storage.store import Project

W, H = 64, 48
NEW = ("labelme", "voc", "masks", "datumaro", "mot")


def _mask(y0: int, y1: int, x0: int, x1: int) -> list[float]:
    bitmap = np.zeros((H, W), dtype=bool)
    bitmap[y0:y1, x0:x1] = True
    bitmap[y0 + 1, x0 + 1] = False
    return mask_to_points(bitmap)


def _dataset(shapes: list[Shape], tracks: list[Track] = (), tags: list[Tag] = (), frames: int = 3) -> Dataset:
    reg = LabelRegistry([Label(name="car", color="#ff0000"), Label(name="person", color="#00ff00"),
                         Label(name="pose", type=LabelType.SKELETON, sublabels=[
                             Label(name="head", type=LabelType.POINTS), Label(name="foot", type=LabelType.POINTS)],
                             edges=[(0, 1)]),
                         Label(name="sunny", type=LabelType.TAG)])
    ids = {label.name: label.id for label in reg.labels}
    for s in shapes:
        s.label_id = ids[s.label_id] if isinstance(s.label_id, str) else s.label_id
        if s.type is ShapeType.SKELETON:
            for e, sub in zip(s.elements, reg.labels[2].sublabels):
                e.label_id = sub.id
    for t in tracks:
        t.label_id = ids[t.label_id]
    for t in tags:
        t.label_id = ids[t.label_id]
    return Dataset(labels=reg.labels, frames=[DatasetFrame(index=i, name=f"img_{i}.png", width=W, height=H)
                                               for i in range(frames)],
                   annotations=Annotations(shapes=list(shapes), tracks=list(tracks), tags=list(tags)))


def _names(ds: Dataset) -> dict[int, str]:
    return {label.id: label.name for label in ds.labels} | {s.id: s.name for label in ds.labels for s in label.sublabels}


def _round_trip(tmp_path: Path, fmt: str, ds: Dataset) -> Dataset:
    write_dataset(ds, fmt, tmp_path / fmt)
    return read_dataset(tmp_path / fmt, fmt)


def _geometry(ds: Dataset) -> list[tuple]:
    names = _names(ds)
    return sorted((s.frame, names[s.label_id], s.type.value, tuple(round(p, 3) for p in s.points),
                   round(s.rotation % 360, 3)) for s in ds.annotations.shapes)


# ---------------------------------------------------------------------- round trips, shape by shape

RECT = Shape(type=ShapeType.RECTANGLE, frame=0, label_id="car", points=[1.5, 2.25, 30.125, 20.0])
ROTATED = Shape(type=ShapeType.RECTANGLE, frame=1, label_id="car", points=[10, 10, 30, 20], rotation=30.0)
POLYGON = Shape(type=ShapeType.POLYGON, frame=0, label_id="person", points=[1, 1, 20, 1, 20, 15, 1.5, 15])
LINE = Shape(type=ShapeType.POLYLINE, frame=1, label_id="person", points=[0, 0, 10, 10])
STRIP = Shape(type=ShapeType.POLYLINE, frame=1, label_id="person", points=[0, 0, 10, 10, 20, 5])
POINT = Shape(type=ShapeType.POINTS, frame=2, label_id="person", points=[3, 4])
POINTS = Shape(type=ShapeType.POINTS, frame=2, label_id="person", points=[3, 4, 5, 6, 7.5, 8.25])
CIRCLE = Shape(type=ShapeType.ELLIPSE, frame=2, label_id="car", points=[30, 20, 38, 12])
ELLIPSE = Shape(type=ShapeType.ELLIPSE, frame=2, label_id="car", points=[30, 20, 40, 12], rotation=10)
MASK = Shape(type=ShapeType.MASK, frame=0, label_id="car", points=_mask(30, 40, 40, 60))

SUPPORTED = {
    "labelme": [RECT, ROTATED, POLYGON, LINE, STRIP, POINT, POINTS, CIRCLE, MASK],
    "datumaro": [RECT, ROTATED, POLYGON, LINE, STRIP, POINT, POINTS, CIRCLE, ELLIPSE, MASK],
    "voc": [RECT, ROTATED],
    "mot": [RECT],
    "masks": [MASK],
}


@pytest.mark.parametrize(("fmt", "shape"), [(f, s) for f, shapes in SUPPORTED.items() for s in shapes],
                         ids=[f"{f}-{s.type.value}-{k}" for f, shapes in SUPPORTED.items() for k, s in enumerate(shapes)])
def test_round_trip_each_shape(tmp_path: Path, fmt: str, shape: Shape) -> None:
    ds = _dataset([shape.copy()])
    expected = _geometry(ds)
    back = _round_trip(tmp_path, fmt, ds)
    got = _geometry(back)
    if fmt == "mot":  # a plain shape stays plain (track id -1)
        assert back.annotations.tracks == []
    assert got == expected
    assert [f.name for f in back.frames][: len(ds.frames)] == [f.name for f in ds.frames] or fmt == "mot"


def test_round_trip_attributes_groups_tags(tmp_path: Path) -> None:
    ds = _dataset([RECT.copy(group=3, occluded=True, z_order=2), POLYGON.copy(group=3)],
                  tags=[Tag(frame=1, label_id="sunny")])
    car = ds.labels[0]
    spec = AttributeSpec(name="parked", input_type=AttributeType.CHECKBOX, values=["false"])
    spec.id = 99
    car.attributes.append(spec)
    ds.annotations.shapes[0].attributes = {99: "true"}
    for fmt in ("labelme", "datumaro"):
        back = _round_trip(tmp_path / fmt, fmt, ds)
        names = _names(back)
        rect = next(s for s in back.annotations.shapes if s.type is ShapeType.RECTANGLE)
        poly = next(s for s in back.annotations.shapes if s.type is ShapeType.POLYGON)
        assert rect.occluded and rect.group and rect.group == poly.group, fmt
        parked = back.labels[[label.name for label in back.labels].index("car")].attribute("parked")
        assert rect.attributes[parked.id] == "true", fmt
        assert [(t.frame, names[t.label_id]) for t in back.annotations.tags] == [(1, "sunny")], fmt


def test_datumaro_keeps_skeletons_and_tracks(tmp_path: Path) -> None:
    skeleton = Shape(type=ShapeType.SKELETON, frame=1, label_id="pose", elements=[
        Shape(type=ShapeType.POINTS, frame=1, label_id=0, points=[10, 10], occluded=True),
        Shape(type=ShapeType.POINTS, frame=1, label_id=0, points=[11, 30], outside=True)])
    track = Track(label_id="car", frame=0, shapes=[
        TrackedShape(type=ShapeType.RECTANGLE, frame=0, points=[0, 0, 10, 10]),
        TrackedShape(type=ShapeType.RECTANGLE, frame=2, points=[10, 10, 20, 20]),
        TrackedShape(type=ShapeType.RECTANGLE, frame=3, points=[10, 10, 20, 20], outside=True)])
    back = _round_trip(tmp_path, "datumaro", _dataset([skeleton], [track], frames=5))
    sk = back.annotations.shapes[0]
    pose = next(label for label in back.labels if label.name == "pose")
    assert pose.type is LabelType.SKELETON and [s.name for s in pose.sublabels] == ["head", "foot"]
    assert pose.edges == [(0, 1)]
    assert [(e.points, e.occluded, e.outside) for e in sk.elements] == [([10, 10], True, False),
                                                                         ([11, 30], False, True)]
    (t,) = back.annotations.tracks
    assert [(s.frame, s.points, s.outside) for s in t.shapes] == [
        (0, [0, 0, 10, 10], False), (2, [10, 10, 20, 20], False), (3, [10, 10, 20, 20], True)]


def test_mot_round_trip_tracks(tmp_path: Path) -> None:
    track = Track(label_id="person", frame=1, shapes=[
        TrackedShape(type=ShapeType.RECTANGLE, frame=1, points=[0, 0, 10, 10], occluded=True),
        TrackedShape(type=ShapeType.RECTANGLE, frame=2, points=[2, 2, 12, 12]),
        TrackedShape(type=ShapeType.RECTANGLE, frame=3, points=[2, 2, 12, 12], outside=True)])
    back = _round_trip(tmp_path, "mot", _dataset([], [track], frames=5))
    assert back.meta["layout"] == "video" and len(back.frames) == 5  # seqinfo.ini's seqLength
    (t,) = back.annotations.tracks
    assert [(s.frame, s.points, s.occluded, s.outside) for s in t.shapes] == [
        (1, [0, 0, 10, 10], True, False), (2, [2, 2, 12, 12], False, False), (3, [2, 2, 12, 12], False, True)]
    assert (tmp_path / "mot" / "seqinfo.ini").read_text().count("seqLength=5") == 1


def test_voc_and_masks_paint_polygons_as_masks_grouped_with_boxes(tmp_path: Path) -> None:
    poly = POLYGON.copy(group=7)
    ds = _dataset([RECT.copy(label_id="person", points=[1, 1, 20, 15], group=7), poly, MASK.copy()])
    poly_bitmap = shape_to_bitmap(ShapeType.POLYGON, poly.points, W, H)
    back = _round_trip(tmp_path, "voc", ds)
    masks = [s for s in back.annotations.shapes if s.type is ShapeType.MASK]
    boxes = [s for s in back.annotations.shapes if s.type is ShapeType.RECTANGLE]
    assert len(masks) == 2 and len(boxes) == 1
    person_mask = next(m for m in masks if m.group)
    assert person_mask.group == boxes[0].group
    assert (points_to_mask(person_mask.points, W, H) == (poly_bitmap & ~points_to_mask(MASK.points, W, H))).all()
    assert Image.open(tmp_path / "voc" / "SegmentationClass" / "img_0.png").mode == "P"
    assert (tmp_path / "voc" / "ImageSets" / "Main" / "default.txt").read_text().split() == ["img_0", "img_1",
                                                                                               "img_2"]


@pytest.mark.parametrize("fmt", NEW)
def test_export_import_through_a_project(tmp_path: Path, fmt: str) -> None:
    """Export → import into a new project → export again gives the same files' counts."""
    ds = _dataset([s.copy() for s in SUPPORTED[fmt]], frames=3)
    write_dataset(ds, fmt, tmp_path / "a")
    first = read_dataset(tmp_path / "a", fmt)
    import_new_project(tmp_path / "p.fmproj", first, tmp_path / "a")
    with Project.open(tmp_path / "p.fmproj", read_only=True) as project:
        counts = project.counts()
    assert counts["shapes"] + counts["tracks"] == len(first.annotations.shapes) + len(first.annotations.tracks) > 0


def test_cli_import_and_export_new_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_dataset(_dataset([RECT.copy(), POLYGON.copy()]), "labelme", tmp_path / "lm")
    assert cli_main(["import", str(tmp_path / "p.fmproj"), str(tmp_path / "lm"), "--format", "labelme"]) == 0
    assert "shapes 2" in capsys.readouterr().out
    assert cli_main(["export", str(tmp_path / "p.fmproj"), str(tmp_path / "out"), "--format", "datumaro"]) == 0
    doc = json.loads((tmp_path / "out" / "annotations" / "default.json").read_text())
    assert sorted(a["type"] for item in doc["items"] for a in item["annotations"]) == ["bbox", "polygon"]


# ---------------------------------------------------------------------- files as the tools write them


def _png_b64(bitmap: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(bitmap.astype(np.uint8) * 255).convert("1").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_labelme5_file(tmp_path: Path) -> None:
    crop = np.ones((4, 5), dtype=bool)
    crop[0, 0] = False
    doc = {"version": "5.4.1", "flags": {"night": True, "blurry": False}, "shapes": [
        {"label": "dog", "points": [[10.5, 12.0], [40.0, 30.25]], "group_id": None, "description": "",
         "shape_type": "rectangle", "flags": {}, "mask": None},
        {"label": "dog", "points": [[1, 1], [9, 1], [5, 8]], "group_id": 1, "description": "left ear",
         "shape_type": "polygon", "flags": {"occluded": True}, "mask": None},
        {"label": "cat", "points": [[20, 20], [24, 20]], "group_id": 1, "description": "",
         "shape_type": "circle", "flags": {}, "mask": None},
        {"label": "lane", "points": [[0, 0], [10, 10], [20, 5]], "group_id": None, "description": "",
         "shape_type": "linestrip", "flags": {}, "mask": None},
        {"label": "lane", "points": [[0, 0], [10, 10]], "group_id": None, "description": "",
         "shape_type": "line", "flags": {}, "mask": None},
        {"label": "nose", "points": [[3, 4]], "group_id": None, "description": "", "shape_type": "point",
         "flags": {}, "mask": None},
        {"label": "blob", "points": [[30, 10], [34, 13]], "group_id": None, "description": "",
         "shape_type": "mask", "flags": {}, "mask": _png_b64(crop)},
    ], "imagePath": "..\\images\\dog.jpg", "imageData": None, "imageHeight": 48, "imageWidth": 64}
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "dog.json").write_text(json.dumps(doc, indent=2))
    ds = read_dataset(tmp_path / "ann", "labelme")
    assert [(f.name, f.width, f.height) for f in ds.frames] == [("images/dog.jpg", 64, 48)]
    names = _names(ds)
    shapes = ds.annotations.shapes
    assert [(s.type.value, names[s.label_id]) for s in shapes] == [
        ("rectangle", "dog"), ("polygon", "dog"), ("ellipse", "cat"), ("polyline", "lane"), ("polyline", "lane"),
        ("points", "nose"), ("mask", "blob")]
    assert shapes[0].points == [10.5, 12.0, 40.0, 30.25]
    assert shapes[1].occluded and shapes[1].group == shapes[2].group > 0
    assert shapes[2].points == [20, 20, 24, 16]
    dog = next(label for label in ds.labels if label.name == "dog")
    assert shapes[1].attributes[dog.attribute("description").id] == "left ear"
    bitmap = points_to_mask(shapes[6].points, 64, 48)
    assert bitmap.sum() == 19 and bitmap[10:14, 30:35].sum() == 19 and not bitmap[10, 30]
    assert [(t.frame, names[t.label_id]) for t in ds.annotations.tags] == [(0, "night")]
    assert {label.name: label.type for label in ds.labels}["blurry"] is LabelType.TAG


def test_x_anylabeling_file(tmp_path: Path) -> None:
    # X-AnyLabeling 2.x: rotation boxes (4 corners + direction in radians), attributes, difficult, score
    doc = {"version": "2.4.4", "flags": {}, "shapes": [
        {"label": "ship", "score": 0.87, "points": [[10.0, 10.0], [30.0, 10.0], [30.0, 20.0], [10.0, 20.0]],
         "group_id": None, "description": "", "difficult": True, "shape_type": "rotation", "flags": {},
         "attributes": {"color": "red", "moving": False}, "kie_linking": [], "direction": 0.0},
        {"label": "ship", "score": None, "points": [[30.0, 10.0], [47.3205, 20.0], [42.3205, 28.6603],
                                                    [25.0, 18.6603]],
         "group_id": None, "description": "", "difficult": False, "shape_type": "rotation", "flags": {},
         "attributes": {}, "kie_linking": [], "direction": 0.5235987755982988},
    ], "imagePath": "boat.png", "imageData": None, "imageHeight": 48, "imageWidth": 64}
    (tmp_path / "boat.json").write_text(json.dumps(doc))
    ds = read_dataset(tmp_path / "boat.json", "labelme")
    a, b = ds.annotations.shapes
    ship = ds.labels[0]
    assert a.type is ShapeType.RECTANGLE and a.points == [10, 10, 30, 20] and a.rotation == 0
    assert a.score == pytest.approx(0.87)
    assert a.attributes[ship.attribute("color").id] == "red"
    assert a.attributes[ship.attribute("moving").id] == "false"
    assert ship.attribute("difficult").values == ["false"] and a.attributes[ship.attribute("difficult").id] == "true"
    assert b.rotation == pytest.approx(30.0, abs=1e-3)
    assert [round(v, 2) for v in b.points] == [26.16, 14.33, 46.16, 24.33]


def test_voc_files(tmp_path: Path) -> None:
    root = tmp_path / "VOC2012"
    (root / "Annotations").mkdir(parents=True)
    (root / "ImageSets" / "Main").mkdir(parents=True)
    (root / "SegmentationClass").mkdir()
    (root / "SegmentationObject").mkdir()
    (root / "Annotations" / "2007_000032.xml").write_text("""<annotation>
	<folder>VOC2012</folder>
	<filename>2007_000032.jpg</filename>
	<source><database>The VOC2007 Database</database><annotation>PASCAL VOC2007</annotation></source>
	<size><width>64</width><height>48</height><depth>3</depth></size>
	<segmented>1</segmented>
	<object>
		<name>aeroplane</name><pose>Frontal</pose><truncated>0</truncated><difficult>0</difficult>
		<bndbox><xmin>4</xmin><ymin>5</ymin><xmax>20</xmax><ymax>15</ymax></bndbox>
	</object>
	<object>
		<name>person</name><pose>Unspecified</pose><truncated>1</truncated><difficult>1</difficult>
		<bndbox><xmin>30</xmin><ymin>20</ymin><xmax>40.5</xmax><ymax>44</ymax></bndbox>
	</object>
</annotation>
""")
    (root / "ImageSets" / "Main" / "train.txt").write_text("2007_000032\n")
    (root / "ImageSets" / "Main" / "aeroplane_train.txt").write_text("2007_000032  1\n")
    cls = np.zeros((48, 64), dtype=np.uint8)
    obj = np.zeros((48, 64), dtype=np.uint8)
    cls[5:15, 4:20], obj[5:15, 4:20] = 1, 1
    cls[20:44, 30:40], obj[20:44, 30:40] = 15, 2
    cls[19, 29:41] = obj[19, 29:41] = 255  # void boundary
    for array, name in ((cls, "SegmentationClass"), (obj, "SegmentationObject")):
        image = Image.fromarray(array, mode="P")
        image.putpalette([c for rgb in voc_palette() for c in rgb])
        image.save(root / name / "2007_000032.png")
    ds = read_dataset(root, "voc")
    names = _names(ds)
    (frame,) = ds.frames
    assert (frame.name, frame.subset, frame.width) == ("2007_000032.jpg", "train", 64)
    boxes = [s for s in ds.annotations.shapes if s.type is ShapeType.RECTANGLE]
    masks = [s for s in ds.annotations.shapes if s.type is ShapeType.MASK]
    assert [(names[b.label_id], b.points) for b in boxes] == [("aeroplane", [4, 5, 20, 15]),
                                                              ("person", [30, 20, 40.5, 44])]
    assert [(names[m.label_id], m.group) for m in masks] == [("aeroplane", boxes[0].group),
                                                             ("person", boxes[1].group)]
    assert points_to_mask(masks[1].points, 64, 48).sum() == 240
    person = next(label for label in ds.labels if label.name == "person")
    assert boxes[1].attributes[person.attribute("difficult").id] == "true"
    assert "pose" not in [a.name for a in person.attributes]


def test_masks_rgb_with_colormap(tmp_path: Path) -> None:
    (tmp_path / "masks").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "labelmap.txt").write_text("# label:color_rgb:parts:actions\nbackground:0,0,0::\nroad:128,64,128::\n"
                                           "car:0,0,142::\n")
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(tmp_path / "images" / "a.jpg")
    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[5:, :] = (128, 64, 128)
    rgb[1:3, 2:6] = (0, 0, 142)
    Image.fromarray(rgb).save(tmp_path / "masks" / "a.png")
    ds = read_dataset(tmp_path, "masks")
    names = _names(ds)
    assert ds.frames[0].name == "a.jpg" and ds.meta["image_files"][0].endswith("a.jpg")
    assert sorted((names[s.label_id], int(points_to_mask(s.points, 12, 10).sum())) for s in ds.annotations.shapes) == [
        ("car", 8), ("road", 60)]
    rgb[0, 0] = (1, 2, 3)
    Image.fromarray(rgb).save(tmp_path / "masks" / "a.png")
    with pytest.raises(FormatError, match=r"a\.png: pixel \(0, 0\): the colour 1,2,3 is not in the colour map"):
        read_dataset(tmp_path, "masks")


def test_masks_label_ids_and_instances(tmp_path: Path) -> None:
    (tmp_path / "masks").mkdir()
    (tmp_path / "instances").mkdir()
    ids = np.zeros((8, 8), np.uint8)
    ids[:4, :] = 2
    inst = np.zeros((8, 8), np.uint16)
    inst[:4, :4], inst[:4, 4:] = 300, 301  # 16-bit instance numbers
    Image.fromarray(ids, mode="L").save(tmp_path / "masks" / "x.png")
    Image.fromarray(inst).save(tmp_path / "instances" / "x.png")
    ds = read_dataset(tmp_path, "masks")
    assert [label.name for label in ds.labels] == ["class_2"]
    assert len(ds.annotations.shapes) == 2 and (ds.frames[0].width, ds.frames[0].height) == (8, 8)


def test_datumaro_file(tmp_path: Path) -> None:
    # as datumaro 1.x writes it (tests/assets/datumaro_dataset layout), plus CVAT's skeleton and track attributes
    doc = {"dm_format_version": "1.0", "media_type": 2, "infos": {}, "categories": {
        "label": {"labels": [{"name": "cat0", "parent": "", "attributes": ["x"]},
                             {"name": "pose", "parent": "", "attributes": []},
                             {"name": "nose", "parent": "pose", "attributes": []},
                             {"name": "tail", "parent": "pose", "attributes": []}],
                  "attributes": ["occluded"]},
        "mask": {"colormap": [{"label_id": 0, "r": 128, "g": 0, "b": 0}]},
        "points": {"items": [{"label_id": 1, "labels": ["nose", "tail"], "joints": [[1, 2]]}]}},
        "items": [
            {"id": "100", "annotations": [
                {"id": 1, "type": "caption", "attributes": {}, "group": 0, "caption": "hello"},
                {"id": 3, "type": "label", "attributes": {"x": 1}, "group": 0, "label_id": 0},
                {"id": 4, "type": "bbox", "attributes": {"score": 0.5, "rotation": 45.0, "occluded": True},
                 "group": 5, "label_id": 0, "z_order": 1, "bbox": [1.0, 2.0, 3.0, 4.0]},
                {"id": 5, "type": "mask", "attributes": {}, "group": 0, "label_id": 0,
                 "rle": {"counts": "06", "size": [2, 3]}, "z_order": 2},
                {"id": 6, "type": "skeleton", "attributes": {}, "group": 0, "label_id": 1, "elements": [
                    {"id": 0, "type": "points", "attributes": {}, "group": 0, "label_id": 2, "points": [1, 1],
                     "visibility": [2]},
                    {"id": 0, "type": "points", "attributes": {}, "group": 0, "label_id": 3, "points": [0, 0],
                     "visibility": [0]}]},
            ], "attr": {"frame": 0}, "image": {"path": "100.jpg", "size": [2, 3]}},
            {"id": "101", "annotations": [
                {"id": 7, "type": "bbox", "attributes": {"track_id": 0, "keyframe": True}, "group": 0,
                 "label_id": 0, "z_order": 0, "bbox": [0, 0, 1, 1]}],
             "attr": {"frame": 1}, "image": {"path": "101.jpg", "size": [2, 3]}}]}
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "train.json").write_text(json.dumps(doc))
    ds = read_dataset(tmp_path, "datumaro")
    names = _names(ds)
    assert [(f.name, f.subset, f.width, f.height, f.number) for f in ds.frames] == [
        ("100.jpg", "train", 3, 2, 0), ("101.jpg", "train", 3, 2, 1)]
    assert [label.name for label in ds.labels] == ["cat0", "pose"]
    assert ds.labels[1].edges == [(0, 1)]
    box, mask, skeleton = ds.annotations.shapes
    assert box.points == [1, 2, 4, 6] and box.rotation == 45 and box.occluded and box.score == 0.5
    assert points_to_mask(mask.points, 3, 2).all()
    assert [(names[e.label_id], e.outside) for e in skeleton.elements] == [("nose", False), ("tail", True)]
    assert [(names[t.label_id], t.attributes) for t in ds.annotations.tags] == [
        ("cat0", {ds.labels[0].attribute("x").id: "1"})]
    assert len(ds.annotations.tracks) == 1
    assert any("'caption'" in w for w in ds.meta["warnings"])


def test_mot_file(tmp_path: Path) -> None:
    (tmp_path / "gt").mkdir()
    (tmp_path / "img1").mkdir()
    for k in range(1, 4):
        Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(tmp_path / "img1" / f"{k:06d}.jpg")
    (tmp_path / "seqinfo.ini").write_text("[Sequence]\nname=MOT17-02\nimDir=img1\nframeRate=30\nseqLength=3\n"
                                          "imWidth=30\nimHeight=20\nimExt=.jpg\n")
    (tmp_path / "gt" / "gt.txt").write_text("1,1,1,2,5,6,1,1,1\n2,1,2,3,5,6,1,1,0.0\n1,2,10,10,3,3,0,3,0.5\n"
                                            "3,-1,0,0,4,4,1,1,1\n")
    ds = read_dataset(tmp_path, "mot")
    names = _names(ds)
    assert [(f.name, f.width) for f in ds.frames] == [("000001.jpg", 30), ("000002.jpg", 30), ("000003.jpg", 30)]
    t1, t2 = ds.annotations.tracks
    assert names[t1.label_id] == "pedestrian" and names[t2.label_id] == "car"
    assert [(s.frame, s.outside, s.occluded) for s in t1.shapes] == [(0, False, False), (1, False, True),
                                                                     (2, True, True)]
    ignored = next(label for label in ds.labels if label.name == "car").attribute("ignored")
    assert t2.shapes[0].attributes == {ignored.id: "true"}
    (plain,) = ds.annotations.shapes
    assert plain.frame == 2 and plain.points == [0, 0, 4, 4]


# ---------------------------------------------------------------------- malformed inputs

LABELME_OK = {"version": "5.4.1", "flags": {}, "shapes": [], "imagePath": "a.jpg", "imageData": None,
              "imageHeight": 10, "imageWidth": 10}
SHAPE = {"label": "a", "points": [[0, 0], [5, 5]], "shape_type": "rectangle", "flags": {}, "group_id": None}


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", r"line 1, column 2: malformed JSON"),
    (b"\xff\xfe\x00", r"not UTF-8 text"),
    (b"[1, 2]", r"expected a JSON object"),
    (json.dumps({"flags": {}}).encode(), r"'shapes' is missing"),
    (json.dumps({**LABELME_OK, "shapes": {}}).encode(), r"shapes: expected a list"),
    (json.dumps({**LABELME_OK, "imageWidth": "wide"}).encode(), r"imageWidth: expected an integer"),
    (json.dumps({**LABELME_OK, "imageWidth": -3}).encode(), r"imageWidth: the integer -3 is outside"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "shape_type": "cube"}]}).encode(), r"shapes\[0\]\.shape_type: "
                                                                                      "unknown shape type 'cube'"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "points": [[0, 0]]}]}).encode(), r"a rectangle needs exactly 2"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "points": [[0, "x"], [1, 1]]}]}).encode(),
     r"shapes\[0\]\.points\[0\]\[1\]: expected a number"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "points": [[0, 1e300], [1, 1]]}]}).encode(), r"out of range"),
    (b'{"shapes": [{"label": "a", "points": [[0, NaN], [1, 1]]}]}', r"malformed JSON|not a JSON number"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "label": 3}]}).encode(), r"shapes\[0\]\.label: expected a string"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "group_id": "g"}]}).encode(), r"group_id: expected an integer"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "attributes": {"x": [1]}}]}).encode(), r"attribute 'x' holds"),
    (json.dumps({**LABELME_OK, "shapes": [{**SHAPE, "shape_type": "mask", "mask": "%%%"}]}).encode(),
     r"not a base64 PNG"),
    (json.dumps({**LABELME_OK, "flags": {"a": "yes"}}).encode(), r"flags\.a: an image flag must be true or false"),
])
def test_labelme_malformed(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "a.json").write_bytes(content)
    with pytest.raises(FormatError, match=message) as info:
        read_dataset(tmp_path, "labelme")
    assert info.value.file.endswith("a.json")


DM_OK = {"categories": {"label": {"labels": [{"name": "a", "parent": ""}]}}, "items": []}
DM_ITEM = {"id": "x", "annotations": [], "image": {"path": "x.jpg", "size": [4, 4]}}


@pytest.mark.parametrize(("doc", "message"), [
    ({"categories": {}}, r"'items' is missing"),
    ({**DM_OK, "items": [{**DM_ITEM, "id": None}]}, r"items\[0\]\.id: expected a string"),
    ({**DM_OK, "items": [{**DM_ITEM, "image": {"size": [4]}}]}, r"image\.size: the size is \[height, width\]"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "bbox", "label_id": 0, "bbox": [0, 0, -1, 1]}]}]},
     r"annotations\[0\]\.bbox: a bbox is"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "bbox", "label_id": 7, "bbox": [0, 0, 1, 1]}]}]},
     r"label id 7 is not in categories"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "polygon", "label_id": 0, "points": [0, 0, 1]}]}]},
     r"expected at least 3 x, y pairs"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "mask", "label_id": 0,
                                                      "rle": {"counts": [1, 2], "size": [4, 4]}}]}]},
     r"RLE runs add up to 3"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "mask", "label_id": 0, "rle": {"counts": 5,
                                                                                              "size": [4, 4]}}]}]},
     r"RLE 'counts' must be"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "skeleton", "label_id": 0, "elements": []}]}]},
     r"has no keypoints"),
    ({"categories": {"label": {"labels": [{"name": "k", "parent": "nobody"}]}}, "items": []},
     r"names parent 'nobody'"),
    ({**DM_OK, "items": [{**DM_ITEM, "annotations": [{"type": "bbox", "label_id": 0, "bbox": [0, 0, 1, 1],
                                                      "z_order": 1e30}]}]}, r"annotations\[0\]\.z_order: the integer"),
])
def test_datumaro_malformed(tmp_path: Path, doc: dict, message: str) -> None:
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "default.json").write_text(json.dumps(doc))
    with pytest.raises(FormatError, match=message) as info:
        read_dataset(tmp_path, "datumaro")
    assert info.value.file.endswith("default.json")


@pytest.mark.parametrize(("line", "message"), [
    ("1,1,0,0,5", r"line 1: expected at least 6"),
    ("0,1,0,0,5,5,1,1,1", r"line 1, column 1 \(frame\)"),
    ("1,x,0,0,5,5,1,1,1", r"column 2 \(id\): 'x' is not a number"),
    ("1,1,0,0,-5,5,1,1,1", r"negative size"),
    ("1,1,0,0,inf,5,1,1,1", r"out of range"),
    ("1,1,0,0,5,5,1,99,1", r"class 99 is not in 1\.\.12"),
    ("99999999999,1,0,0,5,5,1,1,1", r"column 1 \(frame\)"),
])
def test_mot_malformed(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "gt.txt").write_text(line + "\n")
    with pytest.raises(FormatError, match=message):
        read_dataset(tmp_path, "mot")


@pytest.mark.parametrize(("xml", "message"), [
    ("<annotation><object>", r"malformed XML"),
    ("<foo/>", r"root element must be <annotation>"),
    ("<annotation><object><bndbox><xmin>1</xmin></bndbox></object></annotation>", r"the object has no <name>"),
    ("<annotation><object><name>a</name><bndbox><xmin>x</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax></bndbox>"
     "</object></annotation>", r"<xmin>: 'x' is not a number"),
    ("<annotation><object><name>a</name><bndbox><xmin>5</xmin><ymin>0</ymin><xmax>1</xmax><ymax>1</ymax></bndbox>"
     "</object></annotation>", r"the box is inverted"),
    ("<annotation><size><width>-1</width></size></annotation>", r"not a size in pixels"),
    ("<annotation><object><name>a</name><difficult>maybe</difficult></object></annotation>", r"'maybe' is not 0/1"),
])
def test_voc_malformed(tmp_path: Path, xml: str, message: str) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "a.xml").write_text(xml)
    with pytest.raises(FormatError, match=message) as info:
        read_dataset(tmp_path, "voc")
    assert info.value.file.endswith("a.xml")


def test_mask_png_malformed(tmp_path: Path) -> None:
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "a.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(FormatError, match=r"a\.png: not a readable image"):
        read_dataset(tmp_path, "masks")
    (tmp_path / "labelmap.txt").write_text("background:0,0\n")
    with pytest.raises(FormatError, match=r"labelmap\.txt: line 1: the colour '0,0' is not r,g,b"):
        read_dataset(tmp_path, "masks")
    (tmp_path / "labelmap.txt").unlink()
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "masks" / "a.png")
    with pytest.raises(FormatError, match=r"needs a colour map"):
        read_dataset(tmp_path, "masks")
    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(tmp_path / "images" / "a.jpg")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "masks" / "a.png")
    with pytest.raises(FormatError, match=r"the mask is 4x4, but its image is 5x5"):
        read_dataset(tmp_path, "masks")


@pytest.mark.parametrize("fmt", NEW)
def test_missing_or_empty_input(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(FormatError):
        read_dataset(tmp_path / "nothing", fmt)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError):
        read_dataset(tmp_path / "empty", fmt)


@pytest.mark.parametrize("fmt", NEW)
def test_failed_export_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    ds = _dataset([RECT.copy(), MASK.copy()], frames=2)
    with pytest.raises(KeyboardInterrupt):
        write_dataset(ds, fmt, tmp_path / "out", progress=cancel)
    assert list(tmp_path.iterdir()) == []
