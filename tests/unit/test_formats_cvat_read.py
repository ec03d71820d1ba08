"""CVAT XML 1.1 reader: every CVAT XML fixture, field details, and bad input with clear errors.

Expected counts below were worked out by reading the fixture files by hand.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.domain.enums import AttributeType, LabelType, ShapeType, Source
from app.formats.cvat_xml_read import read_cvat_xml
from app.formats.dataset import UNLABELED, annotation_counts
from app.formats.errors import FormatError

EXT = "external"
DOCS = "cvat-ai__cvat/site/content/en/docs/dataset_management/formats/format-cvat.md.examples"


def _counts(path: Path, **kw) -> dict:
    return annotation_counts(read_cvat_xml(path, **kw))


def test_docs_images_example(shared_fixtures: Path) -> None:
    path = shared_fixtures / EXT / DOCS / "images_example.xml"
    with pytest.raises(FormatError, match=r"line 91, <tag>.*'good_frame'"):
        read_cvat_xml(path)
    ds = read_cvat_xml(path, create_missing_labels=True)
    counts = annotation_counts(ds)
    assert counts["by_type"] == {"rectangle": 1, "polygon": 1, "polyline": 2, "points": 1, "skeleton": 1,
                                 "mask": 1, "tag": 1}
    assert counts["by_label"] == {"plate": 1, "car": 2, "traffic_line": 2, "wheel": 1, "s1": 1, "good_frame": 1}
    assert [(f.name, f.width, f.height, f.number) for f in ds.frames] == [("filename000.jpg", 1600, 1200, 0)]
    labels = ds.label_set()
    assert labels.by_name("good_frame").type is LabelType.TAG
    s1 = labels.by_name("s1")
    assert s1.type is LabelType.SKELETON and [s.name for s in s1.sublabels] == ["1", "2", "3"]
    assert sorted(s1.edges) == [(0, 1), (1, 2)]
    mask = next(s for s in ds.annotations.shapes if s.type is ShapeType.MASK)
    assert mask.points[-4:] == [707, 888, 719, 902] and sum(mask.points[:-4]) == 13 * 15
    skeleton = next(s for s in ds.annotations.shapes if s.type is ShapeType.SKELETON)
    assert [e.points for e in skeleton.elements] == [[54.47, 94.81], [68.02, 162.34], [125.87, 62.85]]
    assert [e.label_id for e in skeleton.elements] == [s.id for s in s1.sublabels]
    box = next(s for s in ds.annotations.shapes if s.type is ShapeType.RECTANGLE)
    assert box.points == [797.33, 870.92, 965.52, 928.94] and box.z_order == 4 and box.source is Source.MANUAL
    ids = [lab.id for lab in ds.labels] + [s.id for lab in ds.labels for s in lab.sublabels]
    assert len(set(ids)) == len(ids) and min(ids) == 1


def test_datumaro_images_with_unlabeled_and_space_values(shared_fixtures: Path) -> None:
    path = shared_fixtures / EXT / "cvat-ai__datumaro/tests/assets/cvat_dataset/for_images/train.xml"
    with pytest.raises(FormatError, match=r"line 90, <polyline>: has no label"):
        read_cvat_xml(path)
    ds = read_cvat_xml(path, create_missing_labels=True)
    counts = annotation_counts(ds)
    assert counts["by_type"] == {"rectangle": 1, "polyline": 1, "polygon": 1, "points": 1, "skeleton": 2}
    assert counts["by_label"] == {"label1": 1, UNLABELED: 2, "label2": 1, "skeleton": 2}
    label1 = ds.label_set().by_name("label1")
    a2 = label1.attribute("a2")
    assert a2.input_type is AttributeType.RADIO and a2.values == ["v1", "v2", "v3"]
    box = ds.annotations.shapes[0]
    assert box.occluded and box.z_order == 1
    assert {label1.attribute_by_id(k).name: v for k, v in box.attributes.items()} == {
        "a1": "true", "a2": "v3", "a3": "0003", "a4": "2.4"}
    skeletons = [s for s in ds.annotations.shapes if s.type is ShapeType.SKELETON]
    assert [[e.outside for e in s.elements] for s in skeletons] == [[True, False, False, False],
                                                                    [False, False, True, False]]
    assert [s.frame for s in skeletons] == [0, 1]


def test_project_export_with_subsets(shared_fixtures: Path) -> None:
    path = (shared_fixtures / EXT / "openvinotoolkit__datumaro/tests/assets/cvat_dataset/for_images/export_project"
            / "annotations.xml")
    ds = read_cvat_xml(path)
    assert ds.meta["scope"] == "project" and ds.meta["subsets"] == ["Train", "Test", "Validation"]
    assert [(f.subset, f.name, f.number) for f in ds.frames] == [
        ("Test", "img0.jpg", 0), ("Test", "img1.jpg", 1), ("Train", "img0.jpg", 0), ("Train", "img1.jpg", 1),
        ("Validation", "img0.jpg", 0), ("Validation", "img1.jpg", 1)]
    counts = annotation_counts(ds)
    assert counts["by_type"] == {"rectangle": 3, "polyline": 3, "polygon": 3, "points": 3}
    assert counts["by_label"] == {"label1": 6, "label2": 6}
    assert sorted(s.frame for s in ds.annotations.shapes if s.type is ShapeType.POINTS) == [1, 3, 5]


def test_video_with_frame_step(shared_fixtures: Path) -> None:
    path = shared_fixtures / EXT / "openvinotoolkit__datumaro/tests/assets/cvat_dataset/for_video/annotations.xml"
    ds = read_cvat_xml(path)
    assert ds.meta["layout"] == "video" and ds.meta["source"] == "t.mp4"
    assert [(f.index, f.number, f.width, f.height) for f in ds.frames] == [
        (0, 10, 25, 20), (1, 13, 25, 20), (2, 16, 25, 20), (3, 19, 25, 20)]
    counts = annotation_counts(ds)
    assert counts["tracks"] == 3 and counts["track_types"] == {"rectangle": 1, "points": 1, "polyline": 1}
    assert counts["by_label"] == {"II": 2, "klhg": 1}
    box, points, line = ds.annotations.tracks
    assert [(s.frame, s.outside, s.occluded) for s in box.shapes] == [(0, False, True), (1, True, False),
                                                                      (2, True, False)]
    assert box.shapes[2].points == [8, 7, 14, 17]
    hgl = ds.label_set().by_name("klhg").attribute("hgl")
    assert hgl.mutable and hgl.values == ["jk", "hgkf"]
    assert [s.attributes for s in points.shapes] == [{hgl.id: "hgkf"}, {hgl.id: "jk"}]
    assert points.attributes == {} and line.frame == 1


def test_video_docs_example_keeps_keyframes(shared_fixtures: Path) -> None:
    ds = read_cvat_xml(shared_fixtures / EXT / DOCS / "video_example.xml")
    assert len(ds.frames) == 4620 and ds.frames[0].width == 640
    car, skeleton = ds.annotations.tracks
    assert [(s.frame, s.outside) for s in car.shapes] == [(0, False), (1, True), (6, False), (7, True),
                                                          (13, False), (14, True)]
    assert len(car.shapes[2].points) == 10
    # frame 13 is an interpolated (keyframe="0") skeleton and is dropped
    assert [s.frame for s in skeleton.shapes] == [0, 1, 6, 7, 14]
    assert len(skeleton.elements) == 3
    assert [[s.frame for s in e.shapes] for e in skeleton.elements] == [[0, 1, 6, 7, 14]] * 3
    assert skeleton.shapes[1].outside and not skeleton.shapes[2].outside
    assert skeleton.elements[0].shapes[2].points == [120.07, 270.59]


def test_video_nested_skeleton_tracks_are_tolerated(shared_fixtures: Path) -> None:
    ds = read_cvat_xml(shared_fixtures / EXT / "cvat-ai__datumaro/tests/assets/cvat_dataset/for_video/annotations.xml")
    counts = annotation_counts(ds)
    assert counts["track_types"] == {"rectangle": 1, "points": 1, "polyline": 1, "skeleton": 1}
    assert counts["by_label"] == {"II": 2, "klhg": 1, "skeleton": 1}
    skeleton = ds.annotations.tracks[3]
    assert [s.frame for s in skeleton.shapes] == [0]
    assert [[(s.frame, s.outside) for s in e.shapes] for e in skeleton.elements] == [
        [(0, False)], [(0, False)], [(0, False), (1, True)], [(0, False)]]


# ---------------------------------------------------------------- bad input

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><mode>annotation</mode><labels>
<label><name>car</name><type>any</type><attributes></attributes></label>
</labels></task></meta>
"""


