"""Subsets and tasks survive import and export in every format, on the real CVAT and Datumaro files
(issue 14, "Interop bugs found" 1-8): a multi-subset dataset becomes one task per subset, exports write the
subsets back in each format's convention, project exports carry task ids, video exports keep the task's
frame numbers and meta, and whole-project exports re-import into the same tasks."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from app.cli.project_cmds import project_info
from app.domain.enums import AttributeType
from app.formats.exporter import export_project
from app.formats.importer import import_into_project, import_new_project, read_dataset
from app.storage.store import Project

EXT = "external"
DM = "cvat-ai__datumaro/tests/assets"
OV = "openvinotoolkit__datumaro/tests/assets"
PROJECT_XML = f"{OV}/cvat_dataset/for_images/export_project"
VIDEO_XML = f"{OV}/cvat_dataset/for_video"


def _import(path: Path, fmt: str, project: Path, create: bool = False) -> dict:
    import_new_project(project, read_dataset(path, fmt, create_missing_labels=create), path)
    with Project.open(project, read_only=True) as opened:
        return project_info(opened)


def _tasks(info: dict) -> list[tuple[str, str, int]]:
    return sorted((t["name"], t["subset"], t["frames"]) for t in info["tasks"])


def _frames(project: Path) -> dict[str, list[str]]:
    with Project.open(project, read_only=True) as opened:
        return {t.subset: [f.name for f in opened.frames(t.id)] for t in opened.tasks()}


# ---------------------------------------------------------------------- 1 + 5: CVAT project exports


def test_cvat_project_export_imports_one_task_per_subset_and_round_trips(shared_fixtures: Path,
                                                                          tmp_path: Path) -> None:
    source = shared_fixtures / EXT / PROJECT_XML
    info = _import(source, "cvat", tmp_path / "a.fmproj")
    # the file's task 39 is "Test"; its other images (subsets Train/Validation) are named by their subset
    assert _tasks(info) == [("Test", "Test", 2), ("Train", "Train", 2), ("Validation", "Validation", 2)]
    assert _frames(tmp_path / "a.fmproj")["Train"] == ["img0.jpg", "img1.jpg"]
    assert all(t["annotations"]["shapes"] == 4 for t in info["tasks"])

    out = tmp_path / "project.xml"
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        export_project(project, "cvat-images", out)
        ids = {t.subset: t.id for t in project.tasks()}
    root = ET.parse(out).getroot()
    images = root.findall("image")
    assert len(images) == 6  # no duplicates, no "default"
    assert sorted((i.get("subset"), i.get("task_id"), i.get("name")) for i in images) == sorted(
        (s, str(ids[s]), n) for s in ("Test", "Train", "Validation") for n in ("img0.jpg", "img1.jpg"))
    project_meta = root.find("meta/project")
    assert project_meta.findtext("subsets").split("\n") == ["Test", "Train", "Validation"]
    listed = {t.findtext("id"): (t.findtext("name"), t.findtext("subset")) for t in project_meta.find("tasks")}
    assert listed == {str(ids[s]): (s, s) for s in ids}

    back = _import(out, "cvat", tmp_path / "b.fmproj")
    assert _tasks(back) == _tasks(info)
    assert back["annotations"] == info["annotations"]
    assert [t["annotations"] for t in sorted(back["tasks"], key=lambda t: t["subset"])] == [
        t["annotations"] for t in sorted(info["tasks"], key=lambda t: t["subset"])]


def test_two_tasks_of_one_subset_with_the_same_frame_ids_stay_apart(shared_fixtures: Path, tmp_path: Path) -> None:
    """Two tasks in one subset, both with frames 0 and 1 named alike: task_id tells them apart."""
    source = shared_fixtures / EXT / PROJECT_XML
    dataset = read_dataset(source, "cvat")
    for frame in dataset.frames:
        frame.subset = "Train" if frame.subset == "Validation" else frame.subset
    import_new_project(tmp_path / "a.fmproj", dataset, source)
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        assert sorted(t.subset for t in project.tasks()) == ["Test", "Train"]
    source = shared_fixtures / EXT / PROJECT_XML / "annotations.xml"
    text = source.read_text().replace('subset="Validation" task_id="39"', 'subset="Train" task_id="40"')
    (tmp_path / "two.xml").write_text(text)
    info = _import(tmp_path / "two.xml", "cvat", tmp_path / "b.fmproj")
    assert sorted((t["subset"], t["frames"]) for t in info["tasks"]) == [("Test", 2), ("Train", 2), ("Train", 2)]
    with Project.open(tmp_path / "b.fmproj", read_only=True) as project:
        export_project(project, "cvat-images", tmp_path / "p.xml")
    tree = ET.parse(tmp_path / "p.xml").getroot()
    assert len({i.get("task_id") for i in tree.findall("image")}) == 3
    back = _import(tmp_path / "p.xml", "cvat", tmp_path / "c.fmproj")
    assert _tasks(back) == _tasks(info)
    assert back["annotations"] == info["annotations"]


# ---------------------------------------------------------------------- 2: several CVAT XML files


def test_folder_of_cvat_xml_files_reads_every_file_as_its_subset(shared_fixtures: Path, tmp_path: Path) -> None:
    """Datumaro writes train.xml + val.xml; none is dropped."""
    fixture = shared_fixtures / EXT / DM / "cvat_dataset/for_images"
    folder = tmp_path / "ds"
    shutil.copytree(fixture, folder)
    val = (folder / "train.xml").read_text().replace('name="img1.jpg"', 'name="img1.jpg" ')
    root = ET.fromstring(val)
    for image in root.findall("image")[1:]:
        root.remove(image)  # val.xml: the first image only
    (folder / "val.xml").write_text(ET.tostring(root, encoding="unicode"))
    dataset = read_dataset(folder, "cvat", create_missing_labels=True)
    assert [(f.subset, f.name) for f in dataset.frames] == [("train", "img0.jpg"), ("train", "img1.jpg"),
                                                            ("val", "img0.jpg")]
    assert len(dataset.meta["files"]) == 2
    info = _import(folder, "cvat", tmp_path / "p.fmproj", create=True)
    assert _tasks(info) == [("train", "train", 2), ("val", "val", 1)]
    single = _import(fixture / "train.xml", "cvat", tmp_path / "one.fmproj", create=True)
    by_subset = {t["subset"]: t["annotations"] for t in info["tasks"]}
    assert by_subset["train"] == single["tasks"][0]["annotations"]
    assert by_subset["val"]["shapes"] > 0


# ---------------------------------------------------------------------- 1 + 3: COCO


def test_coco_subsets_import_as_tasks_and_export_as_instances_files(shared_fixtures: Path, tmp_path: Path) -> None:
    source = shared_fixtures / EXT / DM / "coco_dataset/coco_instances"
    info = _import(source, "coco", tmp_path / "a.fmproj")
    assert _tasks(info) == [("train", "train", 1), ("val", "val", 1)]
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        export_project(project, "coco", tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out" / "annotations").iterdir())
    assert names == ["instances_train.json", "instances_val.json"]
    val = json.loads((tmp_path / "out/annotations/instances_val.json").read_text())
    assert [i["file_name"] for i in val["images"]] == ["b.jpg"]
    back = _import(tmp_path / "out", "coco", tmp_path / "b.fmproj")
    assert _tasks(back) == _tasks(info)
    assert back["annotations"] == info["annotations"]


def test_datumaro_full_coco_export_reads_what_it_can_and_names_what_it_skips(shared_fixtures: Path,
                                                                            tmp_path: Path) -> None:
    base = shared_fixtures / EXT / DM / "coco_dataset"
    folder = tmp_path / "coco"
    shutil.copytree(base / "coco_instances", folder)
    shutil.copy(base / "coco_person_keypoints/annotations/person_keypoints_train.json", folder / "annotations")
    train = json.loads((folder / "annotations/instances_train.json").read_text())
    image = train["images"][0]
    cats = [{"id": 1, "name": "c", "supercategory": ""}]
    docs = {
        "labels_train": {"images": [image], "categories": cats,
                         "annotations": [{"id": 1, "image_id": image["id"], "category_id": 1, "attributes": {}}]},
        "captions_train": {"images": [image], "annotations": [{"id": 1, "image_id": image["id"], "caption": "x"}]},
        "image_info_train": {"images": [image], "categories": cats},
        "panoptic_train": {"images": [image], "categories": cats,
                           "annotations": [{"image_id": image["id"], "file_name": "a.png", "segments_info": []}]},
        "stuff_train": {"images": [image], "categories": cats, "annotations": [
            {"id": 1, "image_id": image["id"], "category_id": 1, "segmentation": {"counts": "0", "size": [5, 10]}}]},
    }
    for name, doc in docs.items():
        (folder / "annotations" / f"{name}.json").write_text(json.dumps(doc))
    dataset = read_dataset(folder, "coco")
    notice = next(w for w in dataset.meta["warnings"] if w.startswith("skipped"))
    for name in ("captions_train.json", "image_info_train.json", "panoptic_train.json", "stuff_train.json"):
        assert name in notice
    assert [(f.subset, f.name) for f in dataset.frames] == [("train", "a.jpg"), ("val", "b.jpg")]
    assert len(dataset.annotations.tags) == 1  # labels_train: an image label
    kinds = sorted(s.type.value for s in dataset.annotations.shapes)
    assert kinds.count("skeleton") == 1 and kinds.count("polygon") == 1 and kinds.count("mask") == 1
    info = _import(folder, "coco", tmp_path / "p.fmproj")
    assert info["annotations"]["tags"] == 1
    with pytest.raises(Exception, match="captions_train.json"):
        read_dataset(folder / "annotations/captions_train.json", "coco")


# ---------------------------------------------------------------------- 7: COCO keypoints


def test_coco_keypoints_keep_their_instance_and_number_attributes(shared_fixtures: Path, tmp_path: Path) -> None:
    source = shared_fixtures / EXT / DM / "coco_dataset/coco_person_keypoints"
    dataset = read_dataset(source, "coco")
    x = next(label for label in dataset.labels if label.name == "a").attribute("x")
    assert x.input_type is AttributeType.NUMBER and x.values[:2] == ["1", "1"]
    import_new_project(tmp_path / "a.fmproj", dataset, source)
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        export_project(project, "coco", tmp_path / "out", kind="keypoints")
    original = json.loads((source / "annotations/person_keypoints_val.json").read_text())
    written = json.loads((tmp_path / "out/annotations/person_keypoints_val.json").read_text())
    for old, new in zip(original["annotations"], written["annotations"]):
        if isinstance(old["segmentation"], list):  # (the RLE item's bbox does not match its own mask)
            assert new["bbox"] == pytest.approx(old["bbox"])
        assert new["area"] == pytest.approx(old["area"])
        assert new["iscrowd"] == old["iscrowd"]
        assert new["keypoints"] == pytest.approx(old["keypoints"])
        if isinstance(old["segmentation"], list):
            assert new["segmentation"] == [pytest.approx(p) for p in old["segmentation"]]
        else:  # RLE: the same pixels
            assert sum(new["segmentation"]["counts"][1::2]) == sum(old["segmentation"]["counts"][1::2])
    assert written["annotations"][0]["attributes"]["x"] == 1  # a number, not "1"
    train = json.loads((tmp_path / "out/annotations/person_keypoints_train.json").read_text())
    assert train["annotations"][0]["bbox"] == [2.0, 2.0, 3.0, 1.0]  # its own bbox, not the keypoints' extent
    back = _import(tmp_path / "out", "coco", tmp_path / "b.fmproj")
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        assert back["annotations"] == project.counts()


# ---------------------------------------------------------------------- 1 + 4: YOLO and Darknet


def test_darknet_obj_data_reads_every_subset_including_val(shared_fixtures: Path, tmp_path: Path) -> None:
    folder = tmp_path / "yolo"
    shutil.copytree(shared_fixtures / EXT / DM / "yolo_dataset/yolo", folder)
    shutil.copytree(folder / "obj_train_data", folder / "obj_val_data")
    (folder / "val.txt").write_text("data/obj_val_data/1.jpg\n")
    (folder / "obj.data").write_text("classes = 10\ntrain = data/train.txt\nval = data/val.txt\n"
                                     "names = data/obj.names\nbackup = backup/\n")
    dataset = read_dataset(folder, "yolo")
    assert [(f.subset, f.name) for f in dataset.frames] == [("train", "1.jpg"), ("val", "1.jpg")]
    assert dataset.meta.get("image_files") is None or all(dataset.meta["image_files"])
    info = _import(folder, "yolo", tmp_path / "p.fmproj")
    assert _tasks(info) == [("train", "train", 1), ("val", "val", 1)]
    assert [t["annotations"]["shapes"] for t in info["tasks"]] == [2, 2]


def test_yolo_export_writes_subsets_and_reimports_them(shared_fixtures: Path, tmp_path: Path) -> None:
    source = shared_fixtures / EXT / DM / "coco_dataset/coco_instances"
    info = _import(source, "coco", tmp_path / "a.fmproj")
    with Project.open(tmp_path / "a.fmproj", read_only=True) as project:
        export_project(project, "yolo", tmp_path / "y", with_images=True, yolo_task="segment")
    config = yaml.safe_load((tmp_path / "y/data.yaml").read_text())
    assert config["train"] == "train.txt" and config["val"] == "val.txt"
    assert (tmp_path / "y/images/val/b.jpg").is_file()
    back = _import(tmp_path / "y", "yolo", tmp_path / "b.fmproj")
    assert _tasks(back) == _tasks(info)
    assert back["annotations"]["shapes"] == info["annotations"]["shapes"]


# ---------------------------------------------------------------------- 6: video layout


def test_video_export_keeps_frame_numbers_and_meta_and_goes_back_into_its_task(shared_fixtures: Path,
                                                                              tmp_path: Path) -> None:
    source = shared_fixtures / EXT / VIDEO_XML / "annotations.xml"
    info = _import(source, "cvat", tmp_path / "v.fmproj")
    out = tmp_path / "v.xml"
    with Project.open(tmp_path / "v.fmproj", read_only=True) as project:
        export_project(project, "cvat-video", out, task=project.tasks()[0].id)
    root = ET.parse(out).getroot()
    task = root.find("meta/task")
    assert (task.findtext("start_frame"), task.findtext("stop_frame"), task.findtext("frame_filter")) == (
        "10", "19", "step=3")
    assert (task.findtext("original_size/width"), task.findtext("original_size/height")) == ("25", "20")
    assert root.findtext("meta/source") == "t.mp4"
    original = ET.parse(source).getroot()
    frames = {int(s.get("frame")) for t in root.findall("track") for s in t}
    assert frames <= {10, 13, 16, 19}
    assert {int(s.get("frame")) for t in original.findall("track") for s in t if s.get("keyframe") == "1"} <= frames
    # back into the task it came from, replacing: the same objects
    with Project.open(tmp_path / "v.fmproj") as project:
        result = import_into_project(project, read_dataset(out, "cvat"), out, task=project.tasks()[0].id,
                                     replace=True)
        assert result.counts == info["tasks"][0]["annotations"]
    # a job export uses the same numbers
    with Project.open(tmp_path / "v.fmproj", read_only=True) as project:
        export_project(project, "cvat-video", tmp_path / "j.xml", job=project.jobs()[0].id)
    job_frames = {int(s.get("frame")) for t in ET.parse(tmp_path / "j.xml").getroot().findall("track") for s in t}
    assert job_frames == frames


# ---------------------------------------------------------------------- 8: whole projects


@pytest.mark.parametrize("fmt", ["cvat", "cvat-images"])
def test_whole_project_with_image_and_video_tasks_round_trips(shared_fixtures: Path, tmp_path: Path,
                                                             fmt: str) -> None:
    images = shared_fixtures / EXT / PROJECT_XML
    video = shared_fixtures / EXT / VIDEO_XML / "annotations.xml"
    project_path = tmp_path / "p.fmproj"
    import_new_project(project_path, read_dataset(images, "cvat"), images)
    with Project.open(project_path) as project:
        import_into_project(project, read_dataset(video, "cvat"), video, new_task=True, create_missing=True)
        info = project_info(project)
        export_project(project, fmt, tmp_path / "out.zip")  # (the video fixture lacks frame 19's image)
    assert len(info["tasks"]) == 4
    back_path = tmp_path / "back.fmproj"
    import_new_project(back_path, read_dataset(tmp_path / "out.zip", "cvat"), tmp_path / "out.zip")
    with Project.open(back_path, read_only=True) as project:
        back = project_info(project)
        sizes = sorted((t.subset, [(f.name, f.width, f.height) for f in project.frames(t.id)])
                       for t in project.tasks())
    with Project.open(project_path, read_only=True) as project:
        expected = sorted((t.subset or "default", [(f.name, f.width, f.height) for f in project.frames(t.id)])
                          for t in project.tasks())
    assert sorted((t["name"], t["subset"] or "default", t["frames"], t["mode"]) for t in back["tasks"]) == sorted(
        (t["name"], t["subset"] or "default", t["frames"], t["mode"]) for t in info["tasks"])
    if fmt == "cvat-images":  # the video layout names frames by number (CVAT for video has no image names)
        assert sizes == expected
    else:
        assert [len(frames) for _s, frames in sizes] == [len(frames) for _s, frames in expected]
    if fmt == "cvat":  # the video layout keeps tracks and shapes as they are
        assert back["annotations"] == info["annotations"]
        assert sorted(json.dumps(t["annotations"], sort_keys=True) for t in back["tasks"]) == sorted(
            json.dumps(t["annotations"], sort_keys=True) for t in info["tasks"])
    else:  # the images layout flattens tracks into the shapes they show, as CVAT does
        assert back["annotations"]["tracks"] == 0
        assert back["annotations"]["shapes"] >= info["annotations"]["shapes"]
