"""Every file under ../shared/fixtures/external imports into a new project with the right counts.

The expected numbers were worked out by reading each fixture by hand (see the fixture README): they are
checked through ``fieldmark info``'s data (``project_info``), i.e. what the store reports after import.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.project_cmds import project_info
from app.formats.errors import FormatError
from app.formats.importer import import_new_project, read_dataset
from app.storage.store import Project

EXT = "external"
CVAT_DOCS = "cvat-ai__cvat/site/content/en/docs/dataset_management/formats/format-cvat.md.examples"
DM = "cvat-ai__datumaro/tests/assets"
OV = "openvinotoolkit__datumaro/tests/assets"
YOLO = f"{DM}/yolo_dataset"
BOXES = {"by_type": {"rectangle": 2}, "by_label": {"label_2": 1, "label_4": 1}}

# (relative path, format, create missing labels, frames, expected counts (subset of Project.counts)).
# Keypoint annotations keep their person instance (segmentation, or a bbox other than the keypoints'
# extent) as a ``<skeleton>_instance`` shape grouped with the skeleton.
CASES = [
    (f"{CVAT_DOCS}/images_example.xml", "cvat", True, 1,
     {"shapes": 7, "tags": 1, "by_type": {"rectangle": 1, "polygon": 1, "polyline": 2, "points": 1, "skeleton": 1,
                                          "mask": 1, "tag": 1},
      "by_label": {"plate": 1, "car": 2, "traffic_line": 2, "wheel": 1, "s1": 1, "good_frame": 1}}),
    (f"{CVAT_DOCS}/video_example.xml", "cvat", False, 4620,
     {"shapes": 0, "tracks": 2, "track_types": {"polygon": 1, "skeleton": 1}, "by_label": {"car": 1, "s1": 1}}),
    (f"{DM}/cvat_dataset/for_images/train.xml", "cvat", True, 2,
     {"shapes": 6, "by_type": {"rectangle": 1, "polyline": 1, "polygon": 1, "points": 1, "skeleton": 2},
      "by_label": {"label1": 1, "unlabeled": 2, "label2": 1, "skeleton": 2}}),
    (f"{DM}/cvat_dataset/for_video/annotations.xml", "cvat", False, 4,
     {"tracks": 4, "track_types": {"rectangle": 1, "points": 1, "polyline": 1, "skeleton": 1},
      "by_label": {"II": 2, "klhg": 1, "skeleton": 1}}),
    (f"{OV}/cvat_dataset/for_images/export_project/annotations.xml", "cvat", False, 6,
     {"shapes": 12, "by_type": {"rectangle": 3, "polyline": 3, "polygon": 3, "points": 3},
      "by_label": {"label1": 6, "label2": 6}}),
    (f"{OV}/cvat_dataset/for_video/annotations.xml", "cvat", False, 4,
     {"tracks": 3, "track_types": {"rectangle": 1, "points": 1, "polyline": 1}, "by_label": {"II": 2, "klhg": 1}}),
    (f"{DM}/coco_dataset/coco_instances", "coco", False, 2,
     {"shapes": 3, "by_type": {"rectangle": 1, "polygon": 1, "mask": 1}, "by_label": {"a": 1, "b": 2}}),
    (f"{DM}/coco_dataset/coco_instances/annotations/instances_train.json", "coco", False, 1,
     {"shapes": 1, "by_type": {"rectangle": 1}, "by_label": {"b": 1}}),
    (f"{DM}/coco_dataset/coco_instances/annotations/instances_val.json", "coco", False, 1,
     {"shapes": 2, "by_type": {"polygon": 1, "mask": 1}, "by_label": {"a": 1, "b": 1}}),
    (f"{DM}/coco_dataset/coco_person_keypoints", "coco", False, 2,
     {"shapes": 6, "by_type": {"skeleton": 3, "rectangle": 1, "polygon": 1, "mask": 1},
      "by_label": {"a": 1, "b": 2, "a_instance": 1, "b_instance": 2}}),
    (f"{DM}/coco_dataset/coco_person_keypoints/annotations/person_keypoints_train.json", "coco", False, 1,
     {"shapes": 2, "by_type": {"skeleton": 1, "rectangle": 1}, "by_label": {"b": 1, "b_instance": 1}}),
    (f"{DM}/coco_dataset/coco_person_keypoints/annotations/person_keypoints_val.json", "coco", False, 1,
     {"shapes": 4, "by_type": {"skeleton": 2, "polygon": 1, "mask": 1},
      "by_label": {"a": 1, "b": 1, "a_instance": 1, "b_instance": 1}}),
    (f"{YOLO}/yolo", "yolo", False, 1, BOXES),
    (f"{YOLO}/yolov8_detection", "yolo", False, 1, BOXES),
    (f"{YOLO}/yolov8_detection_with_list_of_imgs", "yolo", False, 1, BOXES),
    (f"{YOLO}/yolov8_detection_with_list_of_names", "yolo", False, 1, BOXES),
    (f"{YOLO}/yolov8_detection_with_subset_txt", "yolo", False, 1, BOXES),
    (f"{YOLO}/yolov8_oriented_boxes", "yolo", False, 1, BOXES),
    (f"{YOLO}/yolov8_segmentation", "yolo", False, 1,
     {"by_type": {"polygon": 2}, "by_label": {"label_2": 1, "label_4": 1}}),
    (f"{YOLO}/yolov8_pose", "yolo", False, 1, {"by_type": {"skeleton": 1}, "by_label": {"skeleton_label": 1}}),
    (f"{YOLO}/yolov8_pose_two_values_per_point", "yolo", False, 1,
     {"by_type": {"skeleton": 1}, "by_label": {"skeleton_label": 1}}),
    (f"{YOLO}/yolov8_classification", "yolo", False, 3,
     {"shapes": 0, "tags": 3, "by_type": {"tag": 3}, "by_label": {"label_0": 2, "label_1": 1}}),
]


@pytest.mark.parametrize(("rel", "fmt", "create", "frames", "expected"), CASES, ids=[c[0].split("/")[-1] if "." in
                         c[0].split("/")[-1] else c[0].split("/")[-1] + "/" for c in CASES])
def test_fixture_counts(shared_fixtures: Path, tmp_path: Path, rel: str, fmt: str, create: bool, frames: int,
                        expected: dict) -> None:
    source = shared_fixtures / EXT / rel
    dataset = read_dataset(source, fmt, create_missing_labels=create)
    import_new_project(tmp_path / "p.fmproj", dataset, source)
    with Project.open(tmp_path / "p.fmproj", read_only=True) as project:
        info = project_info(project)
    assert sum(task["frames"] for task in info["tasks"]) == frames  # one task per subset
    counts = info["annotations"]
    for key, value in expected.items():
        assert counts[key] == value, key


def test_every_external_fixture_is_covered(shared_fixtures: Path) -> None:
    """A new fixture file must get an expected-count case here."""
    root = shared_fixtures / EXT
    covered = {str((root / rel).resolve()) for rel, *_ in CASES}
    data_files = [p for p in root.rglob("*") if p.suffix in (".xml", ".json", ".yaml", ".data")]
    for path in data_files:
        owners = [str(p) for p in (path, path.parent, path.parent.parent)]
        assert any(str(o.resolve()) in covered for o in map(Path, owners)), path


def test_fixture_details(shared_fixtures: Path, tmp_path: Path) -> None:
    """Images are found beside the files; sizes come from the images; rotations and keypoints survive."""
    base = shared_fixtures / EXT
    src = base / f"{DM}/cvat_dataset/for_images/train.xml"
    import_new_project(tmp_path / "a.fmproj", read_dataset(src, "cvat", create_missing_labels=True), src)
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        frames = project.frames(project.tasks()[0].id)
        assert [(f.name, f.width, f.height) for f in frames] == [("img0.jpg", 8, 8), ("img1.jpg", 10, 10)]
        assert all(project.resolve_media(f.path).is_file() for f in frames)
    src = base / f"{YOLO}/yolov8_oriented_boxes"
    import_new_project(tmp_path / "b.fmproj", read_dataset(src, "yolo"), src)
    with Project.open(tmp_path / "b.fmproj", read_only=True) as project:
        shapes = project.annotations(project.jobs()[0].id).shapes
        assert sorted(round(s.rotation) for s in shapes) == [30, 120]
        assert [round(v, 3) for v in shapes[0].points] == [1.0, 2.0, 4.0, 6.0]


def test_nonexistent_path_is_a_clear_error(tmp_path: Path) -> None:
    for fmt in ("cvat", "coco", "yolo"):
        with pytest.raises(FormatError, match="does not exist"):
            read_dataset(tmp_path / "missing", fmt)