def _write(tmp_path: Path, body: str, name: str = "a.xml") -> Path:
    path = tmp_path / name
    path.write_text(HEAD + body + "</annotations>\n", encoding="utf-8")
    return path


def test_malformed_xml_names_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '<image id="0" name="a.jpg" width="4" height="4">\n<box label="car"\n</image>\n')
    with pytest.raises(FormatError, match=r"a\.xml: line 7, column \d+: malformed XML"):
        read_cvat_xml(path)


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ('<box label="car" xtl="1" ytl="1" xbr="abc" ybr="2"/>', r"line 6, <box>: bad coordinates: xbr='abc'"),
        ('<box label="car" xtl="5" ytl="1" xbr="2" ybr="2"/>', r"line 6, <box>: bad coordinates: box corners"),
        ('<polygon label="car" points="1,2;3"/>', r"line 6, <polygon>: bad coordinates"),
        ('<polygon label="car" points="1,2;3,4"/>', r"needs at least 3 points"),
        ('<polyline label="car" points="1,nan;3,4"/>', r"not finite"),
        ('<mask label="car" rle="1, 2, 3" left="0" top="0" width="2" height="2"/>',
         r"line 6, <mask>: mask rle runs add up to 6, but the 2x2 box has 4 pixels"),
        ('<box label="truck" xtl="1" ytl="1" xbr="2" ybr="2"/>', r"line 6, <box>: uses label 'truck'"),
        ('<box label="car" xtl="1" ytl="1" xbr="2" ybr="2"><attribute name="color">red</attribute></box>',
         r"line 6, <attribute>: label 'car' has no attribute 'color'"),
    ],
)
def test_bad_elements(tmp_path: Path, element: str, message: str) -> None:
    path = _write(tmp_path, f'<image id="0" name="a.jpg" width="4" height="4">\n{element}\n</image>\n')
    with pytest.raises(FormatError, match=message):
        read_cvat_xml(path)


