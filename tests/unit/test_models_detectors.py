"""YOLO and torchvision adapters, built from package configs with random weights, saved to files and
loaded back through the real loading code (ModelManager -> adapters -> YoloFunction/TorchvisionFunction)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.domain.enums import LabelType
from app.media.sources import open_task_source
from app.models.adapters import function_for_model, sniff
from app.models.manager import ModelManager
from app.models.runner import RunOptions, make_context, plan_task, run_detection
from app.models.spec_labels import labels_from_spec
from app.models.torchvision_detectors import CheckpointError, family_of
from app.models.writer import AutoAnnotationRun
from app.storage.store import Project
from tests.unit.models_fixtures import make_images

YOLO_ARGS = {"device": "cpu", "imgsz": 64, "max_det": 4}


@pytest.fixture(scope="module")
def yolo_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import torch

    from app.models.ultralytics_env import import_yolo

    torch.set_num_threads(1)
    torch.manual_seed(0)
    yolo = import_yolo()
    folder = tmp_path_factory.mktemp("yolo")
    files = {}
    for config in ("yolo11n.yaml", "yolo11n-seg.yaml", "yolo11n-pose.yaml", "yolo11n-obb.yaml", "yolo11n-cls.yaml"):
        model = yolo(config)
        for seq in getattr(model.model.model[-1], "cv3", ()):  # random heads emit nothing without this (env-notes §4)
            seq[-1].bias.data.fill_(-1.0)
        path = folder / config.replace(".yaml", ".pt")
        model.save(str(path))
        files[config.split(".")[0]] = path
    return files


def _image() -> Image.Image:
    return Image.fromarray(np.random.default_rng(1).integers(0, 255, (48, 64, 3), dtype=np.uint8))


def test_yolo_detect_and_segment(yolo_files: dict[str, Path]) -> None:
    assert sniff(yolo_files["yolo11n"]) == "yolo"
    detect = function_for_model(str(yolo_files["yolo11n"]), **YOLO_ARGS)
    assert detect.task == "detect" and detect.spec.labels[0].type == "rectangle" and len(detect.spec.labels) == 80
    boxes = detect.detect(make_context("a.png", RunOptions()), _image())
    assert boxes and all(b.type.value == "rectangle" and len(b.points) == 4 for b in boxes)
    assert detect.detect(make_context("a.png", RunOptions(conf_threshold=1.0)), _image()) == []
    seg = function_for_model(str(yolo_files["yolo11n-seg"]), **YOLO_ARGS)
    masks = seg.detect(make_context("a.png", RunOptions()), _image())
    assert masks and {m.type.value for m in masks} == {"mask"}
    polygons = seg.detect(make_context("a.png", RunOptions(conv_mask_to_poly=True)), _image())
    assert polygons and {p.type.value for p in polygons} == {"polygon"}


def test_yolo_pose_run_from_model_labels(tmp_path: Path, yolo_files: dict[str, Path]) -> None:
    manager = ModelManager(tmp_path / "models")
    added = manager.add(yolo_files["yolo11n-pose"])
    pose = function_for_model("yolo11n-pose.pt", manager=manager, keypoint_threshold=0.5, **YOLO_ARGS)
    assert pose.task == "pose" and added.name == "yolo11n-pose.pt"
    labels = labels_from_spec(pose.spec.labels[:1])  # "From model": copy the person skeleton
    assert labels[0].type is LabelType.SKELETON and len(labels[0].sublabels) == 17 and len(labels[0].edges) == 19
    project = Project.create(tmp_path / "p.fmk", "p", labels)
    from app.media.ingest import create_image_task

    task = create_image_task(project, "t", make_images(tmp_path / "imgs", 3, (64, 48)))
    source = open_task_source(project, task.id)
    result = run_detection(pose, plan_task(project, task.id), source, project.labels(), AutoAnnotationRun(project),
                           RunOptions(allow_unmatched_labels=True))
    source.close()
    shapes = project.annotations(project.jobs(task.id)[0].id).shapes
    assert result.frames_done == 3 and shapes and all(len(s.elements) == 17 for s in shapes)
    assert all(s.type.value == "skeleton" and 0 < s.score <= 1 for s in shapes)
    assert result.detect_seconds <= result.seconds


def _project_run(tmp_path: Path, function, options: RunOptions | None = None) -> tuple[Project, list, list[Path]]:
    from app.media.ingest import create_image_task

    project = Project.create(tmp_path / "p.fmk", "p", labels_from_spec(function.spec.labels))
    paths = make_images(tmp_path / "imgs", 2, (64, 48))
    task = create_image_task(project, "t", paths)
    source = open_task_source(project, task.id)
    try:
        run_detection(function, plan_task(project, task.id), source, project.labels(), AutoAnnotationRun(project), options)
    finally:
        source.close()
    return project, project.jobs(task.id), paths


def test_yolo_obb_rotated_rectangles(tmp_path: Path, yolo_files: dict[str, Path]) -> None:
    import math

    obb = function_for_model(str(yolo_files["yolo11n-obb"]), **YOLO_ARGS)
    assert obb.task == "obb" and {label.type for label in obb.spec.labels} == {"rectangle"}
    image = _image()
    raw = obb.predict(image)
    boxes = obb.detect(make_context("a.png", RunOptions()), image)
    assert len(boxes) == len(raw.obb) > 0
    for box, (cx, cy, w, h, r), c in zip(boxes, raw.obb.xywhr.tolist(), raw.obb.cls.tolist()):
        assert box.type.value == "rectangle" and box.label_id == int(c)
        assert box.points == pytest.approx([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], abs=1e-3)
        assert box.rotation == pytest.approx(math.degrees(r) % 360, abs=1e-3) and 0 <= box.rotation < 360
    project, jobs, _ = _project_run(tmp_path, obb)
    shapes = project.annotations(jobs[0].id).shapes
    assert shapes and all(s.type.value == "rectangle" and 0 <= s.rotation < 360 for s in shapes)
    assert any(s.rotation > 0 for s in shapes)  # the angle head's output reaches the project


def test_yolo_classify_tags(tmp_path: Path, yolo_files: dict[str, Path]) -> None:
    cls = function_for_model(str(yolo_files["yolo11n-cls"]), **YOLO_ARGS)
    assert cls.task == "classify" and {label.type for label in cls.spec.labels} == {"tag"}
    image = _image()
    raw = cls.predict(image)
    tags = cls.detect(make_context("a.png", RunOptions()), image)
    assert [(t.label_id, type(t).__name__) for t in tags] == [(int(raw.probs.top1), "LabeledImageRequest")]
    above = float(raw.probs.top1conf) + 1e-3
    assert cls.detect(make_context("a.png", RunOptions(conf_threshold=min(above, 1.0))), image) == []
    project, jobs, paths = _project_run(tmp_path, cls)
    annotations = project.annotations(jobs[0].id)
    assert not annotations.shapes and sorted(t.frame for t in annotations.tags) == [0, 1]
    names = {label.id: label.name for label in project.labels()}
    expected = {i: cls.model.names[int(cls.predict(Image.open(p)).probs.top1)] for i, p in enumerate(paths)}
    assert {t.frame: names[t.label_id] for t in annotations.tags} == expected


@pytest.mark.parametrize("model, conv", [("yolo11n", False), ("yolo11n-seg", False), ("yolo11n-seg", True),
                                         ("yolo11n-pose", False), ("yolo11n-obb", False), ("yolo11n-cls", False)])
def test_yolo_fast_route_matches_sdk_route(yolo_files: dict[str, Path], model: str, conv: bool) -> None:
    from app.models.validation import OutputMapper

    function = function_for_model(str(yolo_files[model]), **YOLO_ARGS)
    labels = labels_from_spec(function.spec.labels)
    for number, label in enumerate(labels):
        label.id = 100 + number
        for sub_number, sub in enumerate(label.sublabels):
            sub.id = 1000 * (number + 1) + sub_number
        if conv:
            label.type = LabelType.POLYGON
    mapper = OutputMapper(function.spec.labels, labels, conv_mask_to_poly=conv)
    context = make_context("a.png", RunOptions(conv_mask_to_poly=conv))
    image = _image()
    array = np.asarray(image)
    fast = mapper.map_batches(function.detect_batches(context, function.prepare(array)), 3)
    sdk = mapper.map_frame(function.detect(context, image), 3)
    assert fast == sdk and len(fast[0]) + len(fast[1]) > 0
    prepared = function.prepare_image(array)  # the sdk route's image, BGR attached on the decoding thread
    assert isinstance(prepared, Image.Image) and np.array_equal(np.asarray(prepared), array)
    assert mapper.map_frame(function.detect(context, prepared), 3) == sdk


def test_missing_or_foreign_checkpoints(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="yolo11s.pt"):
        function_for_model("yolo11s", manager=ModelManager(tmp_path))
    import zipfile

    with zipfile.ZipFile(tmp_path / "other.pt", "w") as archive:
        archive.writestr("x/data.pkl", b"\x80some.other.model")
    with pytest.raises(ValueError, match="not an Ultralytics YOLO or torchvision"):
        function_for_model(str(tmp_path / "other.pt"))


def test_torchvision_faster_rcnn_from_state_dict(tmp_path: Path) -> None:
    import torch
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.get_model("fasterrcnn_mobilenet_v3_large_320_fpn", weights=None,
                                         weights_backbone=None, num_classes=91)
    path = tmp_path / "frcnn.pth"
    torch.save(model.state_dict(), path)
    assert sniff(path) == "torchvision"
    guessed = function_for_model(str(path), device="cpu")
    assert guessed.arch == "fasterrcnn_mobilenet_v3_large_fpn"  # same weights as the 320 variant
    function = function_for_model(str(path), device="cpu", default_threshold=0.0,
                                  arch="fasterrcnn_mobilenet_v3_large_320_fpn")
    assert function.arch == "fasterrcnn_mobilenet_v3_large_320_fpn"
    with pytest.raises(CheckpointError, match="not maskrcnn"):
        function_for_model(str(path), device="cpu", arch="maskrcnn_resnet50_fpn")
    names = [label.name for label in function.spec.labels]
    assert names[:2] == ["person", "bicycle"] and "N/A" not in names and "__background__" not in names
    context = make_context("a.png", RunOptions(conf_threshold=0.0))
    function.model.roi_heads.score_thresh = 0.0  # random weights score ~1/91, under torchvision's 0.05
    out = function.detect(context, _image())
    assert out and all(o.type.value == "rectangle" for o in out)
    from app.models.validation import OutputMapper

    labels = labels_from_spec(function.spec.labels)
    for number, label in enumerate(labels):
        label.id = number + 1
    mapper = OutputMapper(function.spec.labels, labels)
    fast = mapper.map_batches(function.detect_batches(context, function.prepare(np.asarray(_image()))), 0)
    assert fast == mapper.map_frame(out, 0) and len(fast[0]) == len(out)


def test_torchvision_family_detection() -> None:
    assert family_of({"roi_heads.keypoint_predictor.kps_score_lowres.weight", "roi_heads.box_predictor.x"}) == "keypoint"
    assert family_of({"roi_heads.mask_predictor.mask_fcn_logits.weight"}) == "mask"
    assert family_of({"head.classification_head.cls_logits.weight"}) == "retina"
    assert family_of({"roi_heads.box_predictor.cls_score.weight"}) == "box"
    with pytest.raises(CheckpointError):
        family_of({"fc.weight"})


@pytest.mark.parametrize("arch", ["keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"])
def test_torchvision_skeletons_and_masks_fast_route(tmp_path: Path, arch: str) -> None:
    import torch
    import torchvision

    from app.models.validation import OutputMapper

    torch.manual_seed(0)
    kwargs = {"num_keypoints": 17} if arch.startswith("keypoint") else {}
    model = torchvision.models.get_model(arch, weights=None, weights_backbone=None, num_classes=2 if kwargs else 91,
                                         **kwargs)
    if not kwargs:
        model.roi_heads.mask_predictor.mask_fcn_logits.bias.data.fill_(2.0)  # random masks would be empty
    path = tmp_path / "det.pth"
    torch.save({"model": model.state_dict(), "categories": ["__background__", "person"]} if kwargs
               else model.state_dict(), path)
    function = function_for_model(str(path), device="cpu", default_threshold=0.0)
    assert function.family == ("keypoint" if kwargs else "mask")
    function.model.roi_heads.score_thresh = 0.0  # random weights score under torchvision's 0.05
    function.model.roi_heads.detections_per_img = 3
    function.model.transform.min_size, function.model.transform.max_size = (64,), 64  # keep CPU time small
    labels = labels_from_spec(function.spec.labels)
    for number, label in enumerate(labels):
        label.id = number + 1
        for sub_number, sub in enumerate(label.sublabels):
            sub.id = 100 * (number + 1) + sub_number
        if not kwargs:
            label.type = LabelType.ANY  # masks, or polygons with conv_mask_to_poly
    image = _image()
    for conv in (False, True) if not kwargs else (False,):
        context = make_context("a.png", RunOptions(conf_threshold=0.0, conv_mask_to_poly=conv))
        mapper = OutputMapper(function.spec.labels, labels, conv_mask_to_poly=conv)
        sdk = mapper.map_frame(function.detect(context, image), 0)
        fast = mapper.map_batches(function.detect_batches(context, function.prepare(np.asarray(image))), 0)
        assert fast == sdk
        expected = "skeleton" if kwargs else ("polygon" if conv else "mask")
        assert fast[0] and all(s.type.value == expected for s in fast[0])
        if kwargs:
            assert fast[0] and all(len(s.elements) == 17 for s in fast[0])