def test_missing_label_created_on_request(tmp_path: Path) -> None:
    path = _write(tmp_path, '<image id="0" name="a.jpg" width="4" height="4">\n'
                            '<box label="truck" xtl="1" ytl="1" xbr="2" ybr="2"><attribute name="x">1</attribute>'
                            '</box></image>\n')
    ds = read_cvat_xml(path, create_missing_labels=True)
    truck = ds.label_set().by_name("truck")
    assert truck.type is LabelType.ANY and truck.attribute("x").input_type is AttributeType.TEXT
    assert ds.annotations.shapes[0].attributes == {truck.attribute("x").id: "1"}


def test_video_frame_off_the_grid(tmp_path: Path) -> None:
    path = tmp_path / "v.xml"
    path.write_text(HEAD.replace("<mode>annotation</mode>", "<mode>interpolation</mode><start_frame>0</start_frame>"
                                 "<stop_frame>9</stop_frame><frame_filter>step=2</frame_filter>")
                    + '<track id="0" label="car">\n<box frame="3" keyframe="1" outside="0" occluded="0" xtl="1" '
                      'ytl="1" xbr="2" ybr="2"/>\n</track></annotations>')
    with pytest.raises(FormatError, match=r"line 6, <box>: frame 3 is not a frame of this file's range"):
        read_cvat_xml(path)


def test_zip_and_folder_inputs(tmp_path: Path) -> None:
    xml = _write(tmp_path, '<image id="0" name="a.jpg" width="4" height="4">'
                           '<box label="car" xtl="1" ytl="1" xbr="2" ybr="2" source="auto"/></image>',
                 name="annotations.xml")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(xml, "annotations.xml")
    for source in (archive, tmp_path):
        ds = read_cvat_xml(source)
        assert ds.annotations.shapes[0].source is Source.AUTO
    with pytest.raises(FormatError, match="does not exist"):
        read_cvat_xml(tmp_path / "nope.xml")
